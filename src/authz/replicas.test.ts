// Two engines on one database stand for two replicas: a deletion or a write made through one must
// reach the other's MINIMIZE_LATENCY answers, even when its change notification never arrived.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createTestDatabase, postgresSkipReason } from '../../test/support/postgres.ts'
import { openPostgresStore } from '../store/postgres/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { Authz, modelFromDsl } from './index.ts'

const MODEL = modelFromDsl(`model
  schema 1.1
type user
type doc
  relations
    define viewer: [user]
`)
const quiet = { warn: () => undefined, error: () => undefined }
const checkOf = (object: string, extra: Record<string, unknown> = {}) =>
  ({ tuple_key: { object, relation: 'viewer', user: 'user:anne' }, ...extra })
const grant = (object: string) => ({ writes: { tuple_keys: [{ object, relation: 'viewer', user: 'user:anne' }] } })
const codeOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'ok', (err: { code?: string }) => err.code)

/** Retries until `probe` gives `want`; notifications and polls arrive in their own time. */
async function eventually(probe: () => Promise<unknown>, want: unknown, tries = 400): Promise<void> {
  let got: unknown
  for (let i = 0; i < tries; i++) {
    got = await probe()
    if (got === want) return
    await sleep(25)
  }
  assert.equal(got, want)
}

async function setUp(a: Authz, b: Authz): Promise<{ id: string; modelId: string }> {
  const { id } = await a.createStore({ name: 'replicated' })
  const { authorization_model_id: modelId } = await a.writeAuthorizationModel(id, MODEL)
  await a.write(id, grant('doc:1'))
  await a.writeAssertions(id, modelId, { assertions: [{ tuple_key: checkOf('doc:1').tuple_key, expectation: true }] })
  // B warms its index and its compiled model.
  assert.equal((await b.check(id, checkOf('doc:1', { authorization_model_id: modelId }))).allowed, true)
  assert.equal((await b.check(id, checkOf('doc:1'))).allowed, true)
  return { id, modelId }
}

/** Every store-scoped call on B answers store_id_not_found. */
async function assertGoneOn(b: Authz, id: string, modelId: string): Promise<void> {
  const calls: [string, () => Promise<unknown>][] = [
    ['check', () => b.check(id, checkOf('doc:1'))],
    ['check with model id', () => b.check(id, checkOf('doc:1', { authorization_model_id: modelId }))],
    ['check at HIGHER_CONSISTENCY', () => b.check(id, checkOf('doc:1', { consistency: 'HIGHER_CONSISTENCY' }))],
    ['listObjects', () => b.listObjects(id, { type: 'doc', relation: 'viewer', user: 'user:anne', authorization_model_id: modelId })],
    ['listUsers', () => b.listUsers(id, { object: { type: 'doc', id: '1' }, relation: 'viewer', user_filters: [{ type: 'user' }], authorization_model_id: modelId })],
    ['expand', () => b.expand(id, { tuple_key: { object: 'doc:1', relation: 'viewer' }, authorization_model_id: modelId })],
    ['readAuthorizationModel', () => b.readAuthorizationModel(id, modelId)],
    ['readAuthorizationModels', () => b.readAuthorizationModels(id)],
    ['readAssertions', () => b.readAssertions(id, modelId)],
    ['write', () => b.write(id, grant('doc:9'))],
    ['read', () => b.read(id, {})],
    ['readChanges', () => b.readChanges(id)],
  ]
  for (const [name, call] of calls) assert.equal(await codeOf(call()), 'store_id_not_found', name)
}

describe('replicas sharing one SQLite file (no notifications between them)', () => {
  async function pair<T>(pollIntervalMs: number, fn: (a: Authz, b: Authz) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-replicas-'))
    const sa = await openSqliteStore({ path: join(dir, 'db.sqlite') })
    await sa.migrate()
    const sb = await openSqliteStore({ path: join(dir, 'db.sqlite') })
    const a = new Authz({ store: sa, limits: { indexPollIntervalMs: 0 } })
    const b = new Authz({ store: sb, limits: { indexPollIntervalMs: pollIntervalMs } })
    try {
      return await fn(a, b)
    } finally {
      await a.close()
      await b.close()
      await sa.close()
      await sb.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('the revision poll brings in writes and deletions that were never announced', async () => {
    await pair(20, async (a, b) => {
      const { id, modelId } = await setUp(a, b)
      await a.write(id, grant('doc:2'))
      await eventually(async () => (await b.check(id, checkOf('doc:2'))).allowed, true)
      await a.deleteStore(id)
      await eventually(() => codeOf(b.check(id, checkOf('doc:1', { authorization_model_id: modelId }))), 'store_id_not_found')
      await assertGoneOn(b, id, modelId)
    })
  })

  it('a deleted store answers store_id_not_found everywhere in the process that deleted it', async () => {
    await pair(0, async (a, b) => {
      const { id, modelId } = await setUp(a, b)
      await b.deleteStore(id)
      await assertGoneOn(b, id, modelId)
      // A never heard of it, yet reads of models and assertions consult the store.
      assert.equal(await codeOf(a.readAuthorizationModel(id, modelId)), 'store_id_not_found')
      assert.equal(await codeOf(a.readAuthorizationModels(id)), 'store_id_not_found')
      assert.equal(await codeOf(a.readAssertions(id, modelId)), 'store_id_not_found')
    })
  })
})

const skip = await postgresSkipReason()

describe('replicas on PostgreSQL', { skip }, () => {
  async function pair(fn: (a: Authz, b: Authz, url: string) => Promise<void>): Promise<void> {
    const db = await createTestDatabase()
    try {
      const sa = await openPostgresStore({ connectionString: db.url, logger: quiet, poolSize: 3 })
      await sa.migrate()
      const sb = await openPostgresStore({ connectionString: db.url, logger: quiet, poolSize: 3 })
      // The poll is off: only notifications (and the resync after a reconnect) move B.
      const a = new Authz({ store: sa, limits: { indexPollIntervalMs: 0 } })
      const b = new Authz({ store: sb, limits: { indexPollIntervalMs: 0 } })
      try {
        await Promise.all([sa.whenListening(), sb.whenListening()])
        await fn(a, b, db.url)
      } finally {
        await a.close()
        await b.close()
        await sa.close()
        await sb.close()
      }
    } finally {
      await db.drop()
    }
  }

  it('a deletion on one replica reaches the other through NOTIFY', async () => {
    await pair(async (a, b) => {
      const { id, modelId } = await setUp(a, b)
      await a.deleteStore(id)
      assert.equal(await codeOf(b.check(id, checkOf('doc:1', { consistency: 'HIGHER_CONSISTENCY' }))), 'store_id_not_found')
      await eventually(() => codeOf(b.check(id, checkOf('doc:1', { authorization_model_id: modelId }))), 'store_id_not_found')
      await assertGoneOn(b, id, modelId)
    })
  })

  it('writes committed while the LISTEN connection was down are caught up after it reconnects', async () => {
    await pair(async (a, b, url) => {
      const { id } = await setUp(a, b)
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      try {
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()",
        )
        await a.write(id, grant('doc:2'))
        await eventually(async () => (await b.check(id, checkOf('doc:2'))).allowed, true)
      } finally {
        await admin.end()
      }
    })
  })
})
