// Hostile input against a real server on SQLite and on PostgreSQL: ways around the preshared key,
// reflected headers, prototype keys, nesting built to overflow the stack, strings the databases
// cannot hold, numbers past every range, very long and non-ASCII ids. Each gets a 4xx, never a 500.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { apiClient, assertError, rawRequest, type Reply } from '../support/api-probe.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'

const KEY = 'hostile-input-key-0123456789'
const rel = (types: unknown[]): unknown => ({ directly_related_user_types: types })
/** Relations typed as a plain map, so names like `hasOwnProperty` stay plain keys to the compiler too. */
const relations = (entries: Record<string, unknown>): Record<string, unknown> => entries
// JSON rather than DSL: the names a prototype lookup would confuse (constructor, hasOwnProperty).
const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    { type: 'constructor', relations: relations({ hasOwnProperty: { this: {} } }), metadata: { relations: relations({ hasOwnProperty: rel([{ type: 'user' }]) }) } },
    {
      type: 'doc',
      relations: relations({ viewer: { this: {} }, guarded: { this: {} }, fresh: { this: {} }, counted: { this: {} } }),
      metadata: {
        relations: relations({
          viewer: rel([{ type: 'user' }]),
          guarded: rel([{ type: 'user', condition: 'proto' }]),
          fresh: rel([{ type: 'user', condition: 'recent' }]),
          counted: rel([{ type: 'user', condition: 'small' }]),
        }),
      },
    },
  ],
  conditions: {
    proto: { name: 'proto', expression: 'constructor > 1', parameters: { constructor: { type_name: 'TYPE_NAME_INT' } } },
    recent: { name: 'recent', expression: 'age < duration("1h")', parameters: { age: { type_name: 'TYPE_NAME_DURATION' } } },
    small: { name: 'small', expression: 'n < 10', parameters: { n: { type_name: 'TYPE_NAME_INT' } } },
  },
}
const tk = (object: string, relation: string, user: string, condition?: unknown) => ({ object, relation, user, ...(condition ? { condition } : {}) })

/** `{"a":{"a":…1…}}` nested `depth` levels, as raw JSON text. */
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
/** A model whose one relation is a rewrite `depth` unions deep, as raw JSON text. */
const deepModel = (depth: number) => '{"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"folder","relations":{"viewer":' +
  '{"union":{"child":[{"this":{}},'.repeat(depth) + '{"this":{}}' + ']}}'.repeat(depth) +
  '},"metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}]}'

for (const backend of BACKENDS) {
  describe(`hostile input is refused cleanly (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_PRESHARED_KEYS: KEY })
    let send: ReturnType<typeof apiClient>
    let store: string

    const write = (...keys: unknown[]) => send('POST', `/stores/${store}/write`, { body: { writes: { tuple_keys: keys } } })
    const check = (key: unknown, extra: object = {}) => send('POST', `/stores/${store}/check`, { body: { tuple_key: key, ...extra } })
    const tuples = async (): Promise<string[]> =>
      (await send('POST', `/stores/${store}/read`, { body: { page_size: 100 } })).body.tuples.map((t: any) => `${t.key.object}#${t.key.relation}@${t.key.user}`).sort()
    async function refusedUnchanged(attempt: () => Promise<Reply>, what: string): Promise<void> {
      const before = await tuples()
      assertError(await attempt(), 400, 'validation_error', what)
      assert.deepEqual(await tuples(), before, `${what}: the store changed`)
    }

    before(async () => {
      if (!server.current()) return
      send = apiClient(server.current()!.url, KEY)
      store = (await send('POST', '/stores', { body: { name: 'hostile' } })).body.id
      assert.equal((await send('POST', `/stores/${store}/authorization-models`, { body: MODEL })).status, 201)
      assert.equal((await write(tk('doc:1', 'viewer', 'user:anne'))).status, 200)
    })

    it('lets nothing past the preshared key: no method, path spelling or malformed token', async (t) => {
      const url = server.current()!.url
      const paths = ['/stores', `/stores/${store}`, `/stores/${store}/changes`, '/STORES', '//stores', '/stores/', `/stores//${store}`,
        '/%73tores', '/./stores', '/healthz/../stores', '/metrics/../stores', '/stores?x=/healthz', `/stores/${store}/authorization-models/`]
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']) {
        for (const path of paths) {
          const res = await rawRequest(url, method, path)
          assert.ok(res.status === 401 || res.status === 404, `${method} ${path} without a key answered ${res.status}`)
        }
      }
      assert.equal((await rawRequest(url, 'HEAD', '/stores')).status, 401)
      assert.equal((await rawRequest(url, 'HEAD', '/stores', { authorization: `Bearer ${KEY}` })).status, 200)
      for (const authorization of [`Bearer ${KEY}x`, `Bearer ${KEY.slice(0, -1)}`, `Bearer ${KEY}, Bearer other`, `Basic ${KEY}`, KEY, `Bearer`, `Bearer ${KEY} x`]) {
        assertError(await send('GET', '/stores', { auth: false, headers: { authorization } }), 401, 'unauthenticated', authorization)
      }
      assertError(await send('GET', '/stores', { auth: false }), 401, 'bearer_token_missing')
      assert.equal((await send('GET', '/stores', { auth: false, headers: { authorization: `bearer ${KEY}` } })).status, 200, 'the scheme is case-insensitive')
    })

    it('echoes no request id it did not vet', async (t) => {
      for (const id of ['<script>alert(1)</script>', 'a b', 'x'.repeat(200), 'id"; evil=1']) {
        const res = await send('GET', '/healthz', { headers: { 'x-request-id': id } })
        assert.notEqual(res.headers['x-request-id'], id)
        assert.match(String(res.headers['x-request-id']), /^[\w.:-]{1,128}$/)
      }
    })

    it('treats prototype names as plain names and refuses prototype keys', async (t) => {
      const proto = tk('doc:__proto__', 'viewer', 'user:constructor')
      assert.equal((await write(proto, tk('constructor:toString', 'hasOwnProperty', 'user:anne'))).status, 200)
      assert.equal((await check(proto)).body.allowed, true)
      assert.equal((await check(tk('constructor:toString', 'hasOwnProperty', 'user:anne'))).body.allowed, true)
      assert.equal((await check(tk('constructor:valueOf', 'hasOwnProperty', 'user:anne'))).body.allowed, false)
      assertError(await check(tk('doc:1', 'constructor', 'user:anne')), 400, 'validation_error', 'relation named constructor')
      assertError(await check(tk('toString:1', 'viewer', 'user:anne')), 400, 'validation_error', 'type named toString')

      // A condition parameter named `constructor` is read from the context, never from Object.prototype.
      assert.equal((await write(tk('doc:p', 'guarded', 'user:anne', { name: 'proto' }))).status, 200)
      assertError(await check(tk('doc:p', 'guarded', 'user:anne')), 400, 'validation_error', 'missing constructor parameter')
      assert.equal((await check(tk('doc:p', 'guarded', 'user:anne'), { context: { constructor: 5 } })).body.allowed, true)
      assert.equal((await check(tk('doc:p', 'guarded', 'user:anne'), { context: { constructor: 0, toString: 9 } })).body.allowed, false)

      const raw = (context: string) => `{"tuple_key":{"object":"doc:1","relation":"viewer","user":"user:anne"},"context":${context}}`
      for (const context of ['{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"x":[{"__proto__":{}}]}']) {
        assertError(await send('POST', `/stores/${store}/check`, { body: raw(context) }), 400, 'validation_error', context)
      }
      await refusedUnchanged(() => send('POST', `/stores/${store}/write`, {
        body: '{"writes":{"tuple_keys":[{"object":"doc:9","relation":"guarded","user":"user:anne","condition":{"name":"proto","context":{"__proto__":{"constructor":7}}}}]}}',
      }), 'write with a __proto__ context key')
      assert.equal((await check(tk('doc:1', 'viewer', 'user:anne'))).body.allowed, true)
    })

    it('refuses bodies nested deep enough to overflow a recursive walk, and keeps serving', async (t) => {
      const checkBody = (context: string) => `{"tuple_key":{"object":"doc:1","relation":"viewer","user":"user:anne"},"context":${context}}`
      assertError(await send('POST', `/stores/${store}/check`, { body: checkBody(nested(20000)) }), 400, 'validation_error', 'deep context')
      assertError(await send('POST', `/stores/${store}/check`, { body: checkBody(`{"a":${'['.repeat(50000)}${']'.repeat(50000)}}`) }), 400, 'validation_error', 'deep list')
      await refusedUnchanged(() => send('POST', `/stores/${store}/write`, {
        body: `{"writes":{"tuple_keys":[{"object":"doc:9","relation":"counted","user":"user:anne","condition":{"name":"small","context":${nested(20000)}}}]}}`,
      }), 'deep condition context on write')
      assertError(await send('POST', `/stores/${store}/authorization-models`, { body: deepModel(5000) }), 400, 'validation_error', 'deep model')
      assertError(await send('PUT', `/stores/${store}/assertions/01ARZ3NDEKTSV4RRFFQ69G5FAV`, {
        body: `{"assertions":[{"tuple_key":{"object":"doc:1","relation":"viewer","user":"user:anne"},"expectation":true,"context":${nested(20000)}}]}`,
      }), 400, 'validation_error', 'deep assertion context')
      // A real model nests far less deeply and is still accepted.
      assert.equal((await send('POST', `/stores/${store}/authorization-models`, { body: deepModel(30) })).status, 201)
      assert.equal((await send('POST', `/stores/${store}/authorization-models`, { body: MODEL })).status, 201)
      assert.equal((await check(tk('doc:1', 'viewer', 'user:anne'))).body.allowed, true)
    })

    it('refuses NUL and unpaired surrogates everywhere, on both backends alike', async (t) => {
      const rawWrite = (object: string) => send('POST', `/stores/${store}/write`, {
        body: `{"writes":{"tuple_keys":[{"object":"${object}","relation":"viewer","user":"user:anne"}]}}`,
      })
      for (const object of ['doc:a\\u0000b', 'doc:\\ud800', 'doc:x\\udfffy']) await refusedUnchanged(() => rawWrite(object), `object ${object}`)
      await refusedUnchanged(() => send('POST', `/stores/${store}/write`, {
        body: '{"writes":{"tuple_keys":[{"object":"doc:9","relation":"counted","user":"user:anne","condition":{"name":"small","context":{"n\\u0000":1}}}]}}',
      }), 'NUL in a context key')
      assertError(await send('POST', `/stores/${store}/read`, { body: '{"tuple_key":{"object":"doc:\\u0000"}}' }), 400, 'validation_error', 'read')
      assertError(await send('POST', '/stores', { body: '{"name":"abc\\ud83d"}' }), 400, 'validation_error', 'store name')
      assertError(await send('GET', `/stores/${store}/changes?type=doc%00`), 400, 'validation_error', 'changes type')
      assertError(await send('GET', '/stores?name=a%00b'), 400, 'validation_error', 'store name filter')
      assertError(await send('GET', '/stores/01ARZ3NDEKTSV4RRFFQ69G5FA%00'), 400, 'validation_error', 'store id')
    })

    it('refuses numbers past every range without evaluating them', async (t) => {
      assert.equal((await write(tk('doc:n', 'counted', 'user:anne', { name: 'small' }), tk('doc:n', 'fresh', 'user:anne', { name: 'recent' }))).status, 200)
      const counted = tk('doc:n', 'counted', 'user:anne')
      assert.equal((await check(counted, { context: { n: 3 } })).body.allowed, true)
      assertError(await send('POST', `/stores/${store}/check`, { body: `{"tuple_key":${JSON.stringify(counted)},"context":{"n":1e400}}` }), 400, 'validation_error', '1e400')
      for (const n of ['9'.repeat(20000), `-${'9'.repeat(20000)}`, '9223372036854775808', `${'0'.repeat(20000)}5`]) {
        const res = await check(counted, { context: { n } })
        if (n.endsWith('5')) assert.equal(res.body.allowed, true, 'leading zeros are still a small number')
        else assertError(res, 400, 'validation_error', `n = ${n.slice(0, 30)}…`)
      }
      // Go's ParseDuration refuses more than 2^63 ns; a huge duration must not count as "recent" or not.
      const fresh = tk('doc:n', 'fresh', 'user:anne')
      assert.equal((await check(fresh, { context: { age: '30m' } })).body.allowed, true)
      for (const age of ['9999999999999999999h', '2562048h', `${'9'.repeat(5000)}s`, '-9999999999999999999h']) {
        assertError(await check(fresh, { context: { age } }), 400, 'validation_error', `age = ${age.slice(0, 30)}`)
      }
      assert.equal((await check(fresh, { context: { age: `0.${'9'.repeat(5000)}s` } })).body.allowed, true)
    })

    it('bounds id lengths the way OpenFGA does', async (t) => {
      await refusedUnchanged(() => write(tk(`doc:${'x'.repeat(253)}`, 'viewer', 'user:anne')), 'object of 257 characters')
      await refusedUnchanged(() => write(tk('doc:1', 'viewer', `user:${'é'.repeat(254)}`)), 'user of 513 bytes')
      await refusedUnchanged(() => write(tk('doc:1', 'v'.repeat(51), 'user:anne')), 'relation of 51 characters')
      assert.equal((await write(tk(`doc:${'x'.repeat(252)}`, 'viewer', `user:${'y'.repeat(507)}`))).status, 200)
      assertError(await send('POST', `/stores/${store}/read`, { body: { tuple_key: { object: `doc:${'x'.repeat(5000)}` } } }), 400, 'validation_error', 'read object')
      assertError(await send('POST', `/stores/${store}/read`, { body: { tuple_key: { object: 'doc:', user: `user:${'x'.repeat(5000)}` } } }), 400, 'validation_error', 'read user')
      assertError(await check(tk('doc:1', 'viewer', `user:${':'.repeat(400)}`)), 400, 'validation_error', 'user of colons')
      assertError(await check(tk(`${'a:'.repeat(100)} `, 'viewer', 'user:anne')), 400, 'validation_error', 'object with a space at the end')
      assertError(await send('GET', `/stores/${'0'.repeat(5000)}`), 400, 'validation_error', 'very long store id')
    })

    it('stores non-ASCII ids exactly and tells different code points apart', async (t) => {
      const ids = ['doc:日本語', 'doc:emoji-😀-🏳️‍🌈', 'doc:rtl-שלום', 'doc:\u00e9', 'doc:e\u0301']
      assert.equal((await write(...ids.slice(0, 4).map((object) => tk(object, 'viewer', 'user:Zoë')))).status, 200)
      for (const object of ids.slice(0, 4)) assert.equal((await check(tk(object, 'viewer', 'user:Zoë'))).body.allowed, true, object)
      assert.equal((await check(tk('doc:e\u0301', 'viewer', 'user:Zoë'))).body.allowed, false, 'NFD is not NFC')
      assert.equal((await check(tk('doc:日本語', 'viewer', 'user:Zoe'))).body.allowed, false)
      const read = await send('POST', `/stores/${store}/read`, { body: { tuple_key: { object: 'doc:', user: 'user:Zoë' } } })
      assert.deepEqual(read.body.tuples.map((x: any) => x.key.object).sort(), ids.slice(0, 4).sort())
      assert.doesNotMatch(server.current()!.output(), /request failed|batch check item failed/)
    })
  })
}
