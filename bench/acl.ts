// `npm run bench -- acl [--quick]`: the ACL of one member of a large organization (1,000 projects,
// 10,000 members over 300 groups; the measured user is in 20 of them, 8 through upstream groups),
// (a) from stored state (the user's upstream groups read from the store, as the API does) and
// (b) from claims alone, next to the baseline from the same run: a naive evaluator looping over
// plain arrays. Every ACL is compared with the naive one, so a fast wrong answer cannot pass.
// Also prints the world's build time, a state rebuild and a full mirror comparison.
// (c) over HTTP: GET /api/v1/organizations/<org>/acl on the real Fastify server over the same
// world, the caller a trusted external issuer's JWT (claims only; JWKS served locally), at 1 and
// 16 connections next to bare node:http answering the same bytes. `--duration S` per HTTP row.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { subjectOf } from '../src/lib/index.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import type { TenancyRecord } from '../src/store/index.ts'
import {
  allTuples, builtinRoleId, createTenancy, OPERATIONS, SYSTEM_STORE_ID, TenancyState,
  type Acl, type AclEndpoint, type Group, type Operation, type Organization, type Principal, type Project, type Role, type RoleScopes,
} from '../src/tenancy/index.ts'
import { groupRecord, organizationRecords, projectRecords, roleRecord } from '../src/tenancy/records.ts'
import { benchAclHttp } from './lib/acl-http.ts'
import { rateFigures, reportFigures } from './lib/figures.ts'
import { intBelow, pick, seeded } from './lib/random.ts'
import { median, printTable, summarize, timeEach, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, duration: { type: 'string' } },
})
const ITERATIONS = opts.quick ? 300 : 3000
const DURATION = Number(opts.duration ?? (opts.quick ? 3 : 10))
const PROJECTS = 1000
const MEMBERS = 10_000
const GROUPS = 300
const SHARES_PER_PROJECT = 3
const ISSUER = 'https://idp.example'
const SCOPES = ['compute:instances', 'compute:flavors', 'kubernetes:clusters', 'region:networks', 'storage:buckets', 'dns:zones', 'monitoring:dashboards', 'billing:invoices']

// ---- the world: plain documents, deterministic ----

const rand = seeded(42)
const NOW = '2025-01-01T00:00:00.000Z'
const stamp = { source: 'api' as const, createdAt: NOW, updatedAt: NOW }
const uuid = (kind: number, i: number) => `00000000-0000-4000-8${kind}00-${String(i).padStart(12, '0')}`
const member = (i: number) => ({ id: `user-${i}`, issuer: ISSUER, email: `user-${i}@example.com` })
const opsSubset = (): Operation[] => OPERATIONS.filter(() => rand() < 0.5)

function randomGrants(n: number): Record<string, Operation[]> {
  const out: Record<string, Operation[]> = {}
  for (let i = 0; i < n; i++) {
    const ops = opsSubset()
    out[pick(rand, SCOPES)] = ops.length > 0 ? ops : ['read']
  }
  return out
}

const org: Organization = {
  id: uuid(1, 0), name: 'acme', displayName: 'Acme', description: '', domains: ['acme.example'], upstreams: ['idp'], namespace: 'acme', ...stamp,
}
const customRoles: Role[] = Array.from({ length: 12 }, (_, i) => ({
  id: uuid(2, i), name: `custom-${i}`, description: '', protected: false, ...stamp,
  scopes: { organization: randomGrants(2), project: randomGrants(3) } satisfies RoleScopes,
}))
// Reader (organization-wide project read) goes to one group only: everyone else sees what is shared.
const roleChoices = [...customRoles.map((r) => r.id), builtinRoleId('user')]
// The measured user (user-0): explicit in 12 groups, in 8 more through the upstream groups it signs in with.
const EXPLICIT = new Set(Array.from({ length: 12 }, (_, i) => i * 7))
const VIA_UPSTREAM = new Set(Array.from({ length: 8 }, (_, i) => 100 + i * 11))
const groups: Group[] = Array.from({ length: GROUPS }, (_, i) => ({
  id: uuid(3, i), organizationId: org.id, name: `team-${i}`, description: '', ...stamp,
  members: [], serviceAccountIds: [],
  upstreamGroups: VIA_UPSTREAM.has(i) || i % 10 === 3 ? [`idp:team-${i}`] : [],
  roleIds: [...new Set([pick(rand, roleChoices), pick(rand, roleChoices)])],
}))
groups[GROUPS - 1].roleIds = [builtinRoleId('reader')]
for (let m = 1; m < MEMBERS; m++) groups[intBelow(rand, GROUPS)].members.push(member(m))
for (const g of EXPLICIT) groups[g].members.push(member(0))
const projects: Project[] = Array.from({ length: PROJECTS }, (_, i) => ({
  id: uuid(4, i), organizationId: org.id, name: `project-${String(i).padStart(4, '0')}`, displayName: `Project ${i}`, description: '',
  namespace: `acme-project-${i}`, ...stamp,
  groupIds: [...new Set(Array.from({ length: SHARES_PER_PROJECT }, () => groups[intBelow(rand, GROUPS)].id))],
}))
const subject = subjectOf('user-0', ISSUER)
const upstreamGroups = [...[...VIA_UPSTREAM].map((g) => `idp:team-${g}`), ...Array.from({ length: 22 }, (_, i) => `idp:unrelated-${i}`)]

// ---- the baseline: loops over plain arrays, no indexes ----

// Canonical subjects are computed once, as the store's records would carry them; hashing per call
// would make the baseline slow for a reason that has nothing to do with evaluating the ACL.
const plainGroups = groups.map((g) => ({ id: g.id, roleIds: g.roleIds, upstreamGroups: g.upstreamGroups, subjects: g.members.map((m) => subjectOf(m.id, m.issuer)) }))
type PlainGroup = (typeof plainGroups)[number]

function naiveAcl(roles: readonly Role[]): Acl {
  const grantsOf = (g: PlainGroup, level: 'organization' | 'project', into: Map<string, Set<Operation>>) => {
    for (const rid of g.roleIds) {
      const role = roles.find((r) => r.id === rid)
      for (const [scope, ops] of Object.entries(role?.scopes[level] ?? {})) {
        const set = into.get(scope) ?? new Set<Operation>()
        for (const op of ops) set.add(op)
        into.set(scope, set)
      }
    }
  }
  const toEndpoints = (m: Map<string, Set<Operation>>): AclEndpoint[] => [...m].filter(([, ops]) => ops.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, ops]) => ({ name, operations: OPERATIONS.filter((op) => ops.has(op)) }))
  const mine = plainGroups.filter((g) => g.subjects.includes(subject) || g.upstreamGroups.some((u) => upstreamGroups.includes(u)))
  const orgGrants = new Map<string, Set<Operation>>()
  for (const g of mine) grantsOf(g, 'organization', orgGrants)
  const seeAll = orgGrants.get('identity:projects')?.has('read') === true
  const visible = []
  for (const p of projects) {
    const shared = mine.filter((g) => p.groupIds.includes(g.id))
    if (shared.length === 0 && !seeAll) continue
    const grants = new Map<string, Set<Operation>>()
    for (const g of shared) grantsOf(g, 'project', grants)
    visible.push({ id: p.id, name: p.name, endpoints: toEndpoints(grants) })
  }
  visible.sort((a, b) => (a.name < b.name ? -1 : 1))
  return { organization: { id: org.id, name: org.name, endpoints: toEndpoints(orgGrants), projects: visible } }
}

// ---- build through the real store ----

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-acl-'))
const store = await openSqliteStore({ path: join(dir, 'bench.db') })
await store.migrate()
const tenancy = createTenancy({ store, upstreamIds: () => new Set(['idp']) })
await tenancy.start(false)
try {
  const put: TenancyRecord[] = [
    ...organizationRecords(org), ...customRoles.map(roleRecord), ...groups.map(groupRecord), ...projects.flatMap(projectRecords),
  ]
  const buildStart = process.hrtime.bigint()
  const before = await store.tenancy.load()
  const next = new TenancyState(before.revision + 1, [...before.records, ...put])
  const writes = allTuples(next)
  await store.tenancy.commit({ expectedRevision: before.revision, put, remove: [], tuples: { storeId: SYSTEM_STORE_ID, writes, deletes: [] }, audit: [] })
  await tenancy.core.reload()
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6
  await tenancy.signIn(subject, upstreamGroups)

  const records = (await store.tenancy.load()).records
  const rebuilds: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint()
    void new TenancyState(0, records)
    rebuilds.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  const mirrorStart = process.hrtime.bigint()
  const repaired = await tenancy.repairMirror()
  const mirrorMs = Number(process.hrtime.bigint() - mirrorStart) / 1e6
  if (repaired !== 0) console.log(`!! the full mirror comparison repaired ${repaired} tuples`)

  console.log(`world: 1 organization, ${PROJECTS} projects, ${MEMBERS} members in ${GROUPS} groups; ${put.length} records and ${writes.length} tuples`)
  console.log(`built in ${buildMs.toFixed(0)} ms (one tenancy commit, then a state reload)`)
  console.log(`state rebuild (new TenancyState over ${records.length} records): median ${median(rebuilds).toFixed(1)} ms of 5`)
  console.log(`full mirror comparison (repairMirror: reload, snapshot, diff): ${mirrorMs.toFixed(0)} ms`)

  // Every path must give the naive evaluator's answer before it is timed.
  const roles = [...tenancy.core.state.roles.values()]
  const expected = naiveAcl(roles)
  const fromClaims: Principal = { kind: 'user', subject, upstreamGroups }
  assert.deepEqual(tenancy.acl({ actor: fromClaims }, org.id), expected, 'ACL from claims differs from the naive evaluator')
  assert.deepEqual(tenancy.acl({ actor: await tenancy.principalFor(subject, 'user') }, org.id), expected, 'ACL from stored state differs from the naive evaluator')
  const mine = expected.organization.projects.length
  console.log(`the measured user sees ${mine} of ${PROJECTS} projects (${expected.organization.endpoints.length} organization endpoints)`)

  const items = Array.from({ length: ITERATIONS }, (_, i) => i)
  const warm = Math.min(200, ITERATIONS)
  for (let i = 0; i < warm; i++) {
    naiveAcl(roles)
    tenancy.acl({ actor: fromClaims }, org.id)
    tenancy.acl({ actor: await tenancy.principalFor(subject, 'user') }, org.id)
  }
  const naiveRun = await timeEach(items, () => naiveAcl(roles))
  const claimsRun = await timeEach(items, () => tenancy.acl({ actor: { kind: 'user', subject, upstreamGroups } }, org.id))
  const storedRun = await timeEach(items, async () => tenancy.acl({ actor: await tenancy.principalFor(subject, 'user') }, org.id))
  const rows: Summary[] = [
    summarize('naive evaluator (plain arrays)', naiveRun.latencies, naiveRun.elapsedNs),
    summarize('ACL from claims', claimsRun.latencies, claimsRun.elapsedNs),
    summarize('ACL from stored state', storedRun.latencies, storedRun.elapsedNs),
  ]
  printTable(`tenancy ACL (SQLite file; ${mine} of ${PROJECTS} projects visible)`, rows, {
    'ACL from claims': 'naive evaluator (plain arrays)',
    'ACL from stored state': 'naive evaluator (plain arrays)',
  })

  // (c) The same question over HTTP, from a token's claims: sub and the unqualified upstream groups.
  const http = await benchAclHttp({
    store, tenancy, issuer: ISSUER, groupPrefix: 'idp', sub: 'user-0', groups: upstreamGroups.map((g) => g.slice('idp:'.length)),
    organization: org.id, expected: tenancy.acl({ actor: fromClaims }, org.id), duration: DURATION, connections: [1, 16],
  })
  printTable(`HTTP ACL (${(http.bodyBytes / 1024).toFixed(1)} KiB answer, the baseline answers the same bytes; ${DURATION} s per row; ` +
    `JWKS fetched ${http.jwksFetches}×)`, http.rows, http.vs)
  for (const f of http.failures) console.log(`!! ${f}`)
  if (http.failures.length > 0) throw new Error(`wrong ACL answers over HTTP: ${http.failures.length}`)
  reportFigures([
    ...rateFigures('acl', rows, { 'ACL from claims': rows[0]!.label, 'ACL from stored state': rows[0]!.label }),
    ...rateFigures('acl', http.rows, http.vs),
  ])
} finally {
  tenancy.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
