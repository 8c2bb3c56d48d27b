// Stores: create/get, soft delete, listing oldest first with an exact name filter and paging.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import { STORE_DELETED, type StoreInfo } from '../types.ts'
import { rejectsWith, tamper, tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

export function storesCategory(factory: StoreFactory): void {
  // A fixture of its own: listing asserts the exact set of stores in the database.
  const h = useFixture(factory)

  async function listAll(pageSize: number, name?: string): Promise<StoreInfo[]> {
    const out: StoreInfo[] = []
    let token = ''
    do {
      const page = await h.store.stores.list({ pageSize, continuationToken: token }, name)
      assert.ok(page.items.length <= pageSize)
      out.push(...page.items)
      token = page.continuationToken
    } while (token !== '')
    return out
  }

  it('creates a store and gets it back with its timestamps', async () => {
    const before = Date.now()
    const created = await h.store.stores.create({ id: 'store-create-1', name: 'first' })
    assert.equal(created.id, 'store-create-1')
    assert.equal(created.name, 'first')
    assert.ok(created.createdAt instanceof Date && created.updatedAt instanceof Date)
    assert.ok(created.createdAt.getTime() >= before && created.createdAt.getTime() <= Date.now())
    assert.equal(created.deletedAt, null)
    assert.deepEqual(await h.store.stores.get('store-create-1'), created)
    assert.equal(await h.store.stores.get('no-such-store'), null)
  })

  it('refuses a second store with the same id', async () => {
    await h.store.stores.create({ id: 'store-dup', name: 'a' })
    await rejectsWith(h.store.stores.create({ id: 'store-dup', name: 'b' }), StoreErrorCodes.writeConflict)
    assert.equal((await h.store.stores.get('store-dup'))?.name, 'a')
  })

  it('lists stores oldest first across pages, each exactly once', async () => {
    for (let i = 0; i < 7; i++) await h.store.stores.create({ id: `store-list-${i}`, name: `list-${i % 2}` })
    const all = await listAll(100)
    const paged = await listAll(3)
    assert.deepEqual(paged, all)
    const listed = all.map((s) => s.id).filter((id) => id.startsWith('store-list-'))
    assert.deepEqual(listed, [0, 1, 2, 3, 4, 5, 6].map((i) => `store-list-${i}`))
    const first = await h.store.stores.list({ pageSize: all.length })
    assert.equal(first.continuationToken, '', 'a page that holds everything has no continuation')
  })

  it('filters the list by exact name, with paging', async () => {
    await h.store.stores.create({ id: 'store-name-prefix', name: 'list-0-but-longer' })
    const named = await listAll(2, 'list-0')
    assert.deepEqual(named.map((s) => s.id), ['store-list-0', 'store-list-2', 'store-list-4', 'store-list-6'])
    assert.deepEqual(await listAll(2, 'no store has this name'), [])
  })

  it('soft-deletes: get returns null, list skips it, a second delete returns false', async () => {
    await h.store.stores.create({ id: 'store-del', name: 'doomed' })
    assert.equal(await h.store.stores.delete('store-del'), true)
    assert.equal(await h.store.stores.get('store-del'), null)
    assert.ok(!(await listAll(100)).some((s) => s.id === 'store-del'))
    assert.deepEqual(await listAll(100, 'doomed'), [])
    assert.equal(await h.store.stores.delete('store-del'), false)
    assert.equal(await h.store.stores.delete('never-existed'), false)
  })

  it('treats a deleted store as unknown for tuples, changes and models', async () => {
    await h.store.stores.create({ id: 'store-del-2', name: 'doomed' })
    await writeTuples(h.store, 'store-del-2', [tuple('doc:1', 'viewer', 'user:anne')])
    await h.store.stores.delete('store-del-2')
    await rejectsWith(writeTuples(h.store, 'store-del-2', [tuple('doc:2', 'viewer', 'user:anne')]), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.tuples.read('store-del-2', {}, { pageSize: 10 }), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.tuples.snapshot('store-del-2'), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.changelog.read('store-del-2', { pageSize: 10 }), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.changelog.revision('store-del-2'), StoreErrorCodes.storeNotFound)
    await rejectsWith(
      h.store.models.write('store-del-2', 'm', { schema_version: '1.1', type_definitions: [] }),
      StoreErrorCodes.storeNotFound,
    )
  })

  it('hides a deleted store\'s models and assertions', async () => {
    await h.store.stores.create({ id: 'store-del-3', name: 'doomed' })
    await h.store.models.write('store-del-3', 'm1', { schema_version: '1.1', type_definitions: [] })
    await h.store.assertions.write('store-del-3', 'm1', [{ expectation: true }])
    assert.equal((await h.store.models.get('store-del-3', 'm1'))?.id, 'm1')
    assert.equal(await h.store.models.get('store-del-3', 'm2'), null)
    assert.deepEqual(await h.store.assertions.read('store-del-3', 'm2'), [])
    await h.store.stores.delete('store-del-3')
    await rejectsWith(h.store.models.get('store-del-3', 'm1'), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.models.latest('store-del-3'), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.models.list('store-del-3', { pageSize: 10 }), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.assertions.read('store-del-3', 'm1'), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.models.latest('never-existed'), StoreErrorCodes.storeNotFound)
  })

  it('announces a deletion to change listeners, once', async () => {
    await h.store.stores.create({ id: 'store-del-4', name: 'doomed' })
    const seen: [string, number][] = []
    const stop = h.store.onChange((id, revision) => seen.push([id, revision]))
    try {
      await h.store.stores.delete('store-del-4')
      await h.store.stores.delete('store-del-4')
      assert.deepEqual(seen, [['store-del-4', STORE_DELETED]])
    } finally {
      stop()
    }
  })

  it('reads the revisions of many live stores at once', async () => {
    await h.store.stores.create({ id: 'store-rev-1', name: 'rev' })
    await h.store.stores.create({ id: 'store-rev-2', name: 'rev' })
    await h.store.stores.create({ id: 'store-rev-3', name: 'rev' })
    await writeTuples(h.store, 'store-rev-1', [tuple('doc:1', 'viewer', 'user:anne')])
    await writeTuples(h.store, 'store-rev-1', [tuple('doc:2', 'viewer', 'user:anne')])
    await h.store.stores.delete('store-rev-3')
    const revisions = await h.store.changelog.revisions(['store-rev-1', 'store-rev-2', 'store-rev-3', 'never-existed', 'store-rev-1'])
    assert.deepEqual([...revisions].sort(), [['store-rev-1', 2], ['store-rev-2', 0]])
    assert.equal((await h.store.changelog.revisions([])).size, 0)
  })

  it('rejects a garbage or tampered list token', async () => {
    await rejectsWith(h.store.stores.list({ pageSize: 2, continuationToken: 'not a token!' }), StoreErrorCodes.invalidContinuationToken)
    await rejectsWith(h.store.stores.list({ pageSize: 2, continuationToken: 'bm9wZQ' }), StoreErrorCodes.invalidContinuationToken)
    const page = await h.store.stores.list({ pageSize: 1 })
    assert.notEqual(page.continuationToken, '')
    await rejectsWith(h.store.stores.list({ pageSize: 1, continuationToken: tamper(page.continuationToken) }), StoreErrorCodes.invalidContinuationToken)
  })
}
