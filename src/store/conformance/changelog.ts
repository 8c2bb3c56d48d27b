// changelog.read (OpenFGA ReadChanges), changelog.since and changelog.revision.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { ChangesQuery, TupleChange } from '../types.ts'
import { clockPast, rejectsWith, tamper, tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

export function changelogCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  /** Pages until an empty page; returns the changes and the token that page handed back. */
  async function drain(storeId: string, query: Omit<ChangesQuery, 'continuationToken'>, token = ''): Promise<{ changes: TupleChange[]; token: string }> {
    const changes: TupleChange[] = []
    for (;;) {
      const page = await h.store.changelog.read(storeId, { ...query, continuationToken: token })
      assert.ok(page.items.length <= query.pageSize)
      if (page.items.length === 0) {
        assert.equal(page.continuationToken, token, 'with nothing newer, the same token comes back')
        return { changes, token }
      }
      assert.notEqual(page.continuationToken, '')
      changes.push(...page.items)
      token = page.continuationToken
    }
  }

  it('returns an empty page and an empty token for a store that never changed', async () => {
    const storeId = await h.newStore()
    assert.deepEqual(await h.store.changelog.read(storeId, { pageSize: 10 }), { items: [], continuationToken: '' })
    assert.deepEqual(await h.store.changelog.read(storeId, { pageSize: 10, objectType: 'doc' }), { items: [], continuationToken: '' })
  })

  it('pages changes in (revision, ordinal) order and resumes after new writes', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a'), tuple('doc:2', 'viewer', 'user:b'), tuple('folder:1', 'viewer', 'user:c')])
    await writeTuples(h.store, storeId, [tuple('doc:3', 'viewer', 'user:d')], [tuple('doc:1', 'viewer', 'user:a')])
    const all = await h.store.changelog.since(storeId, 0, 100)
    assert.equal(all.length, 5)
    const first = await h.store.changelog.read(storeId, { pageSize: 2 })
    assert.deepEqual(first.items, all.slice(0, 2))
    assert.notEqual(first.continuationToken, '')
    const { changes, token } = await drain(storeId, { pageSize: 2 }, first.continuationToken)
    assert.deepEqual([...first.items, ...changes], all)
    assert.deepEqual(all.map((c) => c.revision), [1, 1, 1, 2, 2])
    assert.deepEqual(all.map((c) => c.operation), ['write', 'write', 'write', 'delete', 'write'])
    assert.equal(all[3].key.condition, undefined)

    await writeTuples(h.store, storeId, [tuple('doc:4', 'viewer', 'user:e', { name: 'c', context: { n: 1 } })])
    const next = await h.store.changelog.read(storeId, { pageSize: 2, continuationToken: token })
    assert.deepEqual(next.items.map((c) => [c.revision, c.key]), [[3, tuple('doc:4', 'viewer', 'user:e', { name: 'c', context: { n: 1 } })]])
    assert.notEqual(next.continuationToken, token)
  })

  it('filters by object type, and such a token keeps its filter', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a'), tuple('folder:1', 'viewer', 'user:b')])
    await writeTuples(h.store, storeId, [tuple('folder:2', 'viewer', 'user:c'), tuple('doc:2', 'viewer', 'user:d')])
    await writeTuples(h.store, storeId, [tuple('folder:3', 'viewer', 'user:e')])
    const { changes, token } = await drain(storeId, { pageSize: 1, objectType: 'doc' })
    assert.deepEqual(changes.map((c) => c.key.object), ['doc:1', 'doc:2'])
    await rejectsWith(h.store.changelog.read(storeId, { pageSize: 1, continuationToken: token }), StoreErrorCodes.tokenTypeMismatch)
    await rejectsWith(h.store.changelog.read(storeId, { pageSize: 1, objectType: 'folder', continuationToken: token }), StoreErrorCodes.tokenTypeMismatch)
    const unfiltered = await h.store.changelog.read(storeId, { pageSize: 1 })
    await rejectsWith(h.store.changelog.read(storeId, { pageSize: 1, objectType: 'doc', continuationToken: unfiltered.continuationToken }), StoreErrorCodes.tokenTypeMismatch)
    await writeTuples(h.store, storeId, [tuple('folder:4', 'viewer', 'user:f'), tuple('doc:3', 'viewer', 'user:g')])
    const later = await h.store.changelog.read(storeId, { pageSize: 5, objectType: 'doc', continuationToken: token })
    assert.deepEqual(later.items.map((c) => c.key.object), ['doc:3'])
  })

  it('hands out a resumable token even when no change matches the type yet', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('folder:1', 'viewer', 'user:a')])
    const page = await h.store.changelog.read(storeId, { pageSize: 10, objectType: 'doc' })
    assert.deepEqual(page.items, [])
    assert.notEqual(page.continuationToken, '', 'a store with changes never answers the first page with an empty token')
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')])
    const next = await h.store.changelog.read(storeId, { pageSize: 10, objectType: 'doc', continuationToken: page.continuationToken })
    assert.deepEqual(next.items.map((c) => c.key.object), ['doc:1'])
  })

  it('applies startTime only without a token', async () => {
    const storeId = await h.newStore()
    const early = await writeTuples(h.store, storeId, [tuple('doc:early', 'viewer', 'user:a')])
    await clockPast(early.applied[0].timestamp.getTime())
    const startTime = new Date()
    await clockPast(startTime.getTime())
    await writeTuples(h.store, storeId, [tuple('doc:late', 'viewer', 'user:a')])
    const since = await h.store.changelog.read(storeId, { pageSize: 10, startTime })
    assert.deepEqual(since.items.map((c) => c.key.object), ['doc:late'])
    const first = await h.store.changelog.read(storeId, { pageSize: 1 })
    const withToken = await h.store.changelog.read(storeId, { pageSize: 10, startTime: new Date(Date.now() + 3_600_000), continuationToken: first.continuationToken })
    assert.deepEqual(withToken.items.map((c) => c.key.object), ['doc:late'])
    const future = await h.store.changelog.read(storeId, { pageSize: 10, startTime: new Date(Date.now() + 3_600_000) })
    assert.deepEqual(future.items, [])
  })

  it('rejects garbage, tampered and foreign tokens', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a'), tuple('doc:2', 'viewer', 'user:a')])
    const page = await h.store.changelog.read(storeId, { pageSize: 1 })
    for (const token of ['nope', '....', tamper(page.continuationToken)]) {
      await rejectsWith(h.store.changelog.read(storeId, { pageSize: 1, continuationToken: token }), StoreErrorCodes.invalidContinuationToken)
    }
    const other = await h.newStore()
    await rejectsWith(h.store.changelog.read(other, { pageSize: 1, continuationToken: page.continuationToken }), StoreErrorCodes.invalidContinuationToken)
    await rejectsWith(h.store.changelog.read('no-such-store', { pageSize: 1 }), StoreErrorCodes.storeNotFound)
  })

  it('since returns whole revisions after the given one', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'r', 'user:a'), tuple('doc:2', 'r', 'user:a'), tuple('doc:3', 'r', 'user:a')])
    await writeTuples(h.store, storeId, [tuple('doc:4', 'r', 'user:a')])
    await writeTuples(h.store, storeId, [tuple('doc:5', 'r', 'user:a'), tuple('doc:6', 'r', 'user:a')])
    const revs = async (after: number, limit: number): Promise<string[]> =>
      (await h.store.changelog.since(storeId, after, limit)).map((c) => `${c.revision}:${c.key.object}`)
    assert.deepEqual(await revs(0, 100), ['1:doc:1', '1:doc:2', '1:doc:3', '2:doc:4', '3:doc:5', '3:doc:6'])
    assert.deepEqual(await revs(0, 2), ['1:doc:1', '1:doc:2', '1:doc:3'], 'a revision is never split')
    assert.deepEqual(await revs(0, 4), ['1:doc:1', '1:doc:2', '1:doc:3', '2:doc:4'])
    assert.deepEqual(await revs(1, 1), ['2:doc:4'])
    assert.deepEqual(await revs(2, 100), ['3:doc:5', '3:doc:6'])
    assert.deepEqual(await revs(3, 100), [])
    assert.deepEqual(await h.store.changelog.since('no-such-store', 0, 10), [])
  })

  it('revision is 0 for a new store, follows writes, and fails for an unknown store', async () => {
    const storeId = await h.newStore()
    assert.equal(await h.store.changelog.revision(storeId), 0)
    await writeTuples(h.store, storeId, [tuple('doc:1', 'r', 'user:a')])
    await writeTuples(h.store, storeId, [tuple('doc:2', 'r', 'user:a')])
    assert.equal(await h.store.changelog.revision(storeId), 2)
    await rejectsWith(h.store.changelog.revision('no-such-store'), StoreErrorCodes.storeNotFound)
  })
}
