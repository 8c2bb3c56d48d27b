// Check and BatchCheck over a real socket (the node:http fast path) must answer exactly what the
// Fastify routes answer (app.inject bypasses the fast path): status, body, and the headers a
// client reads. A hook counts the requests Fastify sees, proving which side answered.
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createLogger, openCore, type Core } from '../app/index.ts'
import { modelFromDsl } from '../authz/index.ts'
import { loadConfig } from '../config/index.ts'
import { buildHttpServer, type HttpServer } from './index.ts'

const MODEL = `model
  schema 1.1
type user
type document
  relations
    define viewer: [user]
`
const KEY = 'fast-path-key-0123'

interface Answer { status: number; body: string; headers: Record<string, string | undefined> }
interface Case { name: string; path: string; headers?: Record<string, string>; body?: string; fastPath?: boolean }

const COMPARED = ['content-type', 'openfga-authorization-model-id', 'connection'] as const

function pick(headers: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(COMPARED.map((h) => [h, headers[h] === undefined ? undefined : String(headers[h]).toLowerCase()]))
}

function overSocket(port: number, c: Case): Promise<Answer & { requestId: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: c.path, headers: { ...c.headers, ...(c.body === undefined ? {} : { 'content-length': Buffer.byteLength(c.body) }) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: pick(res.headers), requestId: String(res.headers['x-request-id']) }))
    })
    req.on('error', reject)
    req.end(c.body)
  })
}

describe('Check and BatchCheck fast path', () => {
  let app: HttpServer
  let core: Core
  let port: number
  let fastifySaw = 0
  let storeId: string
  let modelId: string

  before(async () => {
    const { config } = loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', logLevel: 'silent', presharedKeys: [KEY], bodyLimitBytes: 2048 } })
    const logger = createLogger('silent')
    core = await openCore(config, logger)
    app = buildHttpServer({ config, authz: core.authz, store: core.store, logger })
    app.addHook('onRequest', (_request, _reply, done) => { fastifySaw++; done() })
    await app.listen({ host: '127.0.0.1', port: 0 })
    port = (app.server.address() as AddressInfo).port
    storeId = (await core.authz.createStore({ name: 'fast' }) as { id: string }).id
    modelId = (await core.authz.writeAuthorizationModel(storeId, modelFromDsl(MODEL)) as { authorization_model_id: string }).authorization_model_id
    await core.authz.write(storeId, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'document:plan' }] } })
  })
  after(async () => {
    await app.close()
    await core.close()
  })

  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
  const check = (tupleKey: unknown, extra: object = {}) => JSON.stringify({ tuple_key: tupleKey, ...extra })
  const cases = (): Case[] => [
    { name: 'allowed', path: `/stores/${storeId}/check`, headers: auth, body: check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' }) },
    { name: 'denied, model id given', path: `/stores/${storeId}/check`, headers: auth, body: check({ user: 'user:beth', relation: 'viewer', object: 'document:plan' }, { authorization_model_id: modelId }) },
    { name: 'query string', path: `/stores/${storeId}/check?x=1`, headers: auth, body: check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' }) },
    { name: 'with trace', path: `/stores/${storeId}/check`, headers: auth, body: check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' }, { trace: true }) },
    { name: 'charset', path: `/stores/${storeId}/check`, headers: { ...auth, 'content-type': 'application/json; charset=utf-8' }, body: check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' }) },
    { name: 'upper-case type', path: `/stores/${storeId}/check`, headers: { ...auth, 'content-type': 'Application/JSON' }, body: check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' }) },
    { name: 'unknown relation', path: `/stores/${storeId}/check`, headers: auth, body: check({ user: 'user:anne', relation: 'owner', object: 'document:plan' }) },
    { name: 'no tuple key', path: `/stores/${storeId}/check`, headers: auth, body: '{}' },
    { name: 'null body', path: `/stores/${storeId}/check`, headers: auth, body: 'null' },
    { name: 'unknown store', path: '/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/check', headers: auth, body: check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' }) },
    { name: 'malformed store id', path: '/stores/not-a-ulid/check', headers: auth, body: '{}' },
    { name: 'escaped store id', path: '/stores/%41BC/check', headers: auth, body: '{}', fastPath: false },
    { name: 'bad JSON', path: `/stores/${storeId}/check`, headers: auth, body: '{"tuple_key": ' },
    { name: 'empty body', path: `/stores/${storeId}/check`, headers: auth, body: '' },
    { name: 'prototype poisoning', path: `/stores/${storeId}/check`, headers: auth, body: '{"__proto__": {"x": 1}}' },
    { name: 'NUL in a string', path: `/stores/${storeId}/check`, headers: auth, body: check({ user: 'user:a\u0000', relation: 'viewer', object: 'document:plan' }) },
    { name: 'too deep', path: `/stores/${storeId}/check`, headers: auth, body: '['.repeat(200) + ']'.repeat(200) },
    { name: 'over the body limit', path: `/stores/${storeId}/check`, headers: auth, body: check({ user: 'user:' + 'a'.repeat(3000), relation: 'viewer', object: 'document:plan' }) },
    { name: 'no key', path: `/stores/${storeId}/check`, headers: { 'content-type': 'application/json' }, body: '{}' },
    { name: 'wrong key', path: `/stores/${storeId}/check`, headers: { ...auth, authorization: 'Bearer nope' }, body: '{}' },
    { name: 'text body', path: `/stores/${storeId}/check`, headers: { ...auth, 'content-type': 'text/plain' }, body: 'x', fastPath: false },
    { name: 'no content type', path: `/stores/${storeId}/check`, headers: { authorization: auth.authorization }, body: '{}', fastPath: false },
    { name: 'batch', path: `/stores/${storeId}/batch-check`, headers: auth, body: JSON.stringify({ checks: [
      { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' }, correlation_id: 'a' },
      { tuple_key: { user: 'user:anne', relation: 'nope', object: 'document:plan' }, correlation_id: 'b' },
    ] }) },
    { name: 'batch, duplicate ids', path: `/stores/${storeId}/batch-check`, headers: auth, body: JSON.stringify({ checks: [
      { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' }, correlation_id: 'a' },
      { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' }, correlation_id: 'a' },
    ] }) },
    { name: 'batch, no checks', path: `/stores/${storeId}/batch-check`, headers: auth, body: '{"checks": []}' },
  ]

  it('answers as the Fastify routes do, and answers them itself', async () => {
    for (const c of cases()) {
      const before = fastifySaw
      const fast = await overSocket(port, c)
      assert.equal(fastifySaw - before, c.fastPath === false ? 1 : 0, `${c.name}: answered by ${fastifySaw > before ? 'Fastify' : 'the fast path'}`)
      const slow = await app.inject({ method: 'POST', url: c.path, headers: c.headers, payload: c.body })
      assert.equal(fast.status, slow.statusCode, c.name)
      assert.equal(fast.body, slow.body, c.name)
      assert.deepEqual(fast.headers, pick(slow.headers), c.name)
    }
  })

  it('keeps a caller\'s request id and counts requests under the route pattern', async () => {
    const body = check({ user: 'user:anne', relation: 'viewer', object: 'document:plan' })
    const answer = await overSocket(port, { name: 'id', path: `/stores/${storeId}/check`, headers: { ...auth, 'x-request-id': 'trace-7' }, body })
    assert.equal(answer.requestId, 'trace-7')
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    assert.match(metrics, /^http_request_duration_seconds_count\{method="POST",route="\/stores\/:store_id\/check",status_code="200"\} \d+$/m)
    assert.match(metrics, /^http_request_duration_seconds_count\{method="POST",route="\/stores\/:store_id\/batch-check",status_code="400"\} \d+$/m)
    assert.match(metrics, /^http_request_duration_seconds_count\{method="POST",route="\/stores\/:store_id\/check",status_code="401"\} \d+$/m)
  })
})
