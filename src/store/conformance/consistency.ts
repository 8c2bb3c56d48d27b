// Concurrency from one handle: parallel writes, racing duplicates, snapshots taken mid-stream.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { isStoreError, StoreErrorCodes } from '../errors.ts'
import type { Store, TupleChange, TupleKey } from '../types.ts'
import { byKey, tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

/** The tuple set after replaying the changelog up to `revision`. */
export function replay(changes: TupleChange[], revision: number): TupleKey[] {
  const live = new Map<string, TupleKey>()
  for (const change of changes) {
    if (change.revision > revision) break
    const id = `${change.key.object}#${change.key.relation}@${change.key.user}`
    if (change.operation === 'write') live.set(id, change.key)
    else live.delete(id)
  }
  return [...live.values()].sort(byKey)
}

/** Parallel writes land with distinct, gap-free revisions matching the changelog. */
export async function assertParallelWrites(writers: Store[], storeId: string, count: number): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => writeTuples(writers[i % writers.length], storeId, [tuple(`doc:p${i}`, 'viewer', `user:${i}`)])),
  )
  const revisions = results.map((r) => r.revision).sort((a, b) => a - b)
  assert.deepEqual(revisions, Array.from({ length: count }, (_, i) => i + 1), 'one distinct revision per write, no gaps')
  const changes = await writers[0].changelog.since(storeId, 0, 10_000)
  assert.equal(changes.length, count)
  for (const result of results) {
    assert.deepEqual(changes.filter((c) => c.revision === result.revision), result.applied)
  }
  assert.equal(await writers[writers.length - 1].changelog.revision(storeId), count)
}

export function consistencyCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  it('parallel writes to one store all land with distinct revisions', async () => {
    await assertParallelWrites([h.store], await h.newStore(), 25)
  })

  it('parallel writes to different stores keep separate revision sequences', async () => {
    const a = await h.newStore()
    const b = await h.newStore()
    await Promise.all(Array.from({ length: 10 }, (_, i) => writeTuples(h.store, i % 2 === 0 ? a : b, [tuple(`doc:${i}`, 'viewer', 'user:x')])))
    assert.equal(await h.store.changelog.revision(a), 5)
    assert.equal(await h.store.changelog.revision(b), 5)
  })

  it('of racing writes of one tuple exactly one wins', async () => {
    const storeId = await h.newStore()
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne')])),
    )
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1)
    for (const o of outcomes) {
      if (o.status === 'rejected') assert.ok(isStoreError(o.reason, StoreErrorCodes.tupleExists), String(o.reason))
    }
    assert.equal(await h.store.changelog.revision(storeId), 1)
  })

  it('every snapshot taken during writes matches the changelog at its revision', async () => {
    const storeId = await h.newStore()
    const seeded = Array.from({ length: 20 }, (_, i) => tuple(`doc:seed${i}`, 'viewer', 'user:a'))
    await writeTuples(h.store, storeId, seeded)
    // Independent writes (they run truly in parallel on PostgreSQL); some also delete a seeded tuple.
    const writes = Array.from({ length: 20 }, (_, i) =>
      writeTuples(h.store, storeId, [tuple(`doc:${i}`, 'viewer', 'user:b')], i % 3 === 2 ? [seeded[i]] : []))
    const snapshots = Array.from({ length: 10 }, () => h.store.tuples.snapshot(storeId))
    await Promise.all(writes)
    const changes = await h.store.changelog.since(storeId, 0, 10_000)
    for (const snapshot of await Promise.all(snapshots)) {
      assert.deepEqual([...snapshot.tuples].sort(byKey), replay(changes, snapshot.revision), `snapshot at revision ${snapshot.revision}`)
    }
  })
}
