// Tenancy projects provisioned like personal ones: creating, renaming, re-sharing and deleting a
// project (or its organization) enqueues project events in the same commit, and an Incus rule on
// them creates, updates and retires one Incus project per tenancy project.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { provisioningSchema } from '../config/index.ts'
import { createProvisioning, type DeliveryTargets, type IncusTarget } from '../provisioning/index.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createTenancy, SYSTEM_PRINCIPAL } from '../tenancy/index.ts'
import { projectItems } from './provisioning.ts'

const quiet = { warn: () => undefined, error: () => undefined }

describe('tenancy projects provisioned downstream', () => {
  let store: Store
  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
  })
  after(() => store?.close())

  it('creates, updates and retires one Incus project per tenancy project, in order', async () => {
    const projects = new Map<string, Record<string, string>>()
    const retired: string[] = []
    const incus: IncusTarget = {
      projectName: (n) => n,
      async ensureProject(name, desired) {
        const had = projects.has(name)
        projects.set(name, { ...desired.config, description: desired.description ?? '' })
        return had ? 'updated' : 'created'
      },
      async retireProject(name, policy) {
        retired.push(`${name}:${policy}`)
        projects.delete(name)
        return 'deleted'
      },
    }
    const targets: DeliveryTargets = { incus: () => incus, webhook: () => { throw new Error('unused') }, tuples: () => { throw new Error('unused') } }
    const config = provisioningSchema.parse({
      targets: [{ id: 'lab', kind: 'incus', url: 'https://incus.test:8443', clientCertificate: { certFile: 'c', keyFile: 'k' }, serverCertificate: { fingerprint: 'b'.repeat(64) } }],
      rules: [{
        id: 'org-projects', on: ['project.created', 'project.updated', 'project.deleted'],
        incusProject: { target: 'lab', name: '{{ project.organization }}-{{ project.name }}', description: 'shared with {{ project.name }}', config: { 'limits.cpu': '16' }, onLeave: 'delete-when-empty' },
      }],
    })
    const provisioning = createProvisioning({ config, store, targets, logger: quiet })
    const tenancy = createTenancy({ store, projectEvents: (changes) => projectItems(provisioning, changes) })
    await tenancy.start(false)
    const sys = { actor: SYSTEM_PRINCIPAL }
    await tenancy.organizations.create(sys, { name: 'acme' })
    await tenancy.groups.create(sys, 'acme', { name: 'developers' })
    await tenancy.projects.create(sys, 'acme', { name: 'web', groupIds: ['developers'] })
    await tenancy.projects.create(sys, 'acme', { name: 'backend' })
    await provisioning.drain()
    assert.deepEqual([...projects.keys()].sort(), ['acme-backend', 'acme-web'])

    // Shared with no group any more: the event carries the new groups.
    await tenancy.projects.update(sys, 'acme', 'web', { name: 'web', groupIds: [] })
    await provisioning.drain()
    const events = (await store.outbox.list({ limit: 50 })).items.reverse()
    assert.deepEqual(events.map((e) => e.eventType), ['project.created', 'project.created', 'project.updated'])
    assert.deepEqual((events[2]!.payload as any).data.project.groups, [])
    assert.deepEqual((events[0]!.payload as any).data.project.groups, ['developers'])
    assert.ok(events.every((e) => e.state === 'done'))

    // A deleted project is retired by the rule's onLeave policy.
    await tenancy.projects.delete(sys, 'acme', 'backend')
    await provisioning.drain()
    assert.deepEqual(retired, ['acme-backend:delete-when-empty'])
    assert.equal((await store.outbox.stats()).dead, 0)
    tenancy.stop()
  })
})
