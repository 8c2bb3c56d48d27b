// POST /stores/{id}/import: JSON Lines and JSON array bodies streamed past the body limit, the
// error body naming the failing line and what was committed, authentication as for Write.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLogger, openCore, type Core } from '../app/index.ts'
import { modelFromDsl } from '../authz/index.ts'
import { loadConfig } from '../config/index.ts'
import { AppError } from '../lib/index.ts'
import { jsonArrayItems, jsonLinesItems, type StreamItem } from './import-stream.ts'
import { buildHttpServer, type HttpServer } from './index.ts'

const KEY = 'import-test-key'
const DSL = `model
  schema 1.1
type user
type document
  relations
    define viewer: [user]`

const auth = { authorization: `Bearer ${KEY}` }
const viewer = (i: number, user = `user:u${i}`) => ({ user, relation: 'viewer', object: `document:${i % 50}` })

async function collect(gen: AsyncIterable<StreamItem>): Promise<StreamItem[]> {
  const out: StreamItem[] = []
  for await (const item of gen) out.push(item)
  return out
}

async function* pieces(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

describe('import body readers', () => {
  it('cut JSON Lines and JSON arrays into entries across any chunk boundary, with line numbers', async () => {
    const lines = '{"user":"user:a","relation":"r","object":"d:1"}\n\n{"user":"user:é","relation":"r","object":"d:[2]"}\r\n{bad\n'
    const array = '[\n  {"user":"user:a","relation":"r","object":"d:1"},\n  {"user":"user:é","relation":"r","object":"d:[2]","condition":{"name":"c","context":{"s":"],\\"x"}}}\n]\n'
    for (const size of [1, 3, 1000]) {
      const fromLines = await collect(jsonLinesItems(pieces(lines, size), 1000))
      assert.deepEqual(fromLines.map((i) => i.line), [1, 3, 4])
      assert.deepEqual(fromLines[1]!.tuple, { user: 'user:é', relation: 'r', object: 'd:[2]' })
      assert.match(fromLines[2]!.error!, /not valid JSON/)
      const fromArray = await collect(jsonArrayItems(pieces(array, size), 1000))
      assert.deepEqual(fromArray.map((i) => i.line), [2, 3])
      assert.deepEqual((fromArray[1]!.tuple as { condition: unknown }).condition, { name: 'c', context: { s: '],"x' } })
    }
  })

  it('turn what cannot be read into an error entry and stop', async () => {
    const first = async (text: string) => (await collect(jsonArrayItems(pieces(text, 7), 100))).at(-1)!.error
    assert.match((await first('{"user": 1}'))!, /must be a JSON array/)
    assert.match((await first('[{"a":1}'))!, /not closed/)
    assert.match((await first('[{"a":1}] x'))!, /after the array/)
    assert.match((await first(''))!, /body is empty/)
    assert.match((await first(`[{"a":"${'x'.repeat(200)}"}]`))!, /exceeds the limit of 100 bytes/)
    assert.match((await collect(jsonLinesItems(pieces(`{"a":"${'x'.repeat(200)}"}`, 7), 100))).at(-1)!.error!, /exceeds the limit/)
    async function* broken(text: string): AsyncGenerator<Buffer> {
      yield Buffer.from(text)
      throw new Error('aborted')
    }
    assert.deepEqual(await collect(jsonLinesItems(broken('{"a":1}\n'), 100)), [{ tuple: { a: 1 }, line: 1 }, { error: 'the request body could not be read to its end (aborted)', line: 2 }])
    assert.deepEqual(await collect(jsonArrayItems(broken('[{"a":1},'), 100)), [{ tuple: { a: 1 }, line: 1 }, { error: 'the request body could not be read to its end (aborted)', line: 1 }])
    assert.match((await collect(jsonLinesItems(pieces('{"a":"\\u0000"}\n', 7), 100)))[0]!.error!, /NUL/)
    assert.match((await collect(jsonLinesItems(pieces('{"user":"user:\\u0000","relation":"r","object":"d:1"}\n', 7), 100)))[0]!.error!, /NUL/)
    assert.match((await collect(jsonLinesItems(pieces('{"user":"user:\\ud800","relation":"r","object":"d:1"}\n', 7), 100)))[0]!.error!, /surrogate/)
  })
})

describe('POST /stores/{id}/import', () => {
  let core: Core
  let app: HttpServer
  let storeId: string
  before(async () => {
    const { config } = loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', logLevel: 'silent', presharedKeys: [KEY], bodyLimitBytes: 4096 } })
    const logger = createLogger('silent')
    core = await openCore(config, logger)
    app = buildHttpServer({
      config, authz: core.authz, store: core.store, logger,
      adminCaller: async (authorization) => {
        if (authorization === 'Bearer platform-admin-token') return
        throw new AppError('platform_administrator_required', 'platform administrators only', { status: 403 })
      },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    storeId = ((await core.authz.createStore({ name: 'import' })) as { id: string }).id
    await core.authz.writeAuthorizationModel(storeId, modelFromDsl(DSL))
  })
  after(async () => {
    await app.close()
    await core.close()
  })
  const url = (query = '') => `http://127.0.0.1:${(app.server.address() as { port: number }).port}/stores/${storeId}/import${query}`

  it('imports a JSON Lines body many times the body limit, streamed, and answers the counts', async () => {
    const tuples = Array.from({ length: 3000 }, (_, i) => viewer(i))
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < tuples.length; i += 500) controller.enqueue(new TextEncoder().encode(tuples.slice(i, i + 500).map((t) => JSON.stringify(t)).join('\n') + '\n'))
        controller.close()
      },
    })
    const res = await fetch(url('?batch_size=1000'), { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body, duplex: 'half' } as RequestInit)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { imported: 3000, skipped: 0, batches: 3 })
    const check = await core.authz.check(storeId, { tuple_key: viewer(2999) }) as { allowed: boolean }
    assert.equal(check.allowed, true)
  })

  it('imports a JSON array; duplicates follow on_duplicate', async () => {
    const body = JSON.stringify([viewer(1, 'user:arr'), viewer(2, 'user:arr')])
    const res = await app.inject({ method: 'POST', url: `/stores/${storeId}/import`, headers: { ...auth, 'content-type': 'application/json' }, payload: body })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), { imported: 2, skipped: 0, batches: 1 })
    const again = await app.inject({ method: 'POST', url: `/stores/${storeId}/import?on_duplicate=ignore`, headers: { ...auth, 'content-type': 'application/json' }, payload: body })
    assert.deepEqual(again.json(), { imported: 0, skipped: 2, batches: 1 })
    const refused = await app.inject({ method: 'POST', url: `/stores/${storeId}/import`, headers: { ...auth, 'content-type': 'application/json' }, payload: body })
    assert.equal(refused.statusCode, 400)
    assert.deepEqual(refused.json(), {
      code: 'write_failed_due_to_invalid_input', message: 'line 1: cannot write a tuple which already exists: document:1#viewer@user:arr',
      index: 0, line: 1, imported: 0, skipped: 0, batches: 0,
    })
  })

  it('a model violation mid-stream: earlier batches committed, the error names the line', async () => {
    const lines = [viewer(1, 'user:m1'), viewer(2, 'user:m2'), viewer(3, 'user:m3'), { ...viewer(4), relation: 'owner' }, viewer(5, 'user:m5')]
    const res = await app.inject({
      method: 'POST', url: `/stores/${storeId}/import?batch_size=2`, headers: { ...auth, 'content-type': 'application/x-ndjson' },
      payload: lines.map((t) => JSON.stringify(t)).join('\n'),
    })
    assert.equal(res.statusCode, 400)
    const body = res.json()
    assert.equal(body.code, 'validation_error')
    assert.match(body.message, /^line 4: Invalid tuple/)
    assert.deepEqual({ ...body, code: undefined, message: undefined }, { code: undefined, message: undefined, index: 3, line: 4, imported: 2, skipped: 0, batches: 1 })
    const read = await core.authz.read(storeId, { tuple_key: { object: 'document:3', relation: 'viewer', user: 'user:m3' } }) as { tuples: unknown[] }
    assert.equal(read.tuples.length, 0, 'the failing batch wrote nothing')
  })

  it('authenticates like Write (preshared key or a platform administrator\'s token) and refuses bad options and bodies with 4xx', async () => {
    const payload = JSON.stringify(viewer(1))
    const anonymous = await app.inject({ method: 'POST', url: `/stores/${storeId}/import`, headers: { 'content-type': 'application/x-ndjson' }, payload })
    assert.equal(anonymous.statusCode, 401)
    // A platform administrator's token, as the console sends it, may import; other tokens may not.
    const asAdmin = await app.inject({ method: 'POST', url: `/stores/${storeId}/import`, headers: { authorization: 'Bearer platform-admin-token', 'content-type': 'application/x-ndjson' }, payload: JSON.stringify(viewer(1, 'user:by-admin')) })
    assert.deepEqual(asAdmin.json(), { imported: 1, skipped: 0, batches: 1 })
    const other = await app.inject({ method: 'POST', url: `/stores/${storeId}/import`, headers: { authorization: 'Bearer someone-else', 'content-type': 'application/x-ndjson' }, payload })
    assert.equal(other.statusCode, 403)
    const bad = async (query: string, headers: Record<string, string>, body?: string) =>
      (await app.inject({ method: 'POST', url: `/stores/${storeId}/import${query}`, headers: { ...auth, ...headers }, ...(body === undefined ? {} : { payload: body }) }))
    assert.equal((await bad('?batch_size=0', { 'content-type': 'application/x-ndjson' }, payload)).statusCode, 400)
    assert.equal((await bad('?on_duplicate=maybe', { 'content-type': 'application/x-ndjson' }, payload)).statusCode, 400)
    assert.equal((await bad('', { 'content-type': 'text/csv' }, 'a,b')).statusCode, 400)
    assert.equal((await bad('', {})).json().code, 'validation_error')
    const unknown = await app.inject({ method: 'POST', url: '/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/import', headers: { ...auth, 'content-type': 'application/x-ndjson' }, payload })
    assert.equal(unknown.statusCode, 404)
  })
})
