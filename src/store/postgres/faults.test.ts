import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../../test/support/postgres.ts'
import { isStoreError, StoreErrorCodes } from '../errors.ts'
import { openPostgresStore, type PostgresStore } from './index.ts'

const skip = await postgresSkipReason()

// Connections dropped under load (pg_terminate_backend, a server restart): the process must stay
// up, the request in flight must fail as store_unavailable, and the pool must recover.
describe('PostgreSQL connection faults', { skip }, () => {
  let database: TestDatabase
  let store: PostgresStore
  let admin: pg.Client
  const app = `gh_faults_${process.pid}`

  before(async () => {
    database = await createTestDatabase()
    const url = new URL(database.url)
    url.searchParams.set('application_name', app)
    const quiet = { warn: () => undefined, error: () => undefined }
    store = await openPostgresStore({ connectionString: url.toString(), poolSize: 4, logger: quiet, timeouts: { lockMs: 300, statementMs: 2000 } })
    await store.migrate()
    await store.stores.create({ id: 'faults', name: 'faults' })
    admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
  })
  after(async () => {
    await admin?.end()
    await store?.close()
    await database?.drop()
  })

  const terminate = () =>
    admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [app])

  it('survives its connections being terminated mid-transaction, failing only the requests in flight', async () => {
    const crashes: unknown[] = []
    const onUncaught = (err: unknown) => crashes.push(err)
    process.on('uncaughtException', onUncaught)
    let n = 0
    const outcomes = { ok: 0, unavailable: 0, other: [] as unknown[] }
    const deadline = Date.now() + 1500
    const writer = async () => {
      while (Date.now() < deadline) {
        const object = `doc:${n++}`
        try {
          await store.tuples.write('faults', { writes: [{ object, relation: 'viewer', user: 'user:a' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })
          await store.tenancy.replaceUpstreamGroups({
            subject: `s${n % 7}`, groups: [`g${n % 3}`], storeId: 'faults',
            tupleFor: (g) => ({ object: `group:${g}`, relation: 'member', user: 'user:a' }),
            audit: () => ({ action: 'membership.sync', actor: 'system', actorType: 'system', target: 'user:x', outcome: 'success' }),
          })
          outcomes.ok++
        } catch (err) {
          if (isStoreError(err, StoreErrorCodes.unavailable)) outcomes.unavailable++
          else outcomes.other.push(err)
        }
      }
    }
    const killer = async () => {
      while (Date.now() < deadline) {
        await terminate()
        await sleep(15)
      }
    }
    try {
      await Promise.all([writer(), writer(), writer(), writer(), writer(), killer()])
      await sleep(50)
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    assert.deepEqual(crashes, [], 'no connection error escapes as an uncaught exception')
    assert.deepEqual(outcomes.other.map(String), [], 'every failure is store_unavailable')
    assert.ok(outcomes.unavailable > 0, 'connections were actually lost under load')
    // The pool recovers: the next requests succeed.
    await store.tuples.write('faults', { writes: [{ object: 'doc:after', relation: 'viewer', user: 'user:a' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })
    await store.ping()
  })

  it('answers store_unavailable within the lock timeout while a table lock stalls writes, and fails readiness until a write commits', async () => {
    const write = (object: string) => store.tuples.write('faults', { writes: [{ object, relation: 'viewer', user: 'user:b' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })
    const locker = new pg.Client({ connectionString: database.url })
    await locker.connect()
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE stores IN ACCESS EXCLUSIVE MODE')
      const started = Date.now()
      await assert.rejects(write('doc:stalled'), (err) => isStoreError(err, StoreErrorCodes.unavailable))
      assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started} ms`)
      await assert.rejects(store.ping(), (err) => isStoreError(err, StoreErrorCodes.unavailable))
      await locker.query('ROLLBACK')
      await write('doc:unstalled')
      await store.ping()
    } finally {
      await locker.end()
    }
  })
})

