// tuples.write: all-or-nothing, duplicate/missing policies, conditions, revisions, changelog.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Store, TupleChange, TupleKey } from '../types.ts'
import { byKey, readAll, rejectsWith, tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

/** Everything a failed write must leave untouched. */
export async function state(store: Store, storeId: string): Promise<{ tuples: TupleKey[]; revision: number; changes: TupleChange[] }> {
  return {
    tuples: (await readAll(store, storeId)).sort(byKey),
    revision: await store.changelog.revision(storeId),
    changes: await store.changelog.since(storeId, 0, 1000),
  }
}

export function tuplesWriteCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  it('writes tuples, returns the applied changes and reads them back', async () => {
    const storeId = await h.newStore()
    const keys = [tuple('doc:1', 'viewer', 'user:anne'), tuple('doc:1', 'editor', 'group:eng#member'), tuple('doc:2', 'viewer', 'user:*')]
    const before = Date.now()
    const result = await writeTuples(h.store, storeId, keys)
    assert.equal(result.revision, 1)
    assert.deepEqual(result.applied.map((c) => c.key), keys)
    for (const change of result.applied) {
      assert.equal(change.operation, 'write')
      assert.equal(change.revision, 1)
      assert.ok(change.timestamp instanceof Date && change.timestamp.getTime() >= before)
    }
    assert.deepEqual((await readAll(h.store, storeId)).sort(byKey), [...keys].sort(byKey))
  })

  it('gives every applied write the next revision, and a no-op write none', async () => {
    const storeId = await h.newStore()
    assert.equal(await h.store.changelog.revision(storeId), 0)
    assert.equal((await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')])).revision, 1)
    assert.equal((await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:b')])).revision, 2)
    const noop = await h.store.tuples.write(storeId, {
      writes: [tuple('doc:1', 'viewer', 'user:a')], deletes: [tuple('doc:9', 'viewer', 'user:z')], onDuplicate: 'ignore', onMissing: 'ignore',
    })
    assert.deepEqual(noop, { revision: 2, applied: [] })
    assert.deepEqual(await h.store.tuples.write(storeId, { writes: [], deletes: [], onDuplicate: 'error', onMissing: 'error' }), { revision: 2, applied: [] })
    assert.equal((await writeTuples(h.store, storeId, [], [tuple('doc:1', 'viewer', 'user:a')])).revision, 3)
    assert.equal(await h.store.changelog.revision(storeId), 3)
  })

  it('on_duplicate error: an existing tuple fails the whole write and changes nothing', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne'), tuple('doc:2', 'viewer', 'user:anne')])
    const before = await state(h.store, storeId)
    const err = await rejectsWith(
      writeTuples(h.store, storeId, [tuple('doc:3', 'viewer', 'user:anne'), tuple('doc:1', 'viewer', 'user:anne')], [tuple('doc:2', 'viewer', 'user:anne')]),
      StoreErrorCodes.tupleExists,
    ) as StoreError
    assert.deepEqual(err.tuple, { object: 'doc:1', relation: 'viewer', user: 'user:anne' })
    assert.equal(err.status, 400)
    assert.deepEqual(await state(h.store, storeId), before)
  })

  it('on_duplicate error: the same tuple twice in one write is a duplicate', async () => {
    const storeId = await h.newStore()
    await rejectsWith(writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne'), tuple('doc:1', 'viewer', 'user:anne')]), StoreErrorCodes.tupleExists)
    assert.deepEqual(await state(h.store, storeId), { tuples: [], revision: 0, changes: [] })
  })

  it('on_duplicate ignore: an identical tuple is a no-op, the rest is applied', async () => {
    const storeId = await h.newStore()
    const conditioned = tuple('doc:1', 'viewer', 'user:anne', { name: 'in_hours', context: { from: 9, to: { h: 17, m: 0 } } })
    await writeTuples(h.store, storeId, [conditioned])
    const result = await h.store.tuples.write(storeId, {
      // Same condition, keys in another order: still identical.
      writes: [tuple('doc:1', 'viewer', 'user:anne', { name: 'in_hours', context: { to: { m: 0, h: 17 }, from: 9 } }), tuple('doc:2', 'viewer', 'user:bob')],
      deletes: [], onDuplicate: 'ignore', onMissing: 'error',
    })
    assert.equal(result.revision, 2)
    assert.deepEqual(result.applied.map((c) => c.key), [tuple('doc:2', 'viewer', 'user:bob')])
    assert.equal((await readAll(h.store, storeId)).length, 2)
  })

  it('on_duplicate ignore: the same key with another condition is a condition_conflict', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [
      tuple('doc:1', 'viewer', 'user:anne', { name: 'in_hours', context: { from: 9 } }),
      tuple('doc:2', 'viewer', 'user:anne'),
    ])
    const before = await state(h.store, storeId)
    const attempts: TupleKey[] = [
      tuple('doc:1', 'viewer', 'user:anne', { name: 'in_hours', context: { from: 10 } }),
      tuple('doc:1', 'viewer', 'user:anne', { name: 'other' }),
      tuple('doc:1', 'viewer', 'user:anne'),
      tuple('doc:2', 'viewer', 'user:anne', { name: 'in_hours' }),
    ]
    for (const attempt of attempts) {
      const err = await rejectsWith(
        h.store.tuples.write(storeId, { writes: [tuple('doc:3', 'viewer', 'user:new'), attempt], deletes: [], onDuplicate: 'ignore', onMissing: 'error' }),
        StoreErrorCodes.conditionConflict,
      ) as StoreError
      assert.equal(err.status, 409)
      assert.deepEqual(err.tuple, { object: attempt.object, relation: attempt.relation, user: attempt.user })
    }
    assert.deepEqual(await state(h.store, storeId), before)
  })

  it('treats an absent condition context and an empty one alike', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne', { name: 'c', context: {} })])
    const again = await h.store.tuples.write(storeId, {
      writes: [tuple('doc:1', 'viewer', 'user:anne', { name: 'c' })], deletes: [], onDuplicate: 'ignore', onMissing: 'error',
    })
    assert.deepEqual(again.applied, [])
    const [stored] = await readAll(h.store, storeId)
    assert.equal(stored.condition?.name, 'c')
    assert.deepEqual(stored.condition?.context ?? {}, {})
  })

  it('on_missing error: a missing delete fails the whole write and changes nothing', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne')])
    const before = await state(h.store, storeId)
    const err = await rejectsWith(
      writeTuples(h.store, storeId, [tuple('doc:5', 'viewer', 'user:x')], [tuple('doc:1', 'viewer', 'user:anne'), tuple('doc:1', 'viewer', 'user:ghost')]),
      StoreErrorCodes.tupleMissing,
    ) as StoreError
    assert.deepEqual(err.tuple, { object: 'doc:1', relation: 'viewer', user: 'user:ghost' })
    assert.deepEqual(await state(h.store, storeId), before)
    // Deleting the same tuple twice in one write: the second finds it gone.
    await rejectsWith(writeTuples(h.store, storeId, [], [tuple('doc:1', 'viewer', 'user:anne'), tuple('doc:1', 'viewer', 'user:anne')]), StoreErrorCodes.tupleMissing)
    assert.deepEqual(await state(h.store, storeId), before)
  })

  it('on_missing ignore: a missing delete is skipped, the rest is applied', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne')])
    const result = await h.store.tuples.write(storeId, {
      writes: [], deletes: [tuple('doc:1', 'viewer', 'user:ghost'), tuple('doc:1', 'viewer', 'user:anne')], onDuplicate: 'error', onMissing: 'ignore',
    })
    assert.deepEqual(result.applied.map((c) => [c.operation, c.key]), [['delete', tuple('doc:1', 'viewer', 'user:anne')]])
    assert.deepEqual(await readAll(h.store, storeId), [])
  })

  it('applies deletes before writes: deleting and re-writing a tuple in one call works', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne', { name: 'old' })])
    const replaced = tuple('doc:1', 'viewer', 'user:anne', { name: 'new', context: { x: 1 } })
    const result = await writeTuples(h.store, storeId, [replaced], [tuple('doc:1', 'viewer', 'user:anne')])
    assert.deepEqual(result.applied.map((c) => c.operation), ['delete', 'write'])
    assert.deepEqual(await readAll(h.store, storeId), [replaced])
  })

  it('records every applied change in the changelog in order; deletes carry no condition', async () => {
    const storeId = await h.newStore()
    const a = tuple('doc:1', 'viewer', 'user:a', { name: 'c', context: { k: 'v' } })
    const b = tuple('doc:1', 'viewer', 'user:b')
    await writeTuples(h.store, storeId, [a, b])
    const result = await writeTuples(h.store, storeId, [tuple('doc:2', 'owner', 'user:c')], [a, b])
    const changes = await h.store.changelog.since(storeId, 0, 100)
    assert.deepEqual(
      changes.map((c) => [c.revision, c.operation, c.key]),
      [
        [1, 'write', a], [1, 'write', b],
        [2, 'delete', tuple('doc:1', 'viewer', 'user:a')], [2, 'delete', b], [2, 'write', tuple('doc:2', 'owner', 'user:c')],
      ],
    )
    assert.deepEqual(changes.slice(2), result.applied)
  })

  it('fails with store_not_found for an unknown store', async () => {
    await rejectsWith(writeTuples(h.store, 'no-such-store', [tuple('doc:1', 'viewer', 'user:anne')]), StoreErrorCodes.storeNotFound)
  })

  it('keeps object ids with colons and odd characters intact', async () => {
    const storeId = await h.newStore()
    const keys = [tuple('doc:2021:budget', 'viewer', 'user:anne@example.com'), tuple('doc:ünï çødé', 'viewer', 'group:a:b#member')]
    await writeTuples(h.store, storeId, keys)
    assert.deepEqual((await readAll(h.store, storeId)).sort(byKey), [...keys].sort(byKey))
    assert.deepEqual((await h.store.tuples.read(storeId, { objectType: 'doc', objectId: '2021:budget' }, { pageSize: 10 })).items.map((t) => t.key), [keys[0]])
  })

  it('writes and deletes large batches atomically', async () => {
    const storeId = await h.newStore()
    const keys = Array.from({ length: 450 }, (_, i) => tuple(`doc:${i}`, 'viewer', `user:u${i % 7}`))
    const written = await writeTuples(h.store, storeId, keys)
    assert.equal(written.applied.length, 450)
    assert.equal((await readAll(h.store, storeId)).length, 450)
    await rejectsWith(writeTuples(h.store, storeId, [tuple('doc:new', 'viewer', 'user:x')], [...keys, tuple('doc:missing', 'viewer', 'user:x')]), StoreErrorCodes.tupleMissing)
    assert.equal((await readAll(h.store, storeId)).length, 450)
    const deleted = await writeTuples(h.store, storeId, [], keys)
    assert.equal(deleted.applied.length, 450)
    assert.deepEqual(await readAll(h.store, storeId), [])
    const changes = await h.store.changelog.since(storeId, 1, 1000)
    assert.equal(changes.length, 450)
    assert.ok(changes.every((c) => c.revision === 2 && c.operation === 'delete'))
  })
}
