// onChange: fires once per committed tuple write, after the commit, and never for no-ops.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { tuple, useFixture, writeTuples, rejectsWith, type StoreFactory } from './harness.ts'
import { StoreErrorCodes } from '../errors.ts'

export function onChangeCategory(factory: StoreFactory): void {
  const h = useFixture(factory)

  it('notifies after each applied write with the store and its new revision', async () => {
    const storeId = await h.newStore()
    const seen: [string, number][] = []
    const committed: Promise<number>[] = []
    const stop = h.store.onChange((id, revision) => {
      seen.push([id, revision])
      // Fired after commit: the store already reports the new revision.
      committed.push(h.store.changelog.revision(id))
    })
    try {
      await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')])
      await writeTuples(h.store, storeId, [tuple('doc:2', 'viewer', 'user:a')], [tuple('doc:1', 'viewer', 'user:a')])
      assert.deepEqual(seen, [[storeId, 1], [storeId, 2]])
      assert.deepEqual(await Promise.all(committed), [1, 2])
    } finally {
      stop()
    }
  })

  it('stays silent for no-op and failed writes, and after unsubscribing', async () => {
    const storeId = await h.newStore()
    await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')])
    const seen: number[] = []
    const stop = h.store.onChange((_, revision) => seen.push(revision))
    await h.store.tuples.write(storeId, { writes: [tuple('doc:1', 'viewer', 'user:a')], deletes: [], onDuplicate: 'ignore', onMissing: 'ignore' })
    await rejectsWith(writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')]), StoreErrorCodes.tupleExists)
    stop()
    await writeTuples(h.store, storeId, [tuple('doc:2', 'viewer', 'user:a')])
    assert.deepEqual(seen, [])
  })

  it('a throwing listener neither fails the write nor starves other listeners', async () => {
    const storeId = await h.newStore()
    const seen: number[] = []
    const stopBad = h.store.onChange(() => {
      throw new Error('listener failure (expected in this test)')
    })
    const stopGood = h.store.onChange((_, revision) => seen.push(revision))
    const logged = console.error
    console.error = () => undefined
    try {
      assert.equal((await writeTuples(h.store, storeId, [tuple('doc:1', 'viewer', 'user:a')])).revision, 1)
      assert.deepEqual(seen, [1])
    } finally {
      console.error = logged
      stopBad()
      stopGood()
    }
  })
}
