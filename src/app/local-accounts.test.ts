// The bootstrap admin's global binding: made once at start, as `builtin`, so the admin is still
// admitted (and a platform administrator) once organizations exist; an operator's change stays.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { localSubject } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { builtinRoleId, createTenancy, PLATFORM_ADMINISTRATOR, SYSTEM_PRINCIPAL, type Tenancy } from '../tenancy/index.ts'
import { ensureAdminBinding } from './local-accounts.ts'

describe('bootstrap admin binding', () => {
  let store: Store
  let tenancy: Tenancy
  const sys = { actor: SYSTEM_PRINCIPAL }

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    tenancy = createTenancy({ store })
    await tenancy.start(false)
  })
  after(async () => {
    tenancy.stop()
    await store.close()
  })

  it('binds the admin to platform-administrator once, and the admin stays a member when organizations exist', async () => {
    assert.equal(await ensureAdminBinding(tenancy, 'Admin'), true)
    assert.equal(await ensureAdminBinding(tenancy, 'Admin'), false, 'a restart writes nothing')
    const binding = tenancy.core.state.bindingBySubject.get(localSubject('admin'))
    assert.deepEqual(binding?.subject, { id: 'Admin', issuer: 'local' })
    assert.deepEqual(binding?.roleIds, [builtinRoleId(PLATFORM_ADMINISTRATOR)])
    assert.equal(binding?.source, 'builtin')

    await tenancy.organizations.create(sys, { name: 'acme' })
    assert.equal((await tenancy.signIn(localSubject('admin'), [])).member, true)
    assert.equal((await tenancy.signIn(localSubject('someone'), [])).member, false)
    const entries = await store.audit.list({ action: 'global_binding.*', limit: 10 })
    assert.deepEqual(entries.entries.map((e) => [e.action, e.actor]), [['global_binding.create', 'system']])
  })

  it('leaves a binding an operator changed alone', async () => {
    await tenancy.bindings.put(sys, { subject: { id: 'root', issuer: 'local' }, roleIds: ['reader'] })
    assert.equal(await ensureAdminBinding(tenancy, 'root'), false)
    assert.deepEqual(tenancy.core.state.bindingBySubject.get(localSubject('root'))?.roleIds, [builtinRoleId('reader')])
  })
})
