// tuples.import: the bulk form of a write-only tuples.write — one revision per call, the same
// changelog, duplicate rules and all-or-nothing failure.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Store, TupleKey, WriteResult } from '../types.ts'
import { byKey, readAll, rejectsWith, tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'
import { state } from './tuples-write.ts'

function importTuples(store: Store, storeId: string, writes: TupleKey[], onDuplicate: 'error' | 'ignore' = 'error'): Promise<WriteResult> {
  return store.tuples.import(storeId, { writes, onDuplicate })
}

export function tuplesImportCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  it('imports many tuples under one revision, with one changelog entry each, in input order', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:0', 'viewer', 'user:first')])
    const keys = Array.from({ length: 1500 }, (_, i) => tuple(`doc:${i % 97}`, i % 2 ? 'viewer' : 'editor', `user:u${i}`))
    keys.push(tuple('doc:c', 'viewer', 'user:*', { name: 'in_hours', context: { from: 9 } }), tuple('doc:c', 'viewer', 'group:eng#member'))
    const result = await importTuples(h.store, storeId, keys)
    assert.equal(result.revision, 2)
    assert.deepEqual(result.applied.map((c) => c.key), keys)
    assert.ok(result.applied.every((c) => c.operation === 'write' && c.revision === 2))
    assert.deepEqual((await readAll(h.store, storeId)).sort(byKey), [tuple('doc:0', 'viewer', 'user:first'), ...keys].sort(byKey))
    const changes = await h.store.changelog.since(storeId, 1, 10)
    assert.deepEqual(changes.map((c) => c.key), keys, 'since() returns the whole revision, in input order')
    assert.equal(await h.store.changelog.revision(storeId), 2)
    // ReadChanges pages through the import like through any write.
    const seen: TupleKey[] = []
    let token = ''
    do {
      const page = await h.store.changelog.read(storeId, { pageSize: 100, continuationToken: token })
      seen.push(...page.items.map((c) => c.key))
      token = page.items.length === 0 ? '' : page.continuationToken
    } while (token !== '')
    assert.deepEqual(seen, [tuple('doc:0', 'viewer', 'user:first'), ...keys])
    // Unfiltered reads list tuples in write order, imported ones after earlier writes.
    assert.deepEqual((await readAll(h.store, storeId)).slice(0, 3), [tuple('doc:0', 'viewer', 'user:first'), keys[0], keys[1]])
  })

  it('on_duplicate error: a stored tuple or a repeated one fails the whole import and changes nothing', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne')])
    const before = await state(h.store, storeId)
    const err = await rejectsWith(
      importTuples(h.store, storeId, [tuple('doc:2', 'viewer', 'user:anne'), tuple('doc:1', 'viewer', 'user:anne')]),
      StoreErrorCodes.tupleExists,
    ) as StoreError
    assert.deepEqual(err.tuple, { object: 'doc:1', relation: 'viewer', user: 'user:anne' })
    await rejectsWith(importTuples(h.store, storeId, [tuple('doc:3', 'viewer', 'user:x'), tuple('doc:3', 'viewer', 'user:x')]), StoreErrorCodes.tupleExists)
    assert.deepEqual(await state(h.store, storeId), before)
  })

  it('on_duplicate ignore: identical tuples are skipped; another condition on the same key is a conflict', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:anne', { name: 'c', context: { a: 1, b: 2 } })])
    const result = await importTuples(h.store, storeId, [
      tuple('doc:2', 'viewer', 'user:bob'),
      tuple('doc:1', 'viewer', 'user:anne', { name: 'c', context: { b: 2, a: 1 } }),
      tuple('doc:2', 'viewer', 'user:bob'),
      tuple('doc:3', 'viewer', 'user:carl'),
    ], 'ignore')
    assert.deepEqual(result.applied.map((c) => c.key), [tuple('doc:2', 'viewer', 'user:bob'), tuple('doc:3', 'viewer', 'user:carl')])
    assert.deepEqual((await h.store.changelog.since(storeId, 1, 10)).map((c) => c.key), result.applied.map((c) => c.key))
    const before = await state(h.store, storeId)
    await rejectsWith(importTuples(h.store, storeId, [tuple('doc:4', 'viewer', 'user:x'), tuple('doc:1', 'viewer', 'user:anne')], 'ignore'), StoreErrorCodes.conditionConflict)
    assert.deepEqual(await state(h.store, storeId), before)
    // Nothing new at all: no revision is spent.
    assert.deepEqual(await importTuples(h.store, storeId, [tuple('doc:2', 'viewer', 'user:bob')], 'ignore'), { revision: before.revision, applied: [] })
    assert.deepEqual(await importTuples(h.store, storeId, []), { revision: before.revision, applied: [] })
  })

  it('stores any text exactly: quotes, backslashes, commas, braces, the word NULL, spaces, non-ASCII', async () => {
    const storeId = await h.newStore()
    const odd = ['a"b', 'c\\d', 'e,f', '{g}', 'NULL', 'h i', 'é✓', '\\"', '']
    const keys = odd.map((s, i) => tuple(`doc:${s}${i}`, 'viewer', `user:${s}`, i % 2 ? { name: `c${s}`, context: { [s]: `v"\\${s}` } } : undefined))
    const result = await importTuples(h.store, storeId, keys)
    assert.deepEqual(result.applied.map((c) => c.key), keys)
    assert.deepEqual((await readAll(h.store, storeId)).sort(byKey), [...keys].sort(byKey))
    assert.deepEqual((await h.store.changelog.since(storeId, 0, 100)).map((c) => c.key), keys)
  })

  it('a batch meeting stored keys midway writes the others once each, in input order', async () => {
    const storeId = await h.newStore()
    const keys = Array.from({ length: 600 }, (_, i) => tuple(`doc:${i}`, 'viewer', `user:u${i}`))
    await importTuples(h.store, storeId, keys.filter((_, i) => i % 3 === 1))
    const result = await importTuples(h.store, storeId, keys, 'ignore')
    const fresh = keys.filter((_, i) => i % 3 !== 1)
    assert.deepEqual(result.applied.map((c) => c.key), fresh)
    assert.deepEqual((await h.store.changelog.since(storeId, 1, 1000)).map((c) => c.key), fresh)
    assert.equal((await readAll(h.store, storeId)).length, 600)
    await rejectsWith(importTuples(h.store, storeId, [tuple('doc:new', 'viewer', 'user:x'), keys[0]]), StoreErrorCodes.tupleExists)
  })

  it('refuses an unknown store', async () => {
    await rejectsWith(importTuples(h.store, 'no-such-store', [tuple('doc:1', 'viewer', 'user:a')]), StoreErrorCodes.storeNotFound)
  })
}
