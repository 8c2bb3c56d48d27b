// What a sign-in tells provisioning about the user's organizations: group names, not the ids the
// membership claim holds, so conditions and group sync on `<org>/<group>` match.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { provisioningSchema } from '../config/index.ts'
import { userEvent } from '../provisioning/index.ts'
import { compileRules, groupSyncTuples, matches } from '../provisioning/rules.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createTenancy, SYSTEM_PRINCIPAL, type Tenancy } from '../tenancy/index.ts'
import { provisioningUser } from './provisioning.ts'

describe('provisioning view of a signed-in user', () => {
  let store: Store
  let tenancy: Tenancy
  const sys = { actor: SYSTEM_PRINCIPAL }

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    tenancy = createTenancy({ store })
    await tenancy.start(false)
    await tenancy.organizations.create(sys, { name: 'acme' })
    await tenancy.groups.create(sys, 'acme', { name: 'devs', upstreamGroups: ['corp:devs'] })
    await tenancy.groups.create(sys, 'acme', { name: 'ops', upstreamGroups: ['corp:ops'] })
  })
  after(async () => {
    tenancy.stop()
    await store.close()
  })

  it('names the organization groups, so `<org>/<group>` conditions and organization group sync match', () => {
    const claim = tenancy.claimFor({ kind: 'user', subject: 'ext:pat', upstreamGroups: ['corp:devs', 'corp:ops'] })
    const user = provisioningUser(
      { subject: 'ext:pat', issuer: 'https://idp.example', username: 'pat', groups: ['devs', 'ops'], upstream: 'corp' },
      claim, (id) => tenancy.core.state.groups.get(id)?.name,
    )
    assert.deepEqual(user.organizations.map((o) => [o.name, o.groups]), [['acme', ['devs', 'ops']]])
    assert.deepEqual(user.upstreamGroups, ['corp:devs', 'corp:ops'])
    const event = userEvent('user.signed_in', user, { now: () => new Date() })
    assert.equal(matches({ groups: { anyOf: ['acme/ops'] } }, event), true)
    const { rules } = compileRules(provisioningSchema.parse({
      rules: [{ id: 'sync', on: ['user.signed_in'], groupSync: { store: 's', source: 'organizations', object: 'group:{{ group }}', relation: 'member', user: 'user:{{ user.username }}' } }],
    }))
    assert.deepEqual(groupSyncTuples(rules.get('sync')!.groupSync!, event).map((t) => t.object), ['group:acme/devs', 'group:acme/ops'])
  })
})
