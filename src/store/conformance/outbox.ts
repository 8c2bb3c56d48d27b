// The provisioning outbox: leasing in enqueue order, one row at a time per ordering key, lease
// expiry and fencing, retries and dead letters, replay, listing, stats, prune, ownership records,
// enqueueing inside a tenancy commit and a sign-in sync (and not when they fail), and replicas
// that never lease one row twice.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { OutboxItemInput, Store } from '../types.ts'
import { ManualClock, rejectsWith, useFixture, type StoreFactory } from './harness.ts'

let events = 0
function item(subject: string, overrides: Partial<OutboxItemInput> = {}): OutboxItemInput {
  return { eventId: `evt-${++events}`, eventType: 'user.signed_in', subject, target: 'lab', action: 'personal.incusProject', payload: { user: { subject } }, ...overrides }
}
const attempt = (detail = 'ok') => ({ at: new Date(), outcome: 'done' as const, detail, durationMs: 3 })

export function outboxCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock, connections: 8 })
  const outbox = () => h.store.outbox
  /** Finishes everything pending so each test starts from an empty queue. */
  async function drain(): Promise<void> {
    clock.advance(3600)
    for (let round = 0; round < 100; round++) {
      const rows = await outbox().claim({ owner: 'drain', leaseMs: 1000, limit: 1000 })
      if (rows.length === 0) return
      for (const r of rows) await outbox().finish(r.id, { owner: 'drain', state: 'done', attempt: attempt() })
    }
  }

  it('leases due rows in enqueue order, bumping attempts, and not again while leased', async () => {
    await drain()
    const ids = await outbox().enqueue([item('alice'), item('bob')])
    assert.equal(ids.length, 2)
    assert.ok(ids[0] < ids[1])
    const claimed = await outbox().claim({ owner: 'w1', leaseMs: 30_000, limit: 10 })
    assert.deepEqual(claimed.map((r) => [r.id, r.subject, r.attempts, r.state]), [[ids[0], 'alice', 1, 'pending'], [ids[1], 'bob', 1, 'pending']])
    assert.deepEqual(claimed[0].payload, { user: { subject: 'alice' } })
    assert.deepEqual(await outbox().claim({ owner: 'w2', leaseMs: 30_000, limit: 10 }), [])
    // A worker that died holds its lease only until it expires.
    clock.advance(31)
    const again = await outbox().claim({ owner: 'w2', leaseMs: 30_000, limit: 10 })
    assert.deepEqual(again.map((r) => [r.id, r.attempts]), [[ids[0], 2], [ids[1], 2]])
    // The first worker lost its lease: its late outcome is refused.
    assert.equal(await outbox().finish(ids[0], { owner: 'w1', state: 'done', attempt: attempt() }), false)
    assert.equal(await outbox().finish(ids[0], { owner: 'w2', state: 'done', attempt: attempt('created') }), true)
    const done = await outbox().get(ids[0])
    assert.equal(done?.state, 'done')
    assert.equal(done?.lastError, null)
    assert.deepEqual(done?.history.map((a) => [a.outcome, a.detail]), [['done', 'created']])
    assert.ok(done?.finishedAt instanceof Date)
  })

  it('renews the lease of a delivery still running, so no other worker takes it up', async () => {
    await drain()
    const [id] = await outbox().enqueue([item('renew')])
    await outbox().claim({ owner: 'slow', leaseMs: 10_000, limit: 10 })
    clock.advance(8)
    assert.equal(await outbox().renew([id!], 'slow', 10_000), 1)
    assert.equal(await outbox().renew([id!], 'other', 10_000), 0, 'only the owner renews')
    clock.advance(8)
    assert.deepEqual(await outbox().claim({ owner: 'other', leaseMs: 10_000, limit: 10 }), [], 'still leased after the first lease would have ended')
    clock.advance(3)
    assert.deepEqual((await outbox().claim({ owner: 'other', leaseMs: 10_000, limit: 10 })).map((r) => r.id), [id])
  })

  it('delivers one ordering key (target and subject) in order; other keys go on', async () => {
    await drain()
    const [a1, a2, b1, a3] = await outbox().enqueue([item('alice'), item('alice'), item('bob'), item('alice', { target: 'billing', action: 'r.webhook' })])
    const first = await outbox().claim({ owner: 'w', leaseMs: 30_000, limit: 10 })
    assert.deepEqual(first.map((r) => r.id), [a1, b1, a3])
    for (const id of [b1, a3]) await outbox().finish(id, { owner: 'w', state: 'done', attempt: attempt() })
    // a2 waits behind a1 even after a1's lease expires and a1 is retried later.
    assert.equal(await outbox().finish(a1, { owner: 'w', state: 'retry', nextAttemptAt: new Date(clock.now().getTime() + 60_000), attempt: { ...attempt('incus down'), outcome: 'retry' } }), true)
    assert.deepEqual(await outbox().claim({ owner: 'w', leaseMs: 30_000, limit: 10 }), [])
    const retried = await outbox().get(a1)
    assert.equal(retried?.lastError, 'incus down')
    clock.advance(61)
    assert.deepEqual((await outbox().claim({ owner: 'w', leaseMs: 30_000, limit: 10 })).map((r) => r.id), [a1])
    // A dead row does not hold back the rows behind it.
    assert.equal(await outbox().finish(a1, { owner: 'w', state: 'dead', attempt: { ...attempt('refused'), outcome: 'dead' } }), true)
    assert.deepEqual((await outbox().claim({ owner: 'w', leaseMs: 30_000, limit: 10 })).map((r) => r.id), [a2])
  })

  it('lists newest first with filters and paging, and counts by target and state', async () => {
    await drain()
    const ids = await outbox().enqueue([item('carol'), item('carol', { target: 'billing', action: 'r.webhook', eventType: 'project.created' }), item('dave')])
    const carol = await outbox().list({ subject: 'carol', limit: 1 })
    assert.deepEqual(carol.items.map((r) => r.id), [ids[1]])
    assert.notEqual(carol.continuationToken, '')
    const rest = await outbox().list({ subject: 'carol', limit: 1, continuationToken: carol.continuationToken })
    assert.deepEqual([rest.items.map((r) => r.id), rest.continuationToken], [[ids[0]], ''])
    assert.deepEqual((await outbox().list({ target: 'billing', state: 'pending', limit: 10 })).items.map((r) => r.id), [ids[1]])
    assert.deepEqual((await outbox().list({ eventType: 'project.created', limit: 10 })).items.map((r) => r.id), [ids[1]])
    await rejectsWith(outbox().list({ subject: 'dave', limit: 1, continuationToken: carol.continuationToken }), StoreErrorCodes.invalidContinuationToken)
    await assert.rejects(outbox().list({ limit: 0 }))
    const stats = await outbox().stats()
    assert.equal(stats.pending, 3)
    assert.ok(stats.oldestPendingAt instanceof Date)
    assert.deepEqual(stats.byTarget.filter((t) => t.state === 'pending'), [{ target: 'billing', state: 'pending', count: 1 }, { target: 'lab', state: 'pending', count: 2 }])
    assert.equal(await outbox().get(999_999_999), undefined)
  })

  it('replays a dead row or every dead row of a target, from scratch', async () => {
    await drain()
    const [x, y] = await outbox().enqueue([item('erin'), item('frank', { target: 'billing', action: 'r.webhook' })])
    for (const r of await outbox().claim({ owner: 'w', leaseMs: 1000, limit: 10 })) {
      await outbox().finish(r.id, { owner: 'w', state: 'dead', attempt: { ...attempt('400'), outcome: 'dead' } })
    }
    assert.equal(await outbox().replay({ state: 'dead', target: 'billing' }), 1)
    assert.deepEqual([(await outbox().get(y))?.state, (await outbox().get(y))?.attempts], ['pending', 0])
    assert.equal((await outbox().get(x))?.state, 'dead')
    assert.equal(await outbox().replay({ id: x }), 1)
    assert.equal(await outbox().replay({ id: x }), 0, 'a pending row is not replayed again')
    assert.deepEqual((await outbox().claim({ owner: 'w', leaseMs: 1000, limit: 10 })).map((r) => r.id), [x, y])
  })

  it('prunes done rows finished before a time, keeping dead and pending ones', async () => {
    await drain()
    const [done, dead] = await outbox().enqueue([item('gina'), item('hank')])
    for (const r of await outbox().claim({ owner: 'w', leaseMs: 1000, limit: 10 })) {
      await outbox().finish(r.id, { owner: 'w', state: r.id === done ? 'done' : 'dead', attempt: attempt() })
    }
    clock.advance(10)
    const pruned = await outbox().prune(clock.now())
    assert.ok(pruned >= 1)
    assert.equal(await outbox().get(done), undefined)
    assert.equal((await outbox().get(dead))?.state, 'dead')
  })

  it('records what an action owns per subject', async () => {
    await outbox().changeOwned({ owner: 'r.groupSync', subject: 'alice', add: ['t1', 't2'], remove: [] })
    await outbox().changeOwned({ owner: 'r.groupSync', subject: 'alice', add: ['t3', 't2'], remove: ['t1'] })
    await outbox().changeOwned({ owner: 'r.other', subject: 'alice', add: ['t9'], remove: [] })
    assert.deepEqual(await outbox().owned('r.groupSync', 'alice'), ['t2', 't3'])
    assert.deepEqual(await outbox().owned('r.groupSync', 'bob'), [])
  })

  it('enqueues with a tenancy commit and a sign-in sync, and not when the commit fails', async () => {
    await drain()
    const storeId = await h.newStore('outbox-tenancy')
    const revision = await h.store.tenancy.revision()
    await h.store.tenancy.commit({ expectedRevision: revision, put: [], remove: [], outbox: [item('project:p1', { eventType: 'project.created' })] })
    await rejectsWith(
      h.store.tenancy.commit({ expectedRevision: revision, put: [], remove: [], outbox: [item('project:p2', { eventType: 'project.created' })] }),
      StoreErrorCodes.versionConflict,
    )
    const sync = (groups: string[]) => h.store.tenancy.replaceUpstreamGroups({
      subject: 'ivan', groups, storeId,
      tupleFor: (g) => ({ object: `group:${g}`, relation: 'member', user: 'user:ivan' }),
      audit: () => ({ actor: 'ivan', actorType: 'user', action: 'membership.sync', target: 'user:ivan', outcome: 'success' }),
      outbox: [item('ivan')],
    })
    await sync(['a'])
    await sync(['a'])
    const subjects = (await outbox().list({ state: 'pending', limit: 10 })).items.map((r) => r.subject).sort()
    assert.deepEqual(subjects, ['ivan', 'ivan', 'project:p1'])
  })

  it('never leases one row to two workers at once', async () => {
    await drain()
    const other: Store = h.fixture.peer ? await h.fixture.peer() : h.store
    try {
      const subjects = Array.from({ length: 60 }, (_, i) => `u${i}`)
      const ids = await outbox().enqueue(subjects.map((s) => item(s)))
      const seen: number[] = []
      const worker = async (store: Store, owner: string) => {
        for (let round = 0; round < 30; round++) {
          const rows = await store.outbox.claim({ owner, leaseMs: 60_000, limit: 7 })
          if (rows.length === 0) return
          for (const r of rows) {
            seen.push(r.id)
            assert.equal(await store.outbox.finish(r.id, { owner, state: 'done', attempt: attempt() }), true)
          }
        }
      }
      await Promise.all([worker(h.store, 'a'), worker(other, 'b'), worker(h.store, 'c'), worker(other, 'd')])
      assert.deepEqual([...seen].sort((x, y) => x - y), ids)
    } finally {
      if (other !== h.store) await other.close()
    }
  })
}
