import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, it } from 'node:test'
import { runStoreConformance } from '../conformance/index.ts'
import { isStoreError, StoreErrorCodes } from '../errors.ts'
import { openSqliteStore } from './index.ts'

const MULTI_PROCESS_REASON =
  'SQLite has a single writer per file and one connection per process here; a second handle in the ' +
  'same process would block the event loop in busy_timeout while the first waits to commit'

function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

runStoreConformance(':memory: SQLite', async (options) => {
  const store = await openSqliteStore({ path: ':memory:', clock: options?.clock })
  return { store, cleanup: () => store.close() }
}, { skip: { multiConnection: MULTI_PROCESS_REASON } })

runStoreConformance('file SQLite', async (options) => {
  const tmp = tempDir()
  const store = await openSqliteStore({ path: join(tmp.dir, 'gatehouse.db'), clock: options?.clock })
  return {
    store,
    async cleanup() {
      await store.close()
      tmp.remove()
    },
  }
}, { skip: { multiConnection: MULTI_PROCESS_REASON } })

describe('SQLite store specifics', () => {
  it('keeps committed data across close and reopen, in WAL mode', async () => {
    const tmp = tempDir()
    try {
      const path = join(tmp.dir, 'gatehouse.db')
      const first = await openSqliteStore({ path })
      await first.migrate()
      await first.stores.create({ id: 's', name: 'kept' })
      await first.tuples.write('s', { writes: [{ object: 'doc:1', relation: 'viewer', user: 'user:a' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })
      await first.close()
      const raw = new DatabaseSync(path)
      assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal')
      raw.close()
      const second = await openSqliteStore({ path })
      await second.migrate()
      assert.equal(await second.changelog.revision('s'), 1)
      assert.equal((await second.tuples.snapshot('s')).tuples.length, 1)
      await second.close()
    } finally {
      tmp.remove()
    }
  })

  it('refuses to run on a schema newer than its migrations', async () => {
    const tmp = tempDir()
    try {
      const path = join(tmp.dir, 'gatehouse.db')
      const store = await openSqliteStore({ path })
      await store.migrate()
      await store.close()
      const raw = new DatabaseSync(path)
      raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, ?, 0)').run('from_the_future')
      raw.close()
      const again = await openSqliteStore({ path })
      await assert.rejects(again.migrate(), (err) => isStoreError(err, StoreErrorCodes.schemaTooNew))
      await again.close()
    } finally {
      tmp.remove()
    }
  })

  it('reports an unopenable path and a closed store as unavailable', async () => {
    await assert.rejects(openSqliteStore({ path: '/nonexistent-dir/for/sure/gatehouse.db' }), (err) => isStoreError(err, StoreErrorCodes.unavailable))
    const store = await openSqliteStore({ path: ':memory:' })
    await store.close()
    await assert.rejects(store.ping(), (err) => isStoreError(err, StoreErrorCodes.unavailable))
  })
})
