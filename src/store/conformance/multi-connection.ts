// Two handles on one database, as two processes would have: concurrent migrations and writers.

import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import type { Store } from '../types.ts'
import { assertParallelWrites } from './consistency.ts'
import { tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

export function multiConnectionCategory(factory: StoreFactory): void {
  // Not migrated up front: the first test migrates from both handles at once.
  const h = useFixture(factory, { migrate: false })
  let peer: Store | undefined
  after(async () => {
    await peer?.close()
  })

  it('migrates from two handles at once', async () => {
    const open = h.fixture.peer
    assert.ok(open, 'the factory must provide peer() for this category')
    peer = await open()
    await Promise.all([h.store.migrate(), peer.migrate(), h.store.migrate()])
    await Promise.all([h.store.migrate(), peer.migrate()])
    await h.store.ping()
  })

  it('sees writes made through the other handle', async () => {
    assert.ok(peer)
    const storeId = await h.newStore()
    assert.equal((await peer.stores.get(storeId))?.id, storeId)
    await writeTuples(peer, storeId, [tuple('doc:1', 'viewer', 'user:a')])
    assert.equal(await h.store.changelog.revision(storeId), 1)
    assert.deepEqual((await h.store.tuples.snapshot(storeId)).tuples, [tuple('doc:1', 'viewer', 'user:a')])
  })

  it('parallel writes through both handles land with distinct revisions', async () => {
    assert.ok(peer)
    await assertParallelWrites([h.store, peer], await h.newStore(), 30)
  })
}
