import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../../test/support/postgres.ts'
import { runStoreConformance, type FixtureOptions } from '../conformance/index.ts'
import { isStoreError, StoreErrorCodes } from '../errors.ts'
import { adHoc } from '../sql/index.ts'
import { STORE_DELETED, type Store } from '../types.ts'
import { PostgresDatabase } from './database.ts'
import { changeChannel, openPostgresStore, type PostgresStore } from './index.ts'

const skip = await postgresSkipReason()

// One database for the file, one schema per fixture: much faster than a database per category.
let database: Promise<TestDatabase> | undefined
const testDatabase = (): Promise<TestDatabase> => (database ??= createTestDatabase())
after(async () => {
  await (await database)?.drop()
})

let schemas = 0
async function openFresh(options: FixtureOptions = {}): Promise<{ url: string; schema: string; store: PostgresStore }> {
  const { url } = await testDatabase()
  const schema = `conformance_${++schemas}`
  const poolSize = Math.max(4, options.connections ?? 0)
  return { url, schema, store: await openPostgresStore({ connectionString: url, schema, poolSize, clock: options.clock }) }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await client.end()
  }
}

if (skip !== undefined) {
  describe('PostgreSQL store', { skip }, () => undefined)
} else {
  runStoreConformance('PostgreSQL', async (options) => {
    const { url, schema, store } = await openFresh(options)
    const peers: Store[] = []
    return {
      store,
      peer: async () => {
        const peer = await openPostgresStore({ connectionString: url, schema, poolSize: 4, clock: options?.clock })
        peers.push(peer)
        return peer
      },
      async cleanup() {
        await Promise.all([store.close(), ...peers.map((p) => p.close())])
        await dropSchema(url, schema)
      },
    }
  })

  describe('PostgreSQL store specifics', () => {
    let url = ''
    let schema = ''
    let a: PostgresStore
    let b: PostgresStore
    before(async () => {
      const fresh = await openFresh()
      ;({ url, schema } = fresh)
      a = fresh.store
      b = await openPostgresStore({ connectionString: url, schema })
      await a.migrate()
    })
    after(async () => {
      await Promise.all([a?.close(), b?.close()])
    })

    const write = (store: Store, storeId: string, object: string) =>
      store.tuples.write(storeId, { writes: [{ object, relation: 'viewer', user: 'user:a' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })

    function nextChange(store: Store, storeId: string): Promise<number> {
      return new Promise((resolve) => {
        const stop = store.onChange((id, revision) => {
          if (id !== storeId) return
          stop()
          resolve(revision)
        })
      })
    }

    it('tells other processes of a commit through LISTEN/NOTIFY, and its own process once', async () => {
      await a.stores.create({ id: 'notify-1', name: 'n' })
      const local: number[] = []
      const stopLocal = a.onChange((id, revision) => id === 'notify-1' && local.push(revision))
      const remote = nextChange(b, 'notify-1')
      await Promise.all([a.whenListening(), b.whenListening()])
      await write(a, 'notify-1', 'doc:1')
      assert.equal(await remote, 1)
      // One session receives notifications in commit order: when b's later commit reaches a,
      // a's own NOTIFY for revision 1 has arrived too, and must have been ignored.
      const backAtA = nextChange(a, 'notify-1')
      await write(b, 'notify-1', 'doc:2')
      assert.equal(await backAtA, 2)
      stopLocal()
      assert.deepEqual(local, [1, 2])
    })

    it('reconnects the LISTEN connection after it is killed', async () => {
      await a.stores.create({ id: 'notify-2', name: 'n' })
      await b.whenListening()
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      try {
        const listenerPids = async (): Promise<number[]> =>
          (await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()",
          )).rows.map((r) => r.pid)
        const before = await listenerPids()
        assert.ok(before.length >= 1)
        // Notifications sent while LISTEN is down are lost: the reconnect must say so.
        const resynced = new Promise<void>((resolve) => {
          const stop = b.onResync(() => {
            stop()
            resolve()
          })
        })
        const warnings: unknown[] = []
        const original = console.warn
        console.warn = (...args: unknown[]) => warnings.push(args)
        try {
          await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before])
          // Wait for fresh LISTEN connections to replace the killed ones.
          while ((await listenerPids()).filter((pid) => !before.includes(pid)).length < before.length) await sleep(20)
        } finally {
          console.warn = original
        }
        assert.ok(warnings.length > 0, 'the disconnect is logged')
        await b.whenListening()
        await resynced
        const remote = nextChange(b, 'notify-2')
        await write(a, 'notify-2', 'doc:1')
        assert.equal(await remote, 1)
      } finally {
        await admin.end()
      }
    })

    it('tells other processes of a store deletion', async () => {
      await a.stores.create({ id: 'notify-del', name: 'n' })
      await Promise.all([a.whenListening(), b.whenListening()])
      const remote = nextChange(b, 'notify-del')
      assert.equal(await a.stores.delete('notify-del'), true)
      assert.equal(await remote, STORE_DELETED)
    })

    it('notifies on a schema whose name is too long for a readable channel', async () => {
      const long = `long_${schemas}_${'x'.repeat(48)}`.slice(0, 48)
      assert.ok(changeChannel(long).length <= 63)
      assert.notEqual(changeChannel(long), changeChannel(`${long.slice(0, 47)}y`))
      assert.equal(changeChannel('short'), 'gatehouse.changes.short')
      const one = await openPostgresStore({ connectionString: url, schema: long, poolSize: 2 })
      const two = await openPostgresStore({ connectionString: url, schema: long, poolSize: 2 })
      try {
        await one.migrate()
        await one.stores.create({ id: 'long-1', name: 'n' })
        const remote = nextChange(two, 'long-1')
        await two.whenListening()
        assert.equal((await write(one, 'long-1', 'doc:1')).revision, 1)
        assert.equal(await remote, 1)
      } finally {
        await Promise.all([one.close(), two.close()])
        await dropSchema(url, long)
      }
    })

    it('retries serialization failures, then gives up with write_conflict', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 })
      const db = new PostgresDatabase({ pool, schema, channel: 'unused', instanceId: 'test' })
      try {
        const serializationFailure = (): Error => Object.assign(new Error('could not serialize access'), { code: '40001' })
        let attempts = 0
        const value = await db.write(async (tx) => {
          await tx.all(adHoc('SELECT 1'))
          if (++attempts < 3) throw serializationFailure()
          return 'done'
        })
        assert.deepEqual([value, attempts], ['done', 3])
        attempts = 0
        await assert.rejects(
          db.write(async () => {
            attempts++
            throw serializationFailure()
          }),
          (err) => isStoreError(err, StoreErrorCodes.writeConflict),
        )
        assert.equal(attempts, 5)
      } finally {
        await db.close()
      }
    })

    it('refuses to run on a schema newer than its migrations', async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)`)
        await assert.rejects(a.migrate(), (err) => isStoreError(err, StoreErrorCodes.schemaTooNew))
        await client.query(`DELETE FROM ${schema}.schema_migrations WHERE version = 9999`)
        await a.migrate()
      } finally {
        await client.end()
      }
    })

    it('rejects an unsafe schema name', async () => {
      await assert.rejects(openPostgresStore({ connectionString: url, schema: 'x; DROP TABLE stores' }), (err) => isStoreError(err) === false && (err as { code?: string }).code === 'validation_error')
    })

    it('reports an unreachable server as store_unavailable', async () => {
      const store = await openPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' })
      try {
        await assert.rejects(store.ping(), (err) => isStoreError(err, StoreErrorCodes.unavailable))
        await assert.rejects(store.stores.get('x'), (err) => isStoreError(err, StoreErrorCodes.unavailable))
      } finally {
        await store.close()
      }
    })
  })
}
