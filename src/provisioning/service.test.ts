import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { provisioningSchema } from '../config/index.ts'
import type { Store, TupleKey } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { retryableDelivery, rejectedDelivery } from './errors.ts'
import type { DeliveryTargets, IncusTarget } from './deliver.ts'
import type { ProvisioningUser } from './events.ts'
import { incusProjectName } from './incus/names.ts'
import { createProvisioning } from './service.ts'
import { tupleId, type TupleBackend } from './tuple-sync.ts'

const quiet = { warn: () => undefined, error: () => undefined }

function user(username: string, groups: string[], extra: Partial<ProvisioningUser> = {}): ProvisioningUser {
  return {
    subject: `ext:${username}`, issuer: 'https://idp.example', username, email: `${username}@example.com`, groups,
    upstreamGroups: groups.map((g) => `idp:${g}`), organizations: [], ...extra,
  }
}

/** An Incus stand-in that keeps projects in memory and can be switched off. */
function fakeIncus() {
  const projects = new Map<string, { owner: string; config: Record<string, string> }>([['default', { owner: '', config: {} }]])
  let down = false
  const calls: string[] = []
  const target: IncusTarget = {
    projectName: (n) => n.replaceAll('_', '-'),
    async ensureProject(name, desired, owner) {
      calls.push(`ensure ${name}`)
      if (down) throw retryableDelivery('incus is down')
      const p = projects.get(name)
      if (p && p.owner !== owner) throw rejectedDelivery(`project ${name} is not Gatehouse's`)
      if (!p) {
        projects.set(name, { owner, config: { ...desired.config } })
        return 'created'
      }
      const next = { ...p.config, ...desired.config }
      if (JSON.stringify(next) === JSON.stringify(p.config)) return 'unchanged'
      p.config = next
      return 'updated'
    },
    async retireProject(name, policy) {
      if (policy === 'delete-when-empty') {
        projects.delete(name)
        return 'deleted'
      }
      if (policy === 'restrict') projects.get(name)!.config['limits.instances'] = '0'
      return policy === 'keep' ? 'kept' : 'restricted'
    },
  }
  return { target, projects, calls, setDown: (v: boolean) => { down = v } }
}

function fakeTuples(): TupleBackend & { tuples: Map<string, TupleKey> } {
  const tuples = new Map<string, TupleKey>()
  return {
    tuples,
    async existing(keys) { return new Set(keys.map(tupleId).filter((id) => tuples.has(id))) },
    async write(writes, deletes) {
      for (const t of deletes) tuples.delete(tupleId(t))
      for (const t of writes) tuples.set(tupleId(t), t)
    },
  }
}

describe('provisioning service (fake targets, SQLite outbox)', () => {
  let store: Store
  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
  })
  after(async () => store?.close())

  function setup(rules: unknown[], delivery: Record<string, unknown> = {}) {
    const incus = fakeIncus()
    const fga = fakeTuples()
    const hooks: string[] = []
    const targets: DeliveryTargets = {
      incus: () => incus.target,
      tuples: () => fga,
      webhook: () => ({ async send(m) { hooks.push(JSON.parse(m.body).type) } }),
    }
    const config = provisioningSchema.parse({
      targets: [
        { id: 'lab', kind: 'incus', url: 'https://incus.test:8443', clientCertificate: { certFile: 'c', keyFile: 'k' }, serverCertificate: { fingerprint: 'a'.repeat(64) } },
        { id: 'billing', kind: 'webhook', url: 'https://billing.test/hook', secretFile: 's' },
      ],
      rules,
      delivery: { initialBackoffSeconds: 0.01, maxBackoffSeconds: 0.02, pollIntervalMs: 10, maxAttempts: 3, ...delivery },
    })
    const provisioning = createProvisioning({ config, store, targets, logger: quiet })
    const signIn = async (u: ProvisioningUser) => {
      await store.outbox.enqueue(provisioning.userItems('user.signed_in', u))
    }
    return { provisioning, incus, fga, hooks, signIn }
  }

  const personal = {
    id: 'personal', on: ['user.signed_in', 'user.disabled'], when: { groups: { anyOf: ['students', 'staff'] } },
    incusProject: {
      target: 'lab', name: '{{ user.username }}', config: { 'limits.cpu': '4' },
      overrides: [{ when: { groups: { anyOf: ['gpu'] } }, config: { 'restricted.devices.gpu': 'allow' } }], onLeave: 'restrict',
    },
    tuples: { store: 'lab-store', writes: [{ user: 'user:{{ user.username }}', relation: 'operator', object: 'project:{{ user.username }}' }] },
    groupSync: { store: 'lab-store', object: 'group:{{ group }}', relation: 'member', user: 'user:{{ user.username }}' },
    webhook: { target: 'billing' },
  }

  it('creates, updates and undoes what a rule wants, keeping what it did not write', async () => {
    const { provisioning, incus, fga, hooks, signIn } = setup([personal])
    // An operator's hand-written tuple that the rule also wants: never claimed, never deleted.
    await fga.write([{ user: 'user:ann', relation: 'member', object: 'group:staff' }], [])
    await signIn(user('ann', ['students', 'staff', 'gpu']))
    await provisioning.drain()
    assert.deepEqual(incus.projects.get('ann')?.config, { 'limits.cpu': '4', 'restricted.devices.gpu': 'allow' })
    assert.deepEqual([...fga.tuples.keys()].sort(), ['group:gpu#member@user:ann', 'group:staff#member@user:ann', 'group:students#member@user:ann', 'project:ann#operator@user:ann'])
    assert.deepEqual(hooks, ['user.signed_in'])

    await signIn(user('ann', ['students']))
    await provisioning.drain()
    assert.deepEqual([...fga.tuples.keys()].sort(), ['group:staff#member@user:ann', 'group:students#member@user:ann', 'project:ann#operator@user:ann'], 'the hand-written staff tuple stays')

    // She leaves every matching group: the rule's tuples go, the project is restricted, not deleted.
    await signIn(user('ann', ['alumni']))
    await provisioning.drain()
    assert.deepEqual([...fga.tuples.keys()], ['group:staff#member@user:ann'])
    assert.equal(incus.projects.get('ann')?.config['limits.instances'], '0')
    assert.deepEqual(hooks, ['user.signed_in', 'user.signed_in'], 'webhooks only while the rule matches')
    const events = await store.outbox.list({ subject: 'ext:ann', limit: 100 })
    assert.ok(events.items.every((e) => e.state === 'done'), JSON.stringify(events.items.map((e) => [e.action, e.state, e.lastError])))
  })

  it('waits while a target is down and delivers every event once it is back, in order', async () => {
    const { provisioning, incus, signIn } = setup([{ id: 'p2', on: ['user.signed_in'], incusProject: { target: 'lab', name: 'p2-{{ user.username }}', config: { 'limits.cpu': '{{ user.groups | join(",") }}' } } }], { maxAttempts: 1000 })
    incus.setDown(true)
    await signIn(user('bob', ['a']))
    await signIn(user('bob', ['a', 'b']))
    provisioning.start()
    await new Promise((r) => setTimeout(r, 150))
    const pending = await store.outbox.list({ subject: 'ext:bob', state: 'pending', limit: 10 })
    assert.equal(pending.items.length, 2)
    assert.ok(pending.items.some((e) => e.attempts > 1), 'retried with backoff')
    assert.ok(pending.items.some((e) => e.attempts === 0), 'the later event waits behind the first')
    incus.setDown(false)
    for (let i = 0; i < 200 && (await store.outbox.stats()).pending > 0; i++) await new Promise((r) => setTimeout(r, 10))
    await provisioning.stop()
    assert.equal(incus.projects.get('p2-bob')?.config['limits.cpu'], 'a,b')
    assert.equal((await store.outbox.list({ subject: 'ext:bob', state: 'pending', limit: 10 })).items.length, 0)
  })

  it('sends a final failure to the dead letters at once, without holding back other subjects, and replays it', async () => {
    const { provisioning, incus, signIn } = setup([{ id: 'p3', on: ['user.signed_in'], incusProject: { target: 'lab', name: '{{ user.username }}' } }])
    await signIn(user('default', ['x']))
    await signIn(user('carol', ['x']))
    await provisioning.drain()
    const [dead] = (await store.outbox.list({ subject: 'ext:default', limit: 10 })).items
    assert.equal(dead.state, 'dead')
    assert.equal(dead.attempts, 1)
    assert.match(dead.lastError ?? '', /not Gatehouse's/)
    assert.equal(incus.projects.get('default')?.owner, '', 'the foreign project is untouched')
    assert.ok(incus.projects.has('carol'))
    incus.projects.delete('default')
    assert.equal(await store.outbox.replay({ id: dead.id }), 1)
    await provisioning.drain()
    assert.equal((await store.outbox.get(dead.id))?.state, 'done')
  })

  it('fails a template that cannot render for this user, naming the field, and previews rules', async () => {
    const { provisioning } = setup([{ id: 'mail', on: ['user.signed_in'], webhook: { target: 'billing' }, tuples: { store: 's', writes: [{ user: 'user:{{ user.email }}', relation: 'viewer', object: 'doc:x' }] } }])
    const [preview] = provisioning.preview(user('dan', [], { email: undefined }))
    assert.equal(preview.matches, true)
    assert.match(preview.error ?? '', /user\.email/)
  })

  it('matches conditions on upstream groups (plain and qualified), organization groups and organizations', async () => {
    const { provisioning } = setup([
      { id: 'org-group', on: ['user.signed_in'], when: { groups: { anyOf: ['acme/developers'] } }, webhook: { target: 'billing' } },
      { id: 'qualified', on: ['user.signed_in'], when: { groups: { allOf: ['idp:students', 'students'], noneOf: ['banned'] } }, webhook: { target: 'billing' } },
      { id: 'org', on: ['user.signed_in'], when: { organizations: ['acme'] }, webhook: { target: 'billing' } },
    ])
    const matched = (u: ProvisioningUser) => provisioning.preview(u).filter((p) => p.matches).map((p) => p.rule).sort()
    const acme = [{ id: 'o1', name: 'acme', groups: ['developers'] }]
    assert.deepEqual(matched(user('eve', ['students'], { organizations: acme })), ['org', 'org-group', 'qualified'])
    assert.deepEqual(matched(user('eve', ['students', 'banned'])), [])
    assert.deepEqual(matched(user('eve', [], { organizations: [{ id: 'o2', name: 'other', groups: ['developers'] }] })), [])
  })

  it('makes the members of a project\'s groups operators of its Incus project, following shares and deletion', async () => {
    const { provisioning, incus, fga } = setup([{
      id: 'org', on: ['project.created', 'project.updated', 'project.deleted'],
      incusProject: { target: 'lab', name: '{{ project.organization }}_{{ project.name }}', onLeave: 'delete-when-empty' },
      tuples: {
        store: 'lab-store',
        writes: [{ user: 'server:incus', relation: 'server', object: 'project:{{ incus.project }}' }],
        perGroup: [{ user: 'group:{{ project.organization }}/{{ group }}#member', relation: 'operator', object: 'project:{{ incus.project }}' }],
      },
    }])
    const project = (groups: string[]) => ({ id: 'p1', name: 'web', organization: 'acme', organizationId: 'o1', groups })
    await store.outbox.enqueue(provisioning.projectItems('project.created', project(['devs', 'ops'])))
    await provisioning.drain()
    // The fake maps `_` to `-`: the tuples name the project as Incus knows it, not the rendered text.
    assert.ok(incus.projects.has('acme-web'))
    assert.deepEqual([...fga.tuples.keys()].sort(), [
      'project:acme-web#operator@group:acme/devs#member', 'project:acme-web#operator@group:acme/ops#member', 'project:acme-web#server@server:incus',
    ])
    await store.outbox.enqueue(provisioning.projectItems('project.updated', project(['devs'])))
    await provisioning.drain()
    assert.deepEqual([...fga.tuples.keys()].sort(), ['project:acme-web#operator@group:acme/devs#member', 'project:acme-web#server@server:incus'])
    await store.outbox.enqueue(provisioning.projectItems('project.deleted', project(['devs'])))
    await provisioning.drain()
    assert.deepEqual([...fga.tuples.keys()], [])
    assert.equal(incus.projects.has('acme-web'), false)
  })

  it('mirrors organization groups as <org>/<group> and names the personal project with incus_project', async () => {
    const { provisioning, fga, signIn } = setup([{
      id: 'me', on: ['user.signed_in', 'user.disabled'],
      incusProject: { target: 'lab', name: '{{ user.username }}' },
      tuples: { store: 'lab-store', writes: [{ user: 'user:{{ user.username }}', relation: 'operator', object: 'project:{{ user.username | incus_project }}' }] },
      groupSync: { store: 'lab-store', source: 'organizations', groups: ['acme/devs', 'acme/ops'], object: 'group:{{ group }}', relation: 'member', user: 'user:{{ user.username }}' },
    }])
    const organizations = (groups: string[]) => [{ id: 'o1', name: 'acme', groups }, { id: 'o2', name: 'beta', groups: ['devs'] }]
    await signIn(user('jo_ann', ['corp-devs'], { organizations: organizations(['devs', 'ops', 'sales']) }))
    await provisioning.drain()
    const keys = () => [...fga.tuples.keys()].sort()
    assert.deepEqual(keys(), [
      'group:acme/devs#member@user:jo_ann', 'group:acme/ops#member@user:jo_ann', `project:${incusProjectName('jo_ann')}#operator@user:jo_ann`,
    ])
    // Left a group at the IdP: its membership goes at this sign-in; disabled: everything goes.
    await signIn(user('jo_ann', ['corp-devs'], { organizations: organizations(['devs']) }))
    await provisioning.drain()
    assert.deepEqual(keys().filter((k) => k.startsWith('group:')), ['group:acme/devs#member@user:jo_ann'])
    await store.outbox.enqueue(provisioning.userItems('user.disabled', user('jo_ann', [])))
    await provisioning.drain()
    assert.deepEqual(keys(), [])
  })

  it('refuses bad rules at start with the rule and field', () => {
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'], incusProject: { target: 'nope', name: 'x' } }]), /rules\[0\] \(bad\)\.incusProject\.target: no target nope/)
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'], webhook: { target: 'lab' } }]), /lab is a incus target, not webhook/)
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'], incusProject: { target: 'lab', name: '{{ user.nmae }}' } }]), /incusProject\.name/)
    assert.throws(() => setup([{ id: 'bad', on: ['project.created'], groupSync: { store: 's', object: 'group:{{ group }}', relation: 'member', user: 'user:x' } }]), /group sync needs user events/)
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'] }]), /at least one action/)
    const perGroup = [{ user: 'group:{{ group }}#member', relation: 'operator', object: 'project:x' }]
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'], tuples: { store: 's', perGroup } }]), /\.tuples\.perGroup: perGroup needs project events/)
    assert.throws(() => setup([{ id: 'bad', on: ['project.created'], tuples: { store: 's', perGroup: [{ user: 'group:x#member', relation: 'operator', object: 'project:x' }] } }]), /perGroup\[0\]: must use \{\{ group \}\}/)
    assert.throws(() => setup([{ id: 'bad', on: ['project.created'], tuples: { store: 's' } }]), /\.tuples: needs writes or perGroup/)
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'], tuples: { store: 's', writes: [{ user: 'user:x', relation: 'operator', object: 'project:{{ incus.project }}' }] } }]), /unknown variable "incus\.project"/)
    assert.throws(() => setup([{ id: 'bad', on: ['user.signed_in'], groupSync: { store: 's', source: 'ldap', object: 'group:{{ group }}', relation: 'member', user: 'user:x' } }]), /source/)
  })
})
