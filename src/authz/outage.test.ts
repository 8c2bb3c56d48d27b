// The engine while PostgreSQL is unreachable: MINIMIZE_LATENCY queries are answered from memory
// (for a bounded time), HIGHER_CONSISTENCY queries and writes fail with store_unavailable. The
// outage is a TCP proxy in front of PostgreSQL that the test closes.
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../test/support/postgres.ts'
import { openPostgresStore } from '../store/postgres/index.ts'
import type { Store } from '../store/types.ts'
import { Authz } from './index.ts'
import { modelFromDsl } from './model/dsl.ts'

function pgProxy(port: number) {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined) }
    client.pipe(upstream).pipe(client)
  })
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))),
    down: () => new Promise<void>((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy() }),
  }
}

describe('engine during a database outage', { skip: await postgresSkipReason() }, () => {
  let db: TestDatabase
  let store: Store
  let authz: Authz
  const proxy = pgProxy(5432)
  const quiet = { warn: () => undefined, error: () => undefined }

  before(async () => {
    db = await createTestDatabase()
    const url = new URL(db.url)
    url.host = `127.0.0.1:${await proxy.listen()}`
    store = await openPostgresStore({ connectionString: url.toString(), logger: quiet, timeouts: { connectMs: 500 } })
    await store.migrate()
    authz = new Authz({ store, limits: { staleReadMaxMs: 60_000, indexPollIntervalMs: 0 }, logger: { ...quiet, info: () => undefined, debug: () => undefined } })
  })
  after(async () => {
    await authz?.close()
    await store?.close().catch(() => undefined)
    await db?.drop()
  })

  it('answers MINIMIZE_LATENCY checks from memory, refuses HIGHER_CONSISTENCY ones and writes with 503', async () => {
    const { id } = await authz.createStore({ name: 'outage' }) as { id: string }
    await authz.writeAuthorizationModel(id, modelFromDsl('model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]'))
    await authz.write(id, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }] } })
    const body = (consistency?: string) => ({ tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, ...(consistency ? { consistency } : {}) })
    assert.equal((await authz.check(id, body()) as { allowed: boolean }).allowed, true)
    // Past the latest-model cache's lifetime, so the next check would ask the database.
    await new Promise((r) => setTimeout(r, 1100))
    await proxy.down()
    assert.equal((await authz.check(id, body()) as { allowed: boolean }).allowed, true)
    assert.equal((await authz.check(id, body('MINIMIZE_LATENCY')) as { allowed: boolean }).allowed, true)
    assert.ok(authz.staleAnswers >= 2)
    await assert.rejects(authz.check(id, body('HIGHER_CONSISTENCY')), (err: any) => err.status === 503)
    await assert.rejects(authz.write(id, { writes: { tuple_keys: [{ user: 'user:bob', relation: 'viewer', object: 'doc:1' }] } }), (err: any) => err.status === 503)
  })
})
