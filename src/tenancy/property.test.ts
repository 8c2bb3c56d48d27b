// Random tenancy worlds built through the real commands: the ACL (computed from the records) and
// the relationship engine (over the mirrored tuples) must agree for every principal, organization,
// project, scope and operation — before and after further changes — and the mirror kept by each
// change must equal a full rebuild. acl.test.ts names the scenarios; this finds the ones nobody named.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { Authz } from '../authz/index.ts'
import { relationshipUser, serviceSubject, subjectOf } from '../lib/index.ts'
import { describeEachBackend, type OpenStore } from '../../test/support/backends.ts'
import {
  createTenancy, IDENTITY_SCOPES, OPERATIONS, organizationObject, permissionObject, projectObject, SYSTEM_PRINCIPAL, SYSTEM_STORE_ID,
  TenancyError, TenancyErrorCodes, type Acl, type AclEndpoint, type Operation, type Principal, type RoleScopes, type ScopeGrants, type Tenancy,
} from './index.ts'

const sys = { actor: SYSTEM_PRINCIPAL }
const ISSUER = 'https://idp.example'
const USERS = 6
const POOL = ['compute:instances', 'kubernetes:clusters', 'identity:projects', 'region:networks']
// Built-in roles grant identity scopes, so those are asked of the engine too.
const CHECKED = [...new Set([...POOL, ...IDENTITY_SCOPES])]
const UPSTREAM = ['idp:eng', 'idp:ops', 'idp:finance', 'idp:everyone']
const ROLE_REFS = ['administrator', 'user', 'reader', 'c0', 'c1', 'c2']
const member = (u: number) => ({ id: `user-${u}`, issuer: ISSUER })
const userSubject = (u: number) => subjectOf(`user-${u}`, ISSUER)

// ---- worlds as plain data; indices are taken modulo what exists when they are applied ----

const grants = (pool: string[]): fc.Arbitrary<ScopeGrants> =>
  fc.dictionary(fc.constantFrom(...pool), fc.subarray([...OPERATIONS], { minLength: 1 }), { maxKeys: 3 })
const roleScopes: fc.Arbitrary<RoleScopes> = fc.record({
  organization: grants(POOL),
  project: grants(POOL),
  // Global grants count only through a global binding; bound to a group they must be ignored.
  global: grants([...POOL, 'identity:organizations']),
}, { requiredKeys: ['organization', 'project'] })
const indices = (n: number, max = n) => fc.subarray([...Array(n).keys()], { maxLength: max })

const groupSpec = fc.record({
  members: indices(USERS, 3),
  upstream: fc.subarray(UPSTREAM, { maxLength: 2 }),
  roles: fc.subarray(ROLE_REFS, { maxLength: 2 }),
  serviceAccounts: indices(2),
})
const orgSpec = fc.record({
  groups: fc.array(groupSpec, { maxLength: 4 }),
  serviceAccounts: fc.integer({ min: 0, max: 2 }),
  projects: fc.array(indices(4, 2), { maxLength: 3 }),
})
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('role' as const), role: fc.nat(), scopes: roleScopes }),
  fc.record({ kind: fc.constant('members' as const), org: fc.nat(), group: fc.nat(), keep: indices(USERS), keepUpstream: fc.subarray(UPSTREAM) }),
  fc.record({ kind: fc.constant('unshare' as const), org: fc.nat(), project: fc.nat(), drop: fc.nat() }),
  fc.record({ kind: fc.constant('delete-group' as const), org: fc.nat(), group: fc.nat() }),
  fc.record({ kind: fc.constant('delete-service-account' as const), org: fc.nat(), sa: fc.nat() }),
  fc.record({ kind: fc.constant('sign-in' as const), user: fc.nat(USERS - 1), groups: fc.subarray(UPSTREAM) }),
)
const world = fc.record({
  roles: fc.array(roleScopes, { maxLength: 3 }),
  orgs: fc.array(orgSpec, { minLength: 2, maxLength: 4 }),
  binding: fc.option(fc.record({ user: fc.nat(USERS - 1), roles: fc.subarray(['platform-administrator', 'c0', 'c1', 'c2'], { minLength: 1 }) }), { nil: undefined }),
  signIns: fc.array(fc.option(fc.subarray(UPSTREAM), { nil: undefined }), { minLength: USERS, maxLength: USERS }),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 5 }),
})
type World = typeof world extends fc.Arbitrary<infer W> ? W : never
type Mutation = World['mutations'][number]

async function build(t: Tenancy, w: World): Promise<void> {
  const customs: string[] = []
  for (const [i, scopes] of w.roles.entries()) customs.push((await t.roles.create(sys, { name: `custom-${i}`, scopes })).id)
  const roleIds = (refs: string[]) =>
    refs.map((r) => (/^c\d$/.test(r) ? customs[Number(r.slice(1))] : r)).filter((r): r is string => r !== undefined)
  for (const [oi, o] of w.orgs.entries()) {
    const org = await t.organizations.create(sys, { name: `org-${oi}` })
    const sas: string[] = []
    for (let s = 0; s < o.serviceAccounts; s++) sas.push((await t.serviceAccounts.create(sys, org.id, { name: `sa-${s}`, clientId: `org${oi}-sa${s}` })).id)
    const groups: string[] = []
    for (const [gi, g] of o.groups.entries()) {
      groups.push((await t.groups.create(sys, org.id, {
        name: `g-${gi}`, members: g.members.map(member), upstreamGroups: g.upstream, roleIds: roleIds(g.roles),
        serviceAccountIds: g.serviceAccounts.filter((i) => i < sas.length).map((i) => sas[i]),
      })).id)
    }
    for (const [pi, shared] of o.projects.entries()) {
      await t.projects.create(sys, org.id, { name: `p-${pi}`, groupIds: shared.filter((i) => i < groups.length).map((i) => groups[i]) })
    }
  }
  const bound = roleIds(w.binding?.roles ?? [])
  if (w.binding && bound.length > 0) await t.bindings.put(sys, { subject: member(w.binding.user), roleIds: bound })
  for (const [u, groups] of w.signIns.entries()) if (groups !== undefined) await t.signIn(userSubject(u), groups)
}

const nth = <T>(items: readonly T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length])

async function apply(t: Tenancy, m: Mutation): Promise<void> {
  const state = t.core.state
  const org = nth([...state.organizations.values()], 'org' in m ? m.org : 0)
  const groups = org ? state.groupsByOrg.get(org.id) ?? [] : []
  switch (m.kind) {
    case 'role': {
      const role = nth([...state.roles.values()].filter((r) => r.source !== 'builtin'), m.role)
      if (role) await t.roles.update(sys, role.id, { name: role.name, scopes: m.scopes })
      return
    }
    case 'members': {
      const g = nth(groups, m.group)
      if (!org || !g) return
      const keep = new Set(m.keep.map(userSubject))
      await t.groups.update(sys, org.id, g.id, {
        name: g.name, roleIds: g.roleIds, serviceAccountIds: g.serviceAccountIds,
        members: g.members.filter((x) => keep.has(subjectOf(x.id, x.issuer))), upstreamGroups: g.upstreamGroups.filter((u) => m.keepUpstream.includes(u)),
      })
      return
    }
    case 'unshare': {
      const p = org ? nth(state.projectsByOrg.get(org.id) ?? [], m.project) : undefined
      const drop = p ? nth(p.groupIds, m.drop) : undefined
      if (org && p && drop) await t.projects.update(sys, org.id, p.id, { name: p.name, groupIds: p.groupIds.filter((x) => x !== drop) })
      return
    }
    case 'delete-group': {
      const g = nth(groups, m.group)
      if (org && g) await t.groups.delete(sys, org.id, g.id)
      return
    }
    case 'delete-service-account': {
      const sa = org ? nth([...state.serviceAccounts.values()].filter((s) => s.organizationId === org.id), m.sa) : undefined
      if (org && sa) await t.serviceAccounts.delete(sys, org.id, sa.id)
      return
    }
    case 'sign-in':
      await t.signIn(userSubject(m.user), m.groups)
  }
}

// ---- the two answers, side by side ----

interface Expectation { user: string; relation: string; object: string; expected: boolean; why: string }

const granted = (endpoints: readonly AclEndpoint[] | undefined, scope: string, op: Operation) =>
  endpoints?.find((e) => e.name === scope)?.operations.includes(op) === true


function aclOrForbidden(t: Tenancy, actor: Principal, org: string): Acl | undefined {
  try {
    return t.acl({ actor }, org)
  } catch (err) {
    if (err instanceof TenancyError && err.code === TenancyErrorCodes.organizationForbidden) return undefined
    throw err
  }
}

async function principals(t: Tenancy): Promise<Principal[]> {
  const users = await Promise.all([...Array(USERS).keys()].map((u) => t.principalFor(userSubject(u), 'user')))
  const services = [...t.core.state.serviceAccounts.values()].map((sa): Principal => ({ kind: 'service', subject: serviceSubject(sa.clientId), upstreamGroups: [] }))
  return [...users, ...services]
}

/** What the ACL says, per principal × organization, as engine checks with the expected answer. */
async function expectations(t: Tenancy): Promise<Expectation[]> {
  const state = t.core.state
  const out: Expectation[] = []
  for (const p of await principals(t)) {
    const user = relationshipUser(p.subject)
    const visible = new Set(t.visibleOrganizations(p).map((o) => o.id))
    const expect = (relation: string, object: string, expected: boolean, why: string) => out.push({ user, relation, object, expected, why: `${p.subject}: ${why}` })
    let global: AclEndpoint[] | undefined
    for (const org of state.organizations.values()) {
      const acl = aclOrForbidden(t, p, org.id)
      const own = state.projectsByOrg.get(org.id) ?? []
      if (acl !== undefined) {
        assert.equal(acl.organization.id, org.id)
        for (const listed of acl.organization.projects) assert.ok(own.some((x) => x.id === listed.id), `ACL of ${org.name} lists a foreign project`)
        assert.deepEqual(t.projects.list({ actor: p }, org.id), acl.organization.projects, 'project listing equals the ACL')
        if (global !== undefined) assert.deepEqual(acl.global ?? [], global, 'global grants are the same in every organization')
        global = acl.global ?? []
      }
      expect('viewer', organizationObject(org.id), visible.has(org.id), `${org.name} visible`)
      for (const scope of CHECKED) {
        for (const op of OPERATIONS) expect(op, permissionObject(org.id, scope), granted(acl?.organization.endpoints, scope, op), `${org.name} ${scope} ${op}`)
      }
      for (const pr of own) {
        const entry = acl?.organization.projects.find((x) => x.id === pr.id)
        expect('viewer', projectObject(pr.id), entry !== undefined, `${org.name}/${pr.name} listed`)
        for (const scope of CHECKED) {
          for (const op of OPERATIONS) expect(op, permissionObject(pr.id, scope), granted(entry?.endpoints, scope, op), `${org.name}/${pr.name} ${scope} ${op}`)
        }
      }
    }
    // Refused everywhere: no ACL shows the global grants, so take them from the same state.
    global ??= [...state.globalGrants(p.subject)].map(([name, ops]) => ({ name, operations: OPERATIONS.filter((op) => ops.has(op)) }))
    for (const scope of CHECKED) for (const op of OPERATIONS) expect(op, permissionObject('global', scope), granted(global, scope, op), `global ${scope} ${op}`)
    for (const c of t.claimFor(p).organizations) {
      for (const g of c.groups) assert.equal(state.groups.get(g)?.organizationId, c.id, 'claims list only the organization\'s own groups')
    }
  }
  return out
}

const BATCH = 2000

async function assertEngineAgrees(t: Tenancy, authz: Authz): Promise<void> {
  const all = await expectations(t)
  const wrong: string[] = []
  for (let i = 0; i < all.length; i += BATCH) {
    const chunk = all.slice(i, i + BATCH)
    const body = { consistency: 'HIGHER_CONSISTENCY', checks: chunk.map((c, j) => ({ correlation_id: `c${j}`, tuple_key: { user: c.user, relation: c.relation, object: c.object } })) }
    const { result } = (await authz.batchCheck(SYSTEM_STORE_ID, body)) as { result: Record<string, { allowed?: boolean; error?: unknown }> }
    chunk.forEach((c, j) => {
      const r = result[`c${j}`]
      if (r.allowed !== c.expected) wrong.push(`${c.why}: ACL ${c.expected}, engine ${r.error ? JSON.stringify(r.error) : r.allowed}`)
    })
  }
  assert.deepEqual(wrong.slice(0, 8), [], `${wrong.length} of ${all.length} engine answers differ from the ACL`)
}

await describeEachBackend('tenancy ACL ⇔ engine (property)', (open: OpenStore) => {
  // A PostgreSQL world costs a database of its own: fewer there. PROPERTY_RUNS digs deeper locally.
  const runs = Number(process.env.PROPERTY_RUNS ?? 0) || (open.name.toLowerCase().includes('postgres') ? 6 : 30)
  it(`agrees on ${runs} random worlds, and the mirror needs no repair after further changes`, async () => {
    await fc.assert(fc.asyncProperty(world, async (w) => {
      const opened = await open()
      const t = createTenancy({ store: opened.store, upstreamIds: () => new Set(['idp']) })
      const authz = new Authz({ store: opened.store, readOnlyStores: [SYSTEM_STORE_ID], limits: { maxChecksPerBatchCheck: BATCH } })
      try {
        await t.start(false)
        await build(t, w)
        await assertEngineAgrees(t, authz)
        for (const m of w.mutations) await apply(t, m)
        assert.equal(await t.repairMirror(), 0, 'incremental mirroring equals a full rebuild')
        await assertEngineAgrees(t, authz)
      } finally {
        await authz.close()
        t.stop()
        await opened.close()
      }
    }), { numRuns: runs })
  })
})
