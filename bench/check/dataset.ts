// The check benchmark's data set and workload (fixed seed): ~200,000 tuples over users, nested
// groups, organizations and projects, and 20,000 project#reader checks, half along real paths.
import { intBelow, pick, seeded } from '../lib/random.ts'

export const MODEL_DSL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type organization
  relations
    define admin: [user]
    define member: [user]
type project
  relations
    define parent: [organization]
    define admin: [user]
    define contributor: [user, group#member]
    define member: admin or contributor
    define reader: member or admin from parent
`

export interface Tuple { object: string; relation: string; user: string }
export interface CheckCase { object: string; relation: string; user: string; kind: string }

export interface Dataset {
  tuples: Tuple[]
  checks: CheckCase[]
}

export interface DatasetSize {
  users: number
  groupLevels: number[]
  organizations: number
  orgMembers: number
  projects: number
  userGroupMemberships: number
  checks: number
}

export const FULL: DatasetSize = {
  users: 10_000,
  groupLevels: [400, 300, 200, 100],
  organizations: 100,
  orgMembers: 100,
  projects: 10_000,
  userGroupMemberships: 40_000,
  checks: 20_000,
}

export function generate(size: DatasetSize = FULL, seed = 42): Dataset {
  const rand = seeded(seed)
  const tuples: Tuple[] = []
  const user = (i: number) => `user:u${i}`
  const users = Array.from({ length: size.users }, (_, i) => user(i))

  // Groups: level 0 is the bottom; each group below the top is nested in one group one level up
  // (two with probability 0.3).
  const levels: string[][] = []
  let g = 0
  for (const count of size.groupLevels) levels.push(Array.from({ length: count }, () => `group:g${g++}`))
  const childGroups = new Map<string, string[]>()
  for (let l = 0; l < levels.length - 1; l++) {
    for (const child of levels[l]) {
      const parents = new Set([pick(rand, levels[l + 1])])
      if (rand() < 0.3) parents.add(pick(rand, levels[l + 1]))
      for (const p of parents) {
        tuples.push({ object: p, relation: 'member', user: `${child}#member` })
        childGroups.set(p, [...(childGroups.get(p) ?? []), child])
      }
    }
  }
  const allGroups = levels.flat()
  const directUsers = new Map<string, string[]>()
  const seen = new Set<string>()
  while (seen.size < size.userGroupMemberships) {
    const grp = pick(rand, allGroups)
    const u = pick(rand, users)
    const k = `${grp}|${u}`
    if (seen.has(k)) continue
    seen.add(k)
    tuples.push({ object: grp, relation: 'member', user: u })
    directUsers.set(grp, [...(directUsers.get(grp) ?? []), u])
  }

  const orgAdmins = new Map<string, string[]>()
  const orgs = Array.from({ length: size.organizations }, (_, i) => `organization:o${i}`)
  for (const org of orgs) {
    const admins = distinct(rand, users, 3)
    orgAdmins.set(org, admins)
    for (const u of admins) tuples.push({ object: org, relation: 'admin', user: u })
    for (const u of distinct(rand, users, size.orgMembers)) tuples.push({ object: org, relation: 'member', user: u })
  }

  interface ProjectFacts { parent: string; admins: string[]; contributors: string[]; groups: string[] }
  const projects: [string, ProjectFacts][] = []
  for (let i = 0; i < size.projects; i++) {
    const p = `project:p${i}`
    const facts: ProjectFacts = {
      parent: pick(rand, orgs),
      admins: distinct(rand, users, 2),
      contributors: distinct(rand, users, 8),
      groups: distinct(rand, allGroups, 4),
    }
    projects.push([p, facts])
    tuples.push({ object: p, relation: 'parent', user: facts.parent })
    for (const u of facts.admins) tuples.push({ object: p, relation: 'admin', user: u })
    for (const u of facts.contributors) tuples.push({ object: p, relation: 'contributor', user: u })
    for (const grp of facts.groups) tuples.push({ object: p, relation: 'contributor', user: `${grp}#member` })
  }

  // A user who is a member of `grp` through nesting: walk down child groups to one with users.
  const memberThrough = (grp: string): string | undefined => {
    let cur = grp
    for (let hop = 0; hop < 8; hop++) {
      const direct = directUsers.get(cur)
      const kids = childGroups.get(cur)
      if (direct && (!kids || rand() < 0.5)) return pick(rand, direct)
      if (!kids) return undefined
      cur = pick(rand, kids)
    }
    return directUsers.get(cur)?.[0]
  }

  const checks: CheckCase[] = []
  while (checks.length < size.checks) {
    const [p, f] = pick(rand, projects)
    if (checks.length % 2 === 1) {
      checks.push({ object: p, relation: 'reader', user: pick(rand, users), kind: 'random' })
      continue
    }
    const kind = intBelow(rand, 4)
    let u: string | undefined
    if (kind === 0) u = pick(rand, f.admins)
    else if (kind === 1) u = pick(rand, f.contributors)
    else if (kind === 2) u = memberThrough(pick(rand, f.groups))
    else u = pick(rand, orgAdmins.get(f.parent)!)
    if (u) checks.push({ object: p, relation: 'reader', user: u, kind: ['admin', 'contributor', 'group', 'org-admin'][kind] })
  }
  return { tuples, checks }
}

function distinct<T>(rand: () => number, items: readonly T[], n: number): T[] {
  const out = new Set<T>()
  while (out.size < Math.min(n, items.length)) out.add(pick(rand, items))
  return [...out]
}
