import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import type { CompiledModel } from '../model/compiled.ts'
import { modelFromDsl } from '../model/dsl.ts'
import { ModelCache } from './context.ts'

describe('latest model cache', () => {
  it('does not step back to an older model when a slow lookup finishes after a newer write', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    try {
      await store.stores.create({ id: '01HZZZZZZZZZZZZZZZZZZZZZZ0', name: 'cache' })
      const storeId = '01HZZZZZZZZZZZZZZZZZZZZZZ0'
      const json = modelFromDsl('model\n  schema 1.1\ntype user\n')
      const older = await store.models.write(storeId, '01J00000000000000000000001', json)
      // A lookup that read the database before the newer model committed, answering late.
      let release!: () => void
      const gate = new Promise<void>((r) => { release = r })
      const slowStore = { ...store, models: { ...store.models, latest: async () => { await gate; return older } } }
      const cache = new ModelCache(slowStore as typeof store)
      const pending = cache.resolve(storeId, '')
      cache.written(storeId, { id: '01J00000000000000000000002' } as CompiledModel)
      release()
      assert.equal((await pending).id, '01J00000000000000000000002')
    } finally {
      await store.close()
    }
  })
})
