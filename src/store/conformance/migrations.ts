// migrate(): idempotent, keeps data, answers ping.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

export function migrationsCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  it('runs again without changes and keeps the data', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')])
    await h.store.migrate()
    await Promise.all([h.store.migrate(), h.store.migrate()])
    assert.equal(await h.store.changelog.revision(storeId), 1)
    await h.store.ping()
  })
}
