// Authorization models and assertions.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { AuthorizationModelJson, ModelRecord } from '../types.ts'
import { rejectsWith, useFixture, type StoreFactory } from './harness.ts'

const MODEL: AuthorizationModelJson = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user', condition: 'in_hours' }] } } } },
  ],
  conditions: {
    in_hours: { name: 'in_hours', expression: 'hour >= 9 && hour < 17', parameters: { hour: { type_name: 'TYPE_NAME_INT' } } },
  },
}

export function modelsCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  it('writes a model and reads it back unchanged', async () => {
    const storeId = await h.newStore()
    const written = await h.store.models.write(storeId, 'model-1', MODEL)
    assert.equal(written.id, 'model-1')
    assert.equal(written.storeId, storeId)
    assert.ok(written.createdAt instanceof Date)
    assert.deepEqual(written.model, MODEL)
    assert.deepEqual(await h.store.models.get(storeId, 'model-1'), written)
    assert.equal(await h.store.models.get(storeId, 'model-2'), null)
  })

  it('keeps models per store', async () => {
    const a = await h.newStore()
    const b = await h.newStore()
    await h.store.models.write(a, 'shared-id', MODEL)
    assert.equal(await h.store.models.get(b, 'shared-id'), null)
    assert.equal(await h.store.models.latest(b), null)
  })

  it('latest is the most recently written model', async () => {
    const storeId = await h.newStore()
    assert.equal(await h.store.models.latest(storeId), null)
    // Ids deliberately out of lexical order: "latest" follows write order, not id order.
    for (const id of ['m-c', 'm-a', 'm-b']) await h.store.models.write(storeId, id, MODEL)
    assert.equal((await h.store.models.latest(storeId))?.id, 'm-b')
  })

  it('lists models newest first across pages', async () => {
    const storeId = await h.newStore()
    const ids = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']
    for (const id of ids) await h.store.models.write(storeId, id, MODEL)
    const seen: ModelRecord[] = []
    let token = ''
    do {
      const page = await h.store.models.list(storeId, { pageSize: 2, continuationToken: token })
      assert.ok(page.items.length <= 2)
      seen.push(...page.items)
      token = page.continuationToken
    } while (token !== '')
    assert.deepEqual(seen.map((m) => m.id), [...ids].reverse())
    assert.deepEqual(await h.store.models.list(await h.newStore(), { pageSize: 5 }), { items: [], continuationToken: '' })
  })

  it('refuses a model for an unknown store, and a reused model id', async () => {
    await rejectsWith(h.store.models.write('no-such-store', 'm', MODEL), StoreErrorCodes.storeNotFound)
    const storeId = await h.newStore()
    await h.store.models.write(storeId, 'm-dup', MODEL)
    await rejectsWith(h.store.models.write(storeId, 'm-dup', MODEL), StoreErrorCodes.writeConflict)
  })

  it('rejects a garbage or foreign model list token', async () => {
    const storeId = await h.newStore()
    for (const id of ['t-1', 't-2', 't-3']) await h.store.models.write(storeId, id, MODEL)
    await rejectsWith(h.store.models.list(storeId, { pageSize: 1, continuationToken: '%%%' }), StoreErrorCodes.invalidContinuationToken)
    const page = await h.store.models.list(storeId, { pageSize: 1 })
    const other = await h.newStore()
    await rejectsWith(h.store.models.list(other, { pageSize: 1, continuationToken: page.continuationToken }), StoreErrorCodes.invalidContinuationToken)
  })

  it('stores assertions per model and replaces them on write', async () => {
    const storeId = await h.newStore()
    await h.store.models.write(storeId, 'am-1', MODEL)
    await h.store.models.write(storeId, 'am-2', MODEL)
    assert.deepEqual(await h.store.assertions.read(storeId, 'am-1'), [])
    const first = [
      { tuple_key: { object: 'doc:1', relation: 'viewer', user: 'user:anne' }, expectation: true },
      { tuple_key: { object: 'doc:1', relation: 'viewer', user: 'user:bob' }, expectation: false, context: { hour: 10 } },
    ]
    await h.store.assertions.write(storeId, 'am-1', first)
    assert.deepEqual(await h.store.assertions.read(storeId, 'am-1'), first)
    assert.deepEqual(await h.store.assertions.read(storeId, 'am-2'), [])
    const second = [{ tuple_key: { object: 'doc:2', relation: 'viewer', user: 'user:carl' }, expectation: true }]
    await h.store.assertions.write(storeId, 'am-1', second)
    assert.deepEqual(await h.store.assertions.read(storeId, 'am-1'), second)
    await h.store.assertions.write(storeId, 'am-1', [])
    assert.deepEqual(await h.store.assertions.read(storeId, 'am-1'), [])
    await rejectsWith(h.store.assertions.write('no-such-store', 'am-1', first), StoreErrorCodes.storeNotFound)
  })
}
