// The scale benchmark's data set (fixed seed), sized by a tuple count: organizations with nested
// groups, projects under organizations, documents under projects (most of the tuples), and a
// share of document viewers granted with a condition (an expiry), half of them expired at the
// benchmark's clock. Plus one user who sees exactly LIST_VISIBLE of the projects through nested
// groups and tuple-to-userset, for ListObjects.
import { pick, seeded } from '../lib/random.ts'
import type { Tuple } from '../check/dataset.ts'

export const SCALE_MODEL_DSL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type organization
  relations
    define admin: [user, group#member]
    define member: [user, group#member] or admin
type project
  relations
    define organization: [organization]
    define admin: [user, group#member] or admin from organization
    define viewer: [user, group#member] or admin
type document
  relations
    define project: [project]
    define owner: [user]
    define viewer: [user, group#member, user with not_expired] or owner or viewer from project

condition not_expired(now: timestamp, expires_at: timestamp) {
  now < expires_at
}
`

/** The time every conditional check is asked at; a conditional tuple expires before or after it. */
export const NOW = '2026-06-01T00:00:00Z'
export const CHECK_CONTEXT = { now: NOW }
export const LIST_USER = 'user:lister'
export const LIST_VISIBLE = 1000

export interface ScaleTuple extends Tuple {
  condition?: { name: string; context: Record<string, unknown> }
}

export interface ScaleCheck { object: string; relation: string; user: string }

export interface ScaleDataset {
  tuples: ScaleTuple[]
  /** document#viewer checks, half along real paths. */
  checks: ScaleCheck[]
  projects: number
}

/** ~`target` tuples; projects are a hundredth of it (at least 10 × LIST_VISIBLE). */
export function generateScale(target: number, checkCount = 20_000, seed = 7): ScaleDataset {
  const rand = seeded(seed)
  const tuples: ScaleTuple[] = []
  const projects = Math.max(10 * LIST_VISIBLE, Math.round(target / 100))
  const orgCount = Math.max(20, Math.round(projects / 100))
  const userCount = Math.max(2000, Math.round(target / 50))
  const groupsPerOrg = 20
  const users = Array.from({ length: userCount }, (_, i) => `user:u${i}`)

  // Each organization: 20 groups in three levels (team → department → everyone), users in teams.
  const orgGroups: string[][] = []
  const groupUsers = new Map<string, string[]>()
  for (let o = 0; o < orgCount; o++) {
    const org = `organization:o${o}`
    const gs = Array.from({ length: groupsPerOrg }, (_, i) => `group:o${o}g${i}`)
    orgGroups.push(gs)
    const [everyone, ...rest] = gs
    const departments = rest.slice(0, 4)
    const teams = rest.slice(4)
    for (const d of departments) tuples.push({ object: everyone, relation: 'member', user: `${d}#member` })
    for (const t of teams) tuples.push({ object: pick(rand, departments), relation: 'member', user: `${t}#member` })
    tuples.push({ object: org, relation: 'member', user: `${everyone}#member` })
    tuples.push({ object: org, relation: 'admin', user: `${departments[0]}#member` })
    for (let i = 0; i < 3; i++) tuples.push({ object: org, relation: 'admin', user: pick(rand, users) })
    for (const t of teams) {
      const members = distinct(rand, users, Math.max(3, Math.round(userCount * 2 / (orgCount * teams.length))))
      groupUsers.set(t, members)
      for (const u of members) tuples.push({ object: t, relation: 'member', user: u })
    }
  }

  const projectOrg: number[] = []
  for (let p = 0; p < projects; p++) {
    const o = Math.floor(rand() * orgCount)
    projectOrg.push(o)
    const obj = `project:p${p}`
    tuples.push({ object: obj, relation: 'organization', user: `organization:o${o}` })
    tuples.push({ object: obj, relation: 'admin', user: pick(rand, users) })
    for (const u of distinct(rand, users, 3)) tuples.push({ object: obj, relation: 'viewer', user: u })
    tuples.push({ object: obj, relation: 'viewer', user: `${pick(rand, orgGroups[o].slice(5))}#member` })
  }

  // The ListObjects user: member of a team nested twice (lister-team → lister-dept → lister-all).
  // lister-all administers organizations holding LIST_VISIBLE / 2 projects (tuple-to-userset);
  // lister-dept views LIST_VISIBLE / 2 other projects directly.
  tuples.push({ object: 'group:lister-team', relation: 'member', user: LIST_USER })
  tuples.push({ object: 'group:lister-dept', relation: 'member', user: 'group:lister-team#member' })
  tuples.push({ object: 'group:lister-all', relation: 'member', user: 'group:lister-dept#member' })
  const listOrgs = new Set<number>()
  const visible = new Set<number>()
  for (let p = 0; p < projects && visible.size < LIST_VISIBLE / 2; p++) {
    const o = projectOrg[p]
    if (listOrgs.has(o)) continue
    const inOrg = projectOrg.flatMap((x, i) => (x === o ? [i] : []))
    if (visible.size + inOrg.length > LIST_VISIBLE / 2) continue
    listOrgs.add(o)
    for (const i of inOrg) visible.add(i)
    tuples.push({ object: `organization:o${o}`, relation: 'admin', user: 'group:lister-all#member' })
  }
  for (let p = 0; visible.size < LIST_VISIBLE; p++) {
    if (visible.has(p) || listOrgs.has(projectOrg[p])) continue
    visible.add(p)
    tuples.push({ object: `project:p${p}`, relation: 'viewer', user: 'group:lister-dept#member' })
  }

  // Documents fill the rest: a project, an owner, viewers; one viewer in five has an expiry.
  const docUsers = new Map<string, string[]>()
  let d = 0
  while (tuples.length < target) {
    const obj = `document:d${d++}`
    const p = Math.floor(rand() * projects)
    tuples.push({ object: obj, relation: 'project', user: `project:p${p}` })
    const owner = pick(rand, users)
    tuples.push({ object: obj, relation: 'owner', user: owner })
    const viewers = distinct(rand, users, 2)
    docUsers.set(obj, [owner, ...viewers])
    for (const u of viewers) {
      if (rand() < 0.2) {
        const expires = rand() < 0.5 ? '2026-01-01T00:00:00Z' : '2027-01-01T00:00:00Z'
        tuples.push({ object: obj, relation: 'viewer', user: u, condition: { name: 'not_expired', context: { expires_at: expires } } })
      } else {
        tuples.push({ object: obj, relation: 'viewer', user: u })
      }
    }
    if (rand() < 0.1) tuples.push({ object: obj, relation: 'viewer', user: `${pick(rand, orgGroups[projectOrg[p]])}#member` })
  }

  const docs = [...docUsers.keys()]
  const checks: ScaleCheck[] = []
  while (checks.length < checkCount) {
    const doc = pick(rand, docs)
    const user = checks.length % 2 === 0 ? pick(rand, docUsers.get(doc)!) : pick(rand, users)
    checks.push({ object: doc, relation: 'viewer', user })
  }
  return { tuples, checks, projects }
}

/** Whether a tuple counts at NOW (conditions here are all `now < expires_at`). */
export function holdsNow(t: ScaleTuple): boolean {
  return !t.condition || Date.parse(String(t.condition.context.expires_at)) > Date.parse(NOW)
}

function distinct<T>(rand: () => number, items: readonly T[], n: number): T[] {
  const out = new Set<T>()
  while (out.size < Math.min(n, items.length)) out.add(pick(rand, items))
  return [...out]
}
