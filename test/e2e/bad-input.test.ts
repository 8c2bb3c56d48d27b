// Bad input against a real server on SQLite and on PostgreSQL: every case gets its exact status and
// OpenFGA's stable `code`, never a 500, and a rejected write leaves the store exactly as it was.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { apiClient, assertError, type Reply } from '../support/api-probe.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { modelFromDsl } from '../../src/index.ts'

const MODEL = modelFromDsl(`model
  schema 1.1
type user
type group
  relations
    define member: [user]
type doc
  relations
    define owner: [user]
    define viewer: [user, group#member] or owner
    define editor: [user with office_hours]
condition office_hours(hour: int) {
  hour >= 9 && hour < 17
}
`)
const KEY = 'bad-input-key-0123456789'
const BODY_LIMIT = 65536
const EXPAND_MAX_LEAVES = 3
const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV'
const MALFORMED_IDS = ['not-a-store', '01arz3ndektsv4rrffq69g5fav', `${UNKNOWN_ID}X`, 'ILOU3NDEKTSV4RRFFQ69G5FAVX']

const tk = (object: string, relation: string, user: string, condition?: unknown) => ({ object, relation, user, ...(condition ? { condition } : {}) })
const SEED = [tk('doc:1', 'owner', 'user:anne'), tk('doc:2', 'viewer', 'user:bob'), tk('group:eng', 'member', 'user:carl')]

for (const backend of BACKENDS) {
  describe(`bad input is refused with OpenFGA's status and code (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_PRESHARED_KEYS: KEY, GATEHOUSE_BODY_LIMIT_BYTES: String(BODY_LIMIT), GATEHOUSE_EXPAND_MAX_LEAVES: String(EXPAND_MAX_LEAVES),
    })
    let send: ReturnType<typeof apiClient>
    let storeA: string
    let storeB: string
    let modelA: string

    const createStore = async (name: string): Promise<string> => (await send('POST', '/stores', { body: { name } })).body.id
    const writeModel = async (store: string): Promise<string> =>
      (await send('POST', `/stores/${store}/authorization-models`, { body: MODEL })).body.authorization_model_id
    const write = (body: unknown, store = storeA) => send('POST', `/stores/${store}/write`, { body })
    const writes = (...keys: unknown[]) => write({ writes: { tuple_keys: keys } })

    /** Everything a failed write could have touched: the tuples and the changelog. */
    async function state(store = storeA): Promise<unknown> {
      const tuples = (await send('POST', `/stores/${store}/read`, { body: { page_size: 100 } })).body.tuples
      const changes = (await send('GET', `/stores/${store}/changes?page_size=100`)).body.changes
      return { tuples: tuples.map((t: any) => JSON.stringify(t.key)).sort(), changes: changes.length }
    }
    async function rejectsWithoutChange(attempt: () => Promise<Reply>, status: number, code: string, what: string): Promise<void> {
      const before = await state()
      assertError(await attempt(), status, code, what)
      assert.deepEqual(await state(), before, `${what}: the store changed`)
    }

    before(async () => {
      if (!server.current()) return
      send = apiClient(server.current()!.url, KEY)
      storeA = await createStore('bad input a')
      storeB = await createStore('bad input b')
      modelA = await writeModel(storeA)
      await writeModel(storeA)
      await writeModel(storeB)
      assert.equal((await writes(...SEED)).status, 200)
      assert.equal((await write({ writes: { tuple_keys: SEED.slice(0, 2) } }, storeB)).status, 200)
    })

    it('refuses malformed JSON, other media types, non-object bodies and oversize bodies', async (t) => {
      assertError(await send('POST', '/stores', { body: '{"name": ' }), 400, 'validation_error', 'malformed JSON')
      await rejectsWithoutChange(() => send('POST', `/stores/${storeA}/write`, { body: '{"writes":{"tuple_keys":[' }), 400, 'validation_error', 'truncated write')
      await rejectsWithoutChange(() => send('POST', `/stores/${storeA}/write`, {
        body: JSON.stringify({ writes: { tuple_keys: [tk('doc:9', 'owner', 'user:zed')] } }),
        headers: { 'content-type': 'text/plain' },
      }), 400, 'validation_error', 'text/plain')
      assertError(await send('POST', '/stores', { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'validation_error', 'form')
      assertError(await send('POST', '/stores', { body: '["a list"]' }), 400, 'validation_error', 'array body')
      const big = Array.from({ length: 100 }, (_, i) => tk(`doc:${i}`, 'owner', `user:${'x'.repeat(700)}`))
      assert.ok(JSON.stringify({ writes: { tuple_keys: big } }).length > BODY_LIMIT)
      await rejectsWithoutChange(() => writes(...big), 413, 'payload_too_large', 'oversize body')
    })

    it('refuses an unknown store (404) and a malformed store id (400) on every kind of endpoint', async (t) => {
      const check = { tuple_key: tk('doc:1', 'viewer', 'user:anne') }
      const calls = (id: string): [string, string, unknown?][] => [
        ['GET', `/stores/${id}`], ['DELETE', `/stores/${id}`],
        ['POST', `/stores/${id}/write`, { writes: { tuple_keys: [tk('doc:1', 'owner', 'user:anne')] } }],
        ['POST', `/stores/${id}/read`, {}], ['GET', `/stores/${id}/changes`],
        ['POST', `/stores/${id}/check`, check], ['POST', `/stores/${id}/authorization-models`, MODEL],
      ]
      for (const [method, path, body] of calls(UNKNOWN_ID)) assertError(await send(method, path, { body }), 404, 'store_id_not_found', `${method} ${path}`)
      for (const id of MALFORMED_IDS) {
        for (const [method, path, body] of [...calls(id), ['GET', `/stores/${id}/authorization-models`] as [string, string]]) {
          assertError(await send(method, path, { body }), 400, 'validation_error', `${method} ${path}`)
        }
      }
      const gone = await createStore('deleted store')
      assert.equal((await send('DELETE', `/stores/${gone}`)).status, 204)
      assertError(await write({ writes: { tuple_keys: [tk('doc:1', 'owner', 'user:anne')] } }, gone), 404, 'store_id_not_found', 'deleted store')
    })

    it('refuses an unknown or malformed authorization model id, and a store without a model', async (t) => {
      assertError(await send('GET', `/stores/${storeA}/authorization-models/${UNKNOWN_ID}`), 400, 'authorization_model_not_found', 'read model')
      assertError(await send('GET', `/stores/${storeA}/authorization-models/not-a-model`), 400, 'validation_error', 'read malformed model')
      const check = { tuple_key: tk('doc:1', 'viewer', 'user:anne') }
      assertError(await send('POST', `/stores/${storeA}/check`, { body: { ...check, authorization_model_id: UNKNOWN_ID } }), 400, 'authorization_model_not_found', 'check')
      assertError(await send('POST', `/stores/${storeA}/check`, { body: { ...check, authorization_model_id: 'nope' } }), 400, 'validation_error', 'check malformed')
      assertError(await send('POST', `/stores/${storeB}/check`, { body: { ...check, authorization_model_id: modelA } }), 400, 'authorization_model_not_found', "another store's model")
      assertError(await send('GET', `/stores/${storeB}/authorization-models/${modelA}`), 400, 'authorization_model_not_found', "read another store's model")
      await rejectsWithoutChange(() => write({ authorization_model_id: UNKNOWN_ID, writes: { tuple_keys: [tk('doc:7', 'owner', 'user:zed')] } }),
        400, 'authorization_model_not_found', 'write with unknown model')
      const empty = await createStore('no model yet')
      assertError(await send('POST', `/stores/${empty}/check`, { body: check }), 400, 'latest_authorization_model_not_found', 'no model')
    })

    it('refuses invalid tuples on write and writes none of the request', async (t) => {
      const valid = tk('doc:10', 'owner', 'user:dora')
      const invalid: [string, unknown][] = [
        ['bad object format', tk('doc10', 'owner', 'user:dora')],
        ['unknown type', tk('folder:1', 'owner', 'user:dora')],
        ['unknown relation', tk('doc:10', 'approver', 'user:dora')],
        ['user type not allowed', tk('doc:10', 'viewer', 'group:eng')],
        ['userset relation not allowed', tk('doc:10', 'viewer', 'group:eng#owner')],
        ['condition missing', tk('doc:10', 'editor', 'user:dora')],
        ['condition unknown', tk('doc:10', 'editor', 'user:dora', { name: 'weekend' })],
        ['condition context of the wrong type', tk('doc:10', 'editor', 'user:dora', { name: 'office_hours', context: { hour: 'noon' } })],
        ['condition on a relation without one', tk('doc:10', 'owner', 'user:dora', { name: 'office_hours' })],
      ]
      for (const [what, key] of invalid) {
        await rejectsWithoutChange(() => writes(key), 400, 'validation_error', what)
        await rejectsWithoutChange(() => writes(valid, key), 400, 'validation_error', `${what}, after a valid tuple`)
      }
      const many = Array.from({ length: 101 }, (_, i) => tk(`doc:m${i}`, 'owner', 'user:dora'))
      await rejectsWithoutChange(() => writes(...many), 400, 'exceeded_entity_limit', '101 writes')
      await rejectsWithoutChange(() => write({ writes: { tuple_keys: many.slice(0, 60) }, deletes: { tuple_keys: many.slice(60) } }),
        400, 'exceeded_entity_limit', '101 writes and deletes')
      await rejectsWithoutChange(() => writes(valid, tk('doc:11', 'owner', 'user:dora'), valid), 400, 'cannot_allow_duplicate_tuples_in_one_request', 'duplicates')
      await rejectsWithoutChange(() => write({ writes: { tuple_keys: [valid] }, deletes: { tuple_keys: [valid] } }),
        400, 'cannot_allow_duplicate_tuples_in_one_request', 'write and delete of one tuple')
      await rejectsWithoutChange(() => write({}), 400, 'invalid_write_input', 'empty write')
    })

    it('refuses writing an existing tuple and deleting a missing one, atomically', async (t) => {
      const fresh = tk('doc:20', 'owner', 'user:erin')
      await rejectsWithoutChange(() => writes(fresh, SEED[0]), 400, 'write_failed_due_to_invalid_input', 'existing tuple')
      await rejectsWithoutChange(() => write({ deletes: { tuple_keys: [tk('doc:404', 'owner', 'user:nobody')] } }),
        400, 'write_failed_due_to_invalid_input', 'missing tuple')
      await rejectsWithoutChange(() => write({ deletes: { tuple_keys: [SEED[1], tk('doc:404', 'owner', 'user:nobody')] } }),
        400, 'write_failed_due_to_invalid_input', 'existing and missing delete')
      await rejectsWithoutChange(() => write({ writes: { tuple_keys: [fresh] }, deletes: { tuple_keys: [tk('doc:404', 'owner', 'user:nobody')] } }),
        400, 'write_failed_due_to_invalid_input', 'new write with a missing delete')
    })

    it('refuses garbage, tampered and foreign continuation tokens', async (t) => {
      const token = async (path: string, body?: unknown): Promise<string> => {
        const res = await send(body ? 'POST' : 'GET', path, { body })
        assert.notEqual(res.body.continuation_token, '', `${path} gives a token`)
        return res.body.continuation_token
      }
      const tokens = {
        readA: await token(`/stores/${storeA}/read`, { page_size: 1 }),
        readB: await token(`/stores/${storeB}/read`, { page_size: 1 }),
        changesA: await token(`/stores/${storeA}/changes?page_size=1`),
        changesB: await token(`/stores/${storeB}/changes?page_size=1`),
        modelsA: await token(`/stores/${storeA}/authorization-models?page_size=1`),
        stores: await token('/stores?page_size=1'),
      }
      const tamper = (s: string) => s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11)
      const bad = (own: string, foreign: string[]) => ['garbage', '!!!', 'a'.repeat(6000), tamper(own), own.slice(0, -3), ...foreign]
      const q = encodeURIComponent
      for (const t of bad(tokens.readA, [tokens.readB, tokens.changesA, tokens.stores])) {
        assertError(await send('POST', `/stores/${storeA}/read`, { body: { continuation_token: t } }), 400, 'invalid_continuation_token', `read ${t}`)
      }
      for (const t of bad(tokens.changesA, [tokens.changesB, tokens.readA])) {
        assertError(await send('GET', `/stores/${storeA}/changes?continuation_token=${q(t)}`), 400, 'invalid_continuation_token', `changes ${t}`)
      }
      for (const t of bad(tokens.modelsA, [tokens.modelsA, tokens.readA])) {
        assertError(await send('GET', `/stores/${storeB}/authorization-models?continuation_token=${q(t)}`), 400, 'invalid_continuation_token', `models ${t}`)
      }
      for (const t of bad(tokens.stores, [tokens.modelsA, tokens.readA])) {
        assertError(await send('GET', `/stores?continuation_token=${q(t)}`), 400, 'invalid_continuation_token', `stores ${t}`)
      }
      const typed = await token(`/stores/${storeA}/changes?type=doc&page_size=1`)
      assertError(await send('GET', `/stores/${storeA}/changes?type=group&continuation_token=${q(typed)}`),
        400, 'query_string_type_continuation_token_mismatch', 'changes with another type')
    })

    it('refuses a page size outside 1..100 on every paginated endpoint', async (t) => {
      for (const size of ['0', '-1', '101', 'abc', '1.5', '99999999999999999999']) {
        for (const path of ['/stores', `/stores/${storeA}/authorization-models`, `/stores/${storeA}/changes`]) {
          assertError(await send('GET', `${path}?page_size=${size}`), 400, 'page_size_invalid', `${path} page_size=${size}`)
        }
      }
      for (const size of [0, -1, 101, 1.5]) {
        assertError(await send('POST', `/stores/${storeA}/read`, { body: { page_size: size } }), 400, 'page_size_invalid', `read page_size ${size}`)
      }
    })

    it('refuses oversize and ambiguous query requests', async (t) => {
      const check = (id: string) => ({ correlation_id: id, tuple_key: tk('doc:1', 'viewer', 'user:anne') })
      const batch = (checks: unknown[]) => send('POST', `/stores/${storeA}/batch-check`, { body: { checks } })
      assertError(await batch(Array.from({ length: 51 }, (_, i) => check(`c${i}`))), 400, 'validation_error', '51 checks')
      assertError(await batch([check('same'), check('other'), check('same')]), 400, 'validation_error', 'duplicate correlation ids')
      assertError(await batch([{ tuple_key: tk('doc:1', 'viewer', 'user:anne') }]), 400, 'validation_error', 'missing correlation id')
      assert.equal((await batch(Array.from({ length: 50 }, (_, i) => check(`c${i}`)))).status, 200)

      const listUsers = (filters: unknown[], extra: object = {}) => send('POST', `/stores/${storeA}/list-users`, {
        body: { object: { type: 'doc', id: '1' }, relation: 'viewer', user_filters: filters, ...extra },
      })
      assertError(await listUsers([{ type: 'user' }, { type: 'group', relation: 'member' }]), 400, 'validation_error', 'two user filters')
      assertError(await listUsers([]), 400, 'validation_error', 'no user filter')

      const ctx = Array.from({ length: 101 }, (_, i) => tk(`doc:c${i}`, 'owner', 'user:anne'))
      const wrapped = { tuple_keys: ctx }
      assertError(await send('POST', `/stores/${storeA}/check`, { body: { tuple_key: tk('doc:1', 'viewer', 'user:anne'), contextual_tuples: wrapped } }),
        400, 'exceeded_entity_limit', 'check with 101 contextual tuples')
      assertError(await send('POST', `/stores/${storeA}/list-objects`, { body: { type: 'doc', relation: 'viewer', user: 'user:anne', contextual_tuples: wrapped } }),
        400, 'exceeded_entity_limit', 'list-objects with 101 contextual tuples')
      assertError(await listUsers([{ type: 'user' }], { contextual_tuples: ctx }), 400, 'exceeded_entity_limit', 'list-users with 101 contextual tuples')
      assertError(await batch([{ ...check('x'), contextual_tuples: wrapped }]), 400, 'exceeded_entity_limit', 'batch item with 101 contextual tuples')
      const ok = await send('POST', `/stores/${storeA}/check`, { body: { tuple_key: tk('doc:1', 'viewer', 'user:anne'), contextual_tuples: { tuple_keys: ctx.slice(0, 100) } } })
      assert.equal(ok.status, 200)

      // An expansion over expandMaxLeaves is refused whole (a cut tree would read as complete).
      const expand = (users: string[]) => send('POST', `/stores/${storeA}/expand`, {
        body: { tuple_key: { object: 'doc:1', relation: 'viewer' }, contextual_tuples: { tuple_keys: users.map((u) => tk('doc:1', 'viewer', u)) } },
      })
      const fits = await expand(['user:a', 'user:b', 'user:c'])
      assert.equal(fits.status, 200)
      assert.deepEqual(fits.body.tree.root.union.nodes[0].leaf.users.users, ['user:a', 'user:b', 'user:c'])
      const over = await expand(['user:a', 'user:b', 'user:c', 'user:d'])
      assertError(over, 400, 'exceeded_entity_limit', 'expand with 4 users over a limit of 3')
      assert.match(over.body.message, /more than 3 users and usersets \(expandMaxLeaves\)/)
    })

    it('logged no internal error while refusing all of it', async (t) => {
      assert.equal((await send('GET', '/healthz')).status, 200)
      assert.doesNotMatch(server.current()!.output(), /request failed|batch check item failed/)
    })
  })
}
