// The ACL scenarios a platform relies on, on both backends, each also asked of the relationship
// engine over the mirrored system store.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { Authz } from '../authz/index.ts'
import { externalSubject, localSubject, relationshipUser, serviceSubject } from '../lib/index.ts'
import { describeEachBackend, type OpenedStore } from '../../test/support/backends.ts'
import { createTenancy, permissionObject, projectObject, SYSTEM_STORE_ID, SYSTEM_PRINCIPAL, type Principal, type Tenancy } from './index.ts'

const OKTA = 'https://okta.example'
const sys = { actor: SYSTEM_PRINCIPAL }
const user = (sub: string, upstreamGroups: string[] = []): Principal => ({ kind: 'user', subject: externalSubject(OKTA, sub), upstreamGroups })
const member = (sub: string) => ({ id: sub, issuer: OKTA, email: `${sub}@acme.com` })

await describeEachBackend('tenancy ACL', (open) => {
  let opened: OpenedStore
  let tenancy: Tenancy
  let authz: Authz
  const ids: Record<string, string> = {}

  before(async () => {
    opened = await open()
    tenancy = createTenancy({ store: opened.store, upstreamIds: () => new Set(['okta']) })
    await tenancy.start(false)
    authz = new Authz({ store: opened.store, readOnlyStores: [SYSTEM_STORE_ID] })
    const acme = await tenancy.organizations.create(sys, { name: 'acme', domains: ['acme.com'], upstreams: ['okta'] })
    const other = await tenancy.organizations.create(sys, { name: 'globex' })
    ids.acme = acme.id
    ids.globex = other.id
    const compute = await tenancy.roles.create(sys, { name: 'compute', scopes: { organization: { 'compute:flavors': ['read'] }, project: { 'compute:instances': ['create', 'read', 'update', 'delete'] } } })
    const viewer = await tenancy.roles.create(sys, { name: 'cluster-viewer', scopes: { project: { 'kubernetes:clusters': ['read'] }, organization: { 'compute:flavors': ['read'] } } })
    const g = async (org: string, spec: Record<string, unknown>) => (await tenancy.groups.create(sys, org, spec)).id
    ids.devs = await g('acme', { name: 'devs', members: [member('alice')], roleIds: [compute.id, 'user'] })
    ids.viewers = await g('acme', { name: 'viewers', members: [member('alice'), member('bob')], roleIds: [viewer.id] })
    ids.readers = await g('acme', { name: 'billing', members: [member('rita')], roleIds: ['reader'] })
    ids.admins = await g('acme', { name: 'admins', members: [member('ada')], roleIds: ['administrator'] })
    ids.platform = await g('acme', { name: 'platform-engineers', upstreamGroups: ['okta:platform-engineers'], roleIds: [compute.id] })
    const sa = await tenancy.serviceAccounts.create(sys, 'acme', { name: 'ci', clientId: 'acme-ci' })
    ids.robots = await g('acme', { name: 'robots', serviceAccountIds: [sa.id], roleIds: [viewer.id] })
    await tenancy.serviceAccounts.create(sys, 'globex', { name: 'deployer', clientId: 'globex-deployer' })
    const p = async (name: string, groupIds: string[]) => (await tenancy.projects.create(sys, 'acme', { name, groupIds })).id
    ids.web = await p('web', [ids.devs, ids.viewers])
    ids.data = await p('data', [ids.viewers, ids.robots])
    ids.secret = await p('secret', [])
    ids.infra = await p('infra', [ids.platform])
    await tenancy.bindings.put(sys, { subject: { id: 'root', issuer: 'local' }, roleIds: ['platform-administrator'] })
  })
  after(async () => {
    await authz.close()
    tenancy.stop()
    await opened.close()
  })

  const check = async (who: string, relation: string, object: string) =>
    ((await authz.check(SYSTEM_STORE_ID, { tuple_key: { user: who, relation, object }, consistency: 'HIGHER_CONSISTENCY' })) as { allowed: boolean }).allowed

  it('a user in two groups gets the union of their roles on overlapping projects', async () => {
    const acl = tenancy.acl({ actor: user('alice') }, 'acme')
    assert.equal(acl.global, undefined)
    assert.deepEqual(acl.organization.endpoints, [{ name: 'compute:flavors', operations: ['read'] }, { name: 'identity:organizations', operations: ['read'] }])
    assert.deepEqual(acl.organization.projects.map((p) => [p.name, p.endpoints]), [
      ['data', [{ name: 'kubernetes:clusters', operations: ['read'] }]],
      ['web', [
        { name: 'compute:instances', operations: ['create', 'read', 'update', 'delete'] },
        { name: 'identity:projects', operations: ['read'] },
        { name: 'kubernetes:clusters', operations: ['read'] },
      ]],
    ])
    const alice = relationshipUser(externalSubject(OKTA, 'alice'))
    assert.equal(await check(alice, 'delete', permissionObject(ids.web, 'compute:instances')), true)
    assert.equal(await check(alice, 'delete', permissionObject(ids.data, 'compute:instances')), false)
    assert.equal(await check(alice, 'viewer', projectObject(ids.secret)), false)
  })

  it('a reader reads everything and changes nothing', async () => {
    const acl = tenancy.acl({ actor: user('rita') }, 'acme')
    for (const e of acl.organization.endpoints) assert.deepEqual(e.operations, ['read'], e.name)
    assert.deepEqual(acl.organization.projects.map((p) => p.name), ['data', 'infra', 'secret', 'web'])
    for (const p of acl.organization.projects) assert.deepEqual(p.endpoints, [])
    await assert.rejects(tenancy.projects.create({ actor: user('rita') }, 'acme', { name: 'new' }), { code: 'permission_denied' })
  })

  it('an administrator sees every project and manages the organization', async () => {
    const acl = tenancy.acl({ actor: user('ada') }, 'acme')
    assert.deepEqual(acl.organization.projects.map((p) => p.name), ['data', 'infra', 'secret', 'web'])
    assert.deepEqual(acl.organization.endpoints.find((e) => e.name === 'identity:groups')?.operations, ['create', 'read', 'update', 'delete'])
    assert.equal(await check(relationshipUser(externalSubject(OKTA, 'ada')), 'viewer', projectObject(ids.secret)), true)
    const made = await tenancy.projects.create({ actor: user('ada') }, 'acme', { name: 'made-by-ada' })
    await tenancy.projects.delete({ actor: user('ada') }, 'acme', made.id)
    // Organization-wide acts stay with the platform.
    await assert.rejects(tenancy.organizations.update({ actor: user('ada') }, 'acme', { domains: ['gmail.com'] }), { code: 'permission_denied' })
    await assert.rejects(tenancy.groups.update({ actor: user('ada') }, 'acme', 'admins', { name: 'admins', members: [member('ada')], roleIds: ['platform-administrator'] }), { code: 'protected_role' })
  })

  it('a platform administrator gets the global ACL in any organization', async () => {
    const acl = tenancy.acl({ actor: { kind: 'user', subject: localSubject('root'), upstreamGroups: [] } }, 'globex')
    assert.ok(acl.global !== undefined)
    const names = acl.global.map((e) => e.name)
    for (const scope of ['compute:instances', 'kubernetes:clusters', 'identity:organizations']) assert.ok(names.includes(scope), scope)
    for (const e of acl.global) assert.deepEqual(e.operations, ['create', 'read', 'update', 'delete'])
    assert.equal(await check(relationshipUser(localSubject('root')), 'delete', permissionObject('global', 'kubernetes:clusters')), true)
  })

  it('a non-member is refused with organization_forbidden, and so is an unknown organization', () => {
    assert.throws(() => tenancy.acl({ actor: user('mallory') }, 'acme'), { code: 'organization_forbidden', status: 403 })
    assert.throws(() => tenancy.acl({ actor: user('alice') }, 'globex'), { code: 'organization_forbidden' })
    assert.throws(() => tenancy.acl({ actor: user('alice') }, 'no-such-org'), { code: 'organization_forbidden' })
  })

  it('a service account gets its groups\' grants at home and the same error elsewhere', async () => {
    const robot: Principal = { kind: 'service', subject: serviceSubject('acme-ci'), upstreamGroups: [] }
    const acl = tenancy.acl({ actor: robot }, 'acme')
    assert.deepEqual(acl.organization.projects.map((p) => p.name), ['data'])
    assert.throws(() => tenancy.acl({ actor: robot }, 'globex'), { code: 'organization_forbidden', status: 403 })
    assert.equal(await check(relationshipUser(serviceSubject('acme-ci')), 'read', permissionObject(ids.data, 'kubernetes:clusters')), true)
    const deployer: Principal = { kind: 'service', subject: serviceSubject('globex-deployer'), upstreamGroups: [] }
    assert.throws(() => tenancy.acl({ actor: deployer }, 'acme'), { code: 'organization_forbidden' })
  })

  it('membership through an upstream group follows each sign-in', async () => {
    const subject = externalSubject(OKTA, 'pat')
    const pat = relationshipUser(subject)
    const first = await tenancy.signIn(subject, ['okta:platform-engineers', 'okta:everyone'])
    assert.equal(first.member, true)
    const acl = tenancy.acl({ actor: await tenancy.principalFor(subject, 'user') }, 'acme')
    assert.deepEqual(acl.organization.projects.map((p) => p.name), ['infra'])
    assert.equal(await check(pat, 'create', permissionObject(ids.infra, 'compute:instances')), true)
    const claims = await tenancy.claims(subject, 'user')
    assert.deepEqual(claims.organizations, [{ id: ids.acme, name: 'acme', groups: [ids.platform] }])

    assert.equal(await tenancy.admitted(subject), true)
    const second = await tenancy.signIn(subject, ['okta:everyone'])
    assert.equal(second.member, false)
    assert.equal(await tenancy.admitted(subject), false, 'a session of a user who left every organization is not honoured')
    assert.throws(() => tenancy.acl({ actor: second.principal }, 'acme'), { code: 'organization_forbidden' })
    const stored = await tenancy.principalFor(subject, 'user')
    assert.throws(() => tenancy.acl({ actor: stored }, 'acme'), { code: 'organization_forbidden' })
    assert.equal(await check(pat, 'create', permissionObject(ids.infra, 'compute:instances')), false)
    const audit = await opened.store.audit.list({ action: 'membership.sync', limit: 10 })
    assert.deepEqual(audit.entries.map((e) => e.details), [
      { added: [], removed: ['okta:platform-engineers'] },
      { added: ['okta:everyone', 'okta:platform-engineers'], removed: [] },
    ])
  })

  it('changing a role changes every binding at once, in the engine too', async () => {
    const bob = relationshipUser(externalSubject(OKTA, 'bob'))
    assert.equal(await check(bob, 'update', permissionObject(ids.web, 'kubernetes:clusters')), false)
    const earlier = tenancy.acl({ actor: user('bob') }, 'acme')
    assert.equal(tenancy.acl({ actor: user('bob') }, 'acme'), earlier, 'the same state answers from its cache')
    assert.throws(() => { (earlier.organization.projects as unknown[]).push({}) }, TypeError, 'a cached ACL cannot be changed by a caller')
    await tenancy.roles.update(sys, 'cluster-viewer', { name: 'cluster-viewer', scopes: { project: { 'kubernetes:clusters': ['read', 'update'] } } })
    const acl = tenancy.acl({ actor: user('bob') }, 'acme')
    assert.deepEqual(acl.organization.projects.find((p) => p.name === 'web')?.endpoints, [{ name: 'kubernetes:clusters', operations: ['read', 'update'] }])
    assert.equal(await check(bob, 'update', permissionObject(ids.web, 'kubernetes:clusters')), true)
    assert.equal(await tenancy.repairMirror(), 0, 'incremental mirroring left nothing for a full rebuild to fix')
  })

  it('the system store is read-only through the OpenFGA API', async () => {
    await assert.rejects(authz.write(SYSTEM_STORE_ID, { writes: { tuple_keys: [{ user: 'user:x', relation: 'member', object: `group:${ids.devs}` }] } }), { code: 'forbidden', status: 403 })
    await assert.rejects(authz.deleteStore(SYSTEM_STORE_ID), { code: 'forbidden' })
  })
})
