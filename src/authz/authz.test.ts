// The facade's OpenFGA API on the real SQLite store: stores, models, writes, reads, changes,
// assertions — response shapes and error codes a client relies on.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openSqliteStore } from '../store/sqlite/index.ts'
import type { Store } from '../store/types.ts'
import { Authz, isAuthzError, modelFromDsl } from './index.ts'

const DSL = `model
  schema 1.1
type user
type document
  relations
    define viewer: [user, user with ip_ok]
condition ip_ok(ip: ipaddress) {
  ip.in_cidr("10.0.0.0/8")
}`

let store: Store
let authz: Authz

before(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  authz = new Authz({ store, limits: { maxTuplesPerWrite: 3 } })
})
after(async () => {
  await authz.close()
  await store.close()
})

async function rejectsWith(p: Promise<unknown>, code: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(isAuthzError(err), String(err))
    assert.equal(err.code, code)
    assert.equal(err.status, status)
    if (message) assert.match(err.message, message)
    return true
  })
}

async function newStore(name = 'test store') {
  const s = await authz.createStore({ name })
  const { authorization_model_id } = await authz.writeAuthorizationModel(s.id, modelFromDsl(DSL))
  return { storeId: s.id as string, modelId: authorization_model_id as string }
}

describe('stores', () => {
  it('creates, lists, gets and deletes stores in OpenFGA shapes', async () => {
    const s = await authz.createStore({ name: 'acme' })
    assert.deepEqual(Object.keys(s).sort(), ['created_at', 'id', 'name', 'updated_at'])
    assert.match(s.id, /^[0-9A-Z]{26}$/)
    const got = await authz.getStore(s.id)
    assert.equal(got.deleted_at, null)
    const listed = await authz.listStores({ name: 'acme' })
    assert.deepEqual(listed.stores.map((x) => x.id), [s.id])
    assert.equal(listed.continuation_token, '')
    await authz.deleteStore(s.id)
    await rejectsWith(authz.getStore(s.id), 'store_id_not_found', 404)
  })

  it('rejects invalid names and page sizes', async () => {
    await rejectsWith(authz.createStore({ name: 'x' }), 'validation_error', 400)
    await rejectsWith(authz.listStores({ page_size: '1000' }), 'page_size_invalid', 400)
  })
})

describe('authorization models', () => {
  it('stores a model and returns it with its id, newest first in the listing', async () => {
    const { storeId, modelId } = await newStore()
    const { authorization_model: m } = await authz.readAuthorizationModel(storeId, modelId)
    assert.equal(m.id, modelId)
    assert.equal(m.schema_version, '1.1')
    assert.deepEqual(m.type_definitions.map((t) => t.type), ['user', 'document'])
    assert.equal(m.conditions.ip_ok.parameters.ip.type_name, 'TYPE_NAME_IPADDRESS')
    const second = await authz.writeAuthorizationModel(storeId, modelFromDsl(DSL))
    const list = await authz.readAuthorizationModels(storeId, { page_size: '1' })
    assert.deepEqual(list.authorization_models.map((x) => x.id), [second.authorization_model_id])
    assert.notEqual(list.continuation_token, '')
  })

  it('rejects an invalid model naming the problem', async () => {
    const s = await authz.createStore({ name: 'bad model' })
    await rejectsWith(authz.writeAuthorizationModel(s.id, modelFromDsl(`model
  schema 1.1
type user
type document
  relations
    define viewer: editor`)), 'invalid_authorization_model', 400, /editor/)
    await rejectsWith(authz.readAuthorizationModel(s.id, '01ARZ3NDEKTSV4RRFFQ69G5FAV'), 'authorization_model_not_found', 400)
  })
})

describe('write and read', () => {
  it('writes, reads back, and deletes tuples with conditions', async () => {
    const { storeId } = await newStore()
    assert.deepEqual(await authz.write(storeId, {
      writes: { tuple_keys: [
        { object: 'document:1', relation: 'viewer', user: 'user:anne' },
        { object: 'document:1', relation: 'viewer', user: 'user:bob', condition: { name: 'ip_ok' } },
      ] },
    }), {})
    const read = await authz.read(storeId, { tuple_key: { object: 'document:1' } })
    const keys = read.tuples.map((t) => t.key).sort((a, b) => String(a.user).localeCompare(String(b.user)))
    assert.deepEqual(keys, [
      { object: 'document:1', relation: 'viewer', user: 'user:anne', condition: null },
      { object: 'document:1', relation: 'viewer', user: 'user:bob', condition: { name: 'ip_ok', context: null } },
    ])
    assert.match(String(read.tuples[0].timestamp), /^\d{4}-\d\d-\d\dT.*Z$/)
    await authz.write(storeId, { deletes: { tuple_keys: [{ object: 'document:1', relation: 'viewer', user: 'user:anne' }] } })
    const after = await authz.read(storeId, { tuple_key: { object: 'document:', user: 'user:anne' } })
    assert.deepEqual(after.tuples, [])
  })

  it('validates writes against the model with OpenFGA error codes', async () => {
    const { storeId } = await newStore()
    const doc = (user: string) => ({ object: 'document:1', relation: 'viewer', user })
    await rejectsWith(authz.write(storeId, {}), 'invalid_write_input', 400)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [doc('employee:x')] } }), 'validation_error', 400, /employee/)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [doc('user:*')] } }), 'validation_error', 400, /wildcard/)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [{ ...doc('user:a'), condition: { name: 'nope' } }] } }), 'validation_error', 400, /condition/)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [{ ...doc('user:a'), condition: { name: 'ip_ok', context: { other: 1 } } }] } }), 'validation_error', 400, /other/)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [doc('user:a'), doc('user:a')] } }), 'cannot_allow_duplicate_tuples_in_one_request', 400)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: ['a', 'b', 'c', 'd'].map((u) => doc(`user:${u}`)) } }), 'exceeded_entity_limit', 400)
    await authz.write(storeId, { writes: { tuple_keys: [doc('user:a')] } })
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [doc('user:a')] } }), 'write_failed_due_to_invalid_input', 400, /already exists/)
    await authz.write(storeId, { writes: { tuple_keys: [doc('user:a')], on_duplicate: 'ignore' } })
    await rejectsWith(authz.write(storeId, { deletes: { tuple_keys: [doc('user:zz')] } }), 'write_failed_due_to_invalid_input', 400, /does not exist/)
    await rejectsWith(authz.write(storeId, { writes: { tuple_keys: [{ ...doc('user:a'), condition: { name: 'ip_ok' } }], on_duplicate: 'ignore' } }), 'Aborted', 409)
  })

  it('lists changes in order with operations and a continuation token', async () => {
    const { storeId } = await newStore()
    await authz.write(storeId, { writes: { tuple_keys: [{ object: 'document:1', relation: 'viewer', user: 'user:a' }] } })
    await authz.write(storeId, { deletes: { tuple_keys: [{ object: 'document:1', relation: 'viewer', user: 'user:a' }] } })
    const page = await authz.readChanges(storeId, { type: 'document' })
    assert.deepEqual(page.changes.map((c) => c.operation), ['TUPLE_OPERATION_WRITE', 'TUPLE_OPERATION_DELETE'])
    assert.notEqual(page.continuation_token, '')
    const next = await authz.readChanges(storeId, { type: 'document', continuation_token: page.continuation_token })
    assert.deepEqual(next.changes, [])
    await rejectsWith(authz.readChanges(storeId, { start_time: 'yesterday' }), 'invalid_start_time', 400)
  })
})

describe('assertions', () => {
  it('replaces and reads back a model\'s assertions', async () => {
    const { storeId, modelId } = await newStore()
    const assertion = { tuple_key: { object: 'document:1', relation: 'viewer', user: 'user:a' }, expectation: true }
    await authz.writeAssertions(storeId, modelId, { assertions: [assertion] })
    const read = await authz.readAssertions(storeId, modelId)
    assert.equal(read.authorization_model_id, modelId)
    assert.deepEqual(read.assertions, [{ ...assertion, contextual_tuples: [], context: {} }])
    await rejectsWith(authz.writeAssertions(storeId, modelId, { assertions: [{ ...assertion, tuple_key: { ...assertion.tuple_key, relation: 'nope' } }] }), 'validation_error', 400)
  })
})
