// What keeps an organization administrator inside the organization: protected roles stay the
// platform's also through group membership and project shares, sharing needs an organization
// grant, client ids are bound by the platform, a write authorizes against the state it commits
// on, and ACL caching follows what an ACL depends on.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { externalSubject } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createTenancy, SYSTEM_PRINCIPAL, type Principal, type Tenancy } from './index.ts'

const IDP = 'https://idp.example'
const sys = { actor: SYSTEM_PRINCIPAL }
const as = (sub: string, upstreamGroups: string[] = []) => ({ actor: { kind: 'user', subject: externalSubject(IDP, sub), upstreamGroups } as Principal })
const member = (id: string) => ({ id, issuer: IDP })

describe('tenancy guards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-guards-'))
  let stores: Store[] = []
  let t: Tenancy
  let stale: Tenancy

  before(async () => {
    // Two replicas on one database; `stale` does not follow the other's writes.
    stores = [await openSqliteStore({ path: join(dir, 'g.db') }), await openSqliteStore({ path: join(dir, 'g.db') })]
    await stores[0].migrate()
    t = createTenancy({ store: stores[0] })
    stale = createTenancy({ store: stores[1] })
    await t.start(false)
    await t.organizations.create(sys, { name: 'acme' })
    await t.roles.create(sys, { name: 'billing-owner', protected: true, scopes: { organization: { 'billing:invoices': ['create', 'read', 'update', 'delete'] } } })
    await t.roles.create(sys, { name: 'project-owner', scopes: { project: { 'identity:projects': ['read', 'update'] }, organization: { 'identity:organizations': ['read'] } } })
    await t.groups.create(sys, 'acme', { name: 'admins', members: [member('ada')], roleIds: ['administrator'] })
    await t.groups.create(sys, 'acme', { name: 'finance', members: [member('fay')], roleIds: ['billing-owner'] })
    const owners = await t.groups.create(sys, 'acme', { name: 'owners', members: [member('pete')], roleIds: ['project-owner'] })
    await t.groups.create(sys, 'acme', { name: 'infra', members: [member('pete')], roleIds: ['user'] })
    await t.projects.create(sys, 'acme', { name: 'web', groupIds: [owners.id] })
    await stale.start(false)
  })
  after(async () => {
    for (const s of stores) await s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('an administrator cannot add anyone to a group holding a protected role, nor share projects with it', async () => {
    await assert.rejects(t.groups.update(as('ada'), 'acme', 'finance', { name: 'finance', members: [member('fay'), member('mallory')], roleIds: ['billing-owner'] }), { code: 'protected_role' })
    await assert.rejects(t.groups.update(as('ada'), 'acme', 'finance', { name: 'finance', members: [member('fay')], upstreamGroups: ['corp:everyone'], roleIds: ['billing-owner'] }), { code: 'protected_role' })
    await assert.rejects(t.projects.create(as('ada'), 'acme', { name: 'ledger', groupIds: ['finance'] }), { code: 'protected_role' })
    // The platform can; and the administrator still manages ordinary groups.
    await t.groups.update(sys, 'acme', 'finance', { name: 'finance', members: [member('fay'), member('fred')], roleIds: ['billing-owner'] })
    await t.groups.create(as('ada'), 'acme', { name: 'devs', members: [member('dan')], roleIds: ['user'] })
  })

  it('a grant inside a project lets its holder change the project but not whom it is shared with', async () => {
    const changed = await t.projects.update(as('pete'), 'acme', 'web', { name: 'web', displayName: 'Web shop', groupIds: ['owners'] })
    assert.equal(changed.displayName, 'Web shop')
    await assert.rejects(t.projects.update(as('pete'), 'acme', 'web', { name: 'web', groupIds: ['owners', 'infra'] }), { code: 'permission_denied' })
  })

  it('binding a client to an organization is the platform\'s call', async () => {
    await assert.rejects(t.serviceAccounts.create(as('ada'), 'acme', { name: 'ci', clientId: 'globex-ci' }), { code: 'permission_denied' })
    await t.serviceAccounts.create(sys, 'acme', { name: 'ci', clientId: 'acme-ci' })
    const renamed = await t.serviceAccounts.update(as('ada'), 'acme', 'ci', { name: 'ci', description: 'deploys', clientId: 'acme-ci' })
    assert.equal(renamed.description, 'deploys')
    await assert.rejects(t.serviceAccounts.update(as('ada'), 'acme', 'ci', { name: 'ci', clientId: 'globex-ci' }), { code: 'permission_denied' })
  })

  it('a write computed on a stale state is authorized again on the fresh one', async () => {
    // Another replica removes ada from the administrators; this one has not heard of it yet.
    await t.groups.update(sys, 'acme', 'admins', { name: 'admins', members: [], roleIds: ['administrator'] })
    assert.ok(stale.core.state.revision < t.core.state.revision)
    await assert.rejects(stale.groups.create(as('ada'), 'acme', { name: 'backdoor', members: [member('ada')], roleIds: ['administrator'] }), { code: 'organization_forbidden' })
    await stale.core.reload()
    assert.equal(stale.core.state.groupsByOrg.get(stale.core.state.orgByName.get('acme')!.id)!.some((g) => g.name === 'backdoor'), false)
  })

  it('ACLs are shared by callers of the same standing, whatever else their tokens say', () => {
    const a = t.acl(as('fay'), 'acme')
    assert.equal(t.acl(as('fay', ['corp:noise-1', 'corp:noise-2']), 'acme'), a)
    assert.equal(t.acl(as('fred'), 'acme'), a, 'another member of exactly the same groups')
    assert.notEqual(t.acl(as('dan'), 'acme'), a)
  })
})
