import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLogger, openCore, type Core } from '../app/index.ts'
import { loadConfig, type GatehouseConfigInput } from '../config/index.ts'
import { AppError } from '../lib/index.ts'
import { buildHttpServer, toHttpError, type HttpServer } from './index.ts'
import { ndjsonLines } from './routes/streamed-list-objects.ts'

interface Harness {
  app: HttpServer
  core: Core
  setReady(value: boolean): void
  close(): Promise<void>
}

async function harness(overrides: GatehouseConfigInput = {}): Promise<Harness> {
  const { config } = loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', logLevel: 'silent', ...overrides } })
  const logger = createLogger('silent')
  const core = await openCore(config, logger)
  let ready = true
  const app = buildHttpServer({ config, authz: core.authz, store: core.store, logger, ready: () => ready })
  await app.ready()
  return {
    app,
    core,
    setReady: (value) => { ready = value },
    close: async () => {
      await app.close()
      await core.close()
    },
  }
}

const json = { 'content-type': 'application/json' }

describe('HTTP error mapping', () => {
  let h: Harness
  before(async () => { h = await harness({ bodyLimitBytes: 1024 }) })
  after(() => h.close())

  it('answers an unknown route with 404 undefined_endpoint', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/no/such/thing' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().code, 'undefined_endpoint')
    assert.equal(typeof res.json().message, 'string')
  })

  it('answers malformed JSON with 400 validation_error', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/stores', headers: json, payload: '{"name": ' })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'validation_error')
  })

  it('answers a non-JSON content type with 400 validation_error', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/stores', headers: { 'content-type': 'text/plain' }, payload: 'name=x' })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json(), { code: 'validation_error', message: 'request body must be JSON (Content-Type: application/json)' })
  })

  it('answers a body over the limit with 413 payload_too_large', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/stores', headers: json, payload: JSON.stringify({ name: 'x'.repeat(2000) }) })
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().code, 'payload_too_large')
  })

  it('passes engine errors through with their status and code', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().code, 'store_id_not_found')
  })

  it('hides internals of unexpected errors behind 500 internal_error', () => {
    const mapped = toHttpError(new Error('connect ECONNREFUSED db-password=hunter2'), 1024)
    assert.deepEqual(mapped, { status: 500, body: { code: 'internal_error', message: 'internal server error' }, internal: true })
    assert.deepEqual(toHttpError(new AppError('x_failed', 'clear message', { status: 409 }), 1024).body, { code: 'x_failed', message: 'clear message' })
  })

  it('gives every response a request id, keeping a well-formed one from the caller', async () => {
    const generated = await h.app.inject({ method: 'GET', url: '/healthz' })
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/)
    const kept = await h.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-42' } })
    assert.equal(kept.headers['x-request-id'], 'trace-42')
    const replaced = await h.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\twith spaces' } })
    assert.notEqual(replaced.headers['x-request-id'], 'bad id\twith spaces')
  })
})

describe('preshared-key authentication', () => {
  let h: Harness
  before(async () => { h = await harness({ presharedKeys: ['key-one', 'key-two'] }) })
  after(() => h.close())

  it('answers a request without a bearer token with 401 bearer_token_missing', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/stores' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().code, 'bearer_token_missing')
  })

  it('answers a wrong token with 401 unauthenticated', async () => {
    for (const authorization of ['Bearer key-three', 'Bearer key-on', 'Basic a2V5LW9uZQ==', 'Bearer']) {
      const res = await h.app.inject({ method: 'GET', url: '/stores', headers: { authorization } })
      assert.equal(res.statusCode, 401, authorization)
      assert.equal(res.json().code, 'unauthenticated', authorization)
    }
  })

  it('accepts every configured key', async () => {
    for (const key of ['key-one', 'key-two']) {
      const res = await h.app.inject({ method: 'GET', url: '/stores', headers: { authorization: `Bearer ${key}` } })
      assert.equal(res.statusCode, 200)
    }
  })

  it('keeps health, readiness and metrics open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      assert.equal((await h.app.inject({ method: 'GET', url })).statusCode, 200, url)
    }
  })
})

describe('health, readiness, metrics', () => {
  let h: Harness
  before(async () => { h = await harness() })
  after(() => h.close())

  it('reports ready while the store answers, and 503 while draining', async () => {
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' })
    h.setReady(false)
    const draining = await h.app.inject({ method: 'GET', url: '/readyz' })
    h.setReady(true)
    assert.equal(draining.statusCode, 503)
    assert.equal(draining.json().code, 'unavailable')
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
  })

  it('exposes process metrics and request durations by route pattern and status', async () => {
    await h.app.inject({ method: 'GET', url: '/stores' })
    await h.app.inject({ method: 'GET', url: '/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV' })
    const res = await h.app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain/)
    assert.match(res.body, /^process_cpu_user_seconds_total /m)
    assert.match(res.body, /^http_request_duration_seconds_count\{method="GET",route="\/stores",status_code="200"\} 1$/m)
    assert.match(res.body, /^http_request_duration_seconds_count\{method="GET",route="\/stores\/:store_id",status_code="404"\} 1$/m)
  })

  it('reports not ready once the store stops answering', async () => {
    const broken = await harness()
    await broken.core.store.close()
    const res = await broken.app.inject({ method: 'GET', url: '/readyz' })
    await broken.app.close()
    await broken.core.authz.close()
    assert.equal(res.statusCode, 503)
  })
})

describe('streamed list-objects encoding', () => {
  it('reports a failure after the first result as an error line with the numeric OpenFGA code', async () => {
    async function* source() {
      yield { object: 'document:1' }
      yield { object: 'document:2' }
      throw new AppError('deadline_exceeded', 'took too long', { status: 500 })
    }
    const iterator = source()
    const first = await iterator.next()
    const lines: string[] = []
    for await (const line of ndjsonLines(first, iterator, createLogger('silent'), 1024)) lines.push(line)
    assert.deepEqual(lines.map((l) => JSON.parse(l)), [
      { result: { object: 'document:1' } },
      { result: { object: 'document:2' } },
      { error: { code: 4004, message: 'took too long', details: [] } },
    ])
    assert.ok(lines.every((l) => l.endsWith('\n')))
  })
})
