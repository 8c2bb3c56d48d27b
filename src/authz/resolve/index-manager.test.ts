// The tuple index stays in step with writes that another process makes to the same database:
// two store handles on one SQLite file stand for two processes (the second's writes are not
// announced to the first).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import type { Store } from '../../store/types.ts'
import { IndexManager } from './index-manager.ts'

let dir: string
let mine: Store
let theirs: Store
let storeId: string

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-index-'))
  mine = await openSqliteStore({ path: join(dir, 'db.sqlite') })
  await mine.migrate()
  theirs = await openSqliteStore({ path: join(dir, 'db.sqlite') })
  storeId = (await mine.stores.create({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', name: 'shared' })).id
})
after(async () => {
  await mine.close()
  await theirs.close()
  rmSync(dir, { recursive: true, force: true })
})

const write = (s: Store, object: string) =>
  s.tuples.write(storeId, { writes: [{ object, relation: 'viewer', user: 'user:a' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })

describe('index manager', () => {
  it('catches up with another writer when fresh answers are asked for', async () => {
    const indexes = new IndexManager(mine, 1000)
    await write(mine, 'doc:1')
    const first = await indexes.get(storeId, false)
    assert.ok(first.bucket('doc:1', 'viewer'))
    await write(theirs, 'doc:2')
    const fresh = await indexes.get(storeId, true)
    assert.ok(fresh.bucket('doc:2', 'viewer'))
    assert.equal(fresh.revision, await mine.changelog.revision(storeId))
    indexes.close()
  })

  it('applies this process\'s own writes without a round trip', async () => {
    const indexes = new IndexManager(mine, 1000)
    await indexes.get(storeId, false)
    const result = await write(mine, 'doc:3')
    await indexes.applyLocal(storeId, result)
    const idx = await indexes.get(storeId, false)
    assert.ok(idx.bucket('doc:3', 'viewer'))
    assert.equal(idx.revision, result.revision)
    indexes.close()
  })

  it('keeps the writes made while a store is read page by page', async () => {
    const big = (await mine.stores.create({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAW', name: 'paged' })).id
    const tuples = Array.from({ length: 12_000 }, (_, i) => ({ object: `doc:${String(i).padStart(5, '0')}`, relation: 'viewer', user: 'user:a' }))
    await mine.tuples.write(big, { writes: tuples, deletes: [], onDuplicate: 'error', onMissing: 'error' })
    // After the first page, another process deletes a tuple not yet read and adds one before the
    // page boundary (neither announced here): the changelog replay must bring in both.
    let paused = false
    const scan: Store['tuples']['scan'] = async (storeId, after, limit) => {
      const page = await mine.tuples.scan(storeId, after, limit)
      if (!paused) {
        paused = true
        await theirs.tuples.write(big, {
          writes: [{ object: 'doc:00000a', relation: 'viewer', user: 'user:a' }],
          deletes: [{ object: 'doc:11999', relation: 'viewer', user: 'user:a' }],
          onDuplicate: 'error', onMissing: 'error',
        })
      }
      return page
    }
    const indexes = new IndexManager({ ...mine, tuples: { ...mine.tuples, scan } }, 100_000)
    const idx = await indexes.get(big, false)
    assert.ok(paused)
    assert.equal(idx.size, 12_000)
    assert.ok(idx.bucket('doc:00000a', 'viewer'))
    assert.equal(idx.bucket('doc:11999', 'viewer'), undefined)
    assert.ok(idx.bucket('doc:11998', 'viewer'))
    assert.equal(idx.revision, await mine.changelog.revision(big))
    indexes.close()
  })

  it('replays a gap before trusting a local write that skipped revisions', async () => {
    const indexes = new IndexManager(mine, 1000)
    await indexes.get(storeId, false)
    await write(theirs, 'doc:4')
    const result = await write(mine, 'doc:5')
    await indexes.applyLocal(storeId, result)
    const idx = await indexes.get(storeId, true)
    assert.ok(idx.bucket('doc:4', 'viewer'))
    assert.ok(idx.bucket('doc:5', 'viewer'))
    indexes.close()
  })
})
