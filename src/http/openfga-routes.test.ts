import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLogger, openCore, type Core } from '../app/index.ts'
import { modelFromDsl } from '../authz/index.ts'
import { loadConfig } from '../config/index.ts'
import { buildHttpServer, type HttpServer } from './index.ts'

const MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user]
type document
  relations
    define owner: [user]
    define viewer: [user, group#member] or owner
`

describe('OpenFGA routes (real engine, SQLite in memory)', () => {
  let app: HttpServer
  let core: Core
  let storeId: string
  let modelId: string

  before(async () => {
    const { config } = loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', logLevel: 'silent' } })
    const logger = createLogger('silent')
    core = await openCore(config, logger)
    app = buildHttpServer({ config, authz: core.authz, store: core.store, logger })
    await app.ready()
  })
  after(async () => {
    await app.close()
    await core.close()
  })

  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object })

  it('creates a store (201) and reads it back', async () => {
    const created = await post('/stores', { name: 'smoke store' })
    assert.equal(created.statusCode, 201)
    storeId = created.json().id
    assert.match(storeId, /^[0-9A-HJKMNP-TV-Z]{26}$/)
    const got = await app.inject({ method: 'GET', url: `/stores/${storeId}` })
    assert.equal(got.statusCode, 200)
    assert.equal(got.json().name, 'smoke store')
    const list = await app.inject({ method: 'GET', url: '/stores?page_size=10' })
    assert.ok(list.json().stores.some((s: { id: string }) => s.id === storeId))
  })

  it('writes a model (201) and lists it', async () => {
    const res = await post(`/stores/${storeId}/authorization-models`, modelFromDsl(MODEL))
    assert.equal(res.statusCode, 201)
    modelId = res.json().authorization_model_id
    const one = await app.inject({ method: 'GET', url: `/stores/${storeId}/authorization-models/${modelId}` })
    assert.equal(one.json().authorization_model.id, modelId)
    const all = await app.inject({ method: 'GET', url: `/stores/${storeId}/authorization-models` })
    assert.equal(all.json().authorization_models.length, 1)
  })

  it('rejects an invalid model with 400 and an OpenFGA error code', async () => {
    const res = await post(`/stores/${storeId}/authorization-models`, { schema_version: '1.1', type_definitions: [{ type: 'doc', relations: { viewer: { computedUserset: { relation: 'nope' } } } }] })
    assert.equal(res.statusCode, 400)
    assert.equal(typeof res.json().code, 'string')
  })

  it('writes tuples and answers check with the resolved model id header', async () => {
    const write = await post(`/stores/${storeId}/write`, {
      writes: { tuple_keys: [
        { user: 'user:anne', relation: 'member', object: 'group:eng' },
        { user: 'group:eng#member', relation: 'viewer', object: 'document:plan' },
        { user: 'user:beth', relation: 'owner', object: 'document:memo' },
      ] },
    })
    assert.equal(write.statusCode, 200)
    assert.deepEqual(write.json(), {})

    const allowed = await post(`/stores/${storeId}/check`, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' } })
    assert.equal(allowed.statusCode, 200)
    assert.equal(allowed.json().allowed, true)
    assert.equal(allowed.headers['openfga-authorization-model-id'], modelId)
    const denied = await post(`/stores/${storeId}/check`, { tuple_key: { user: 'user:beth', relation: 'viewer', object: 'document:plan' } })
    assert.equal(denied.json().allowed, false)
  })

  it('answers the other queries', async () => {
    const batch = await post(`/stores/${storeId}/batch-check`, { checks: [
      { tuple_key: { user: 'user:beth', relation: 'viewer', object: 'document:memo' }, correlation_id: 'a' },
    ] })
    assert.equal(batch.statusCode, 200)
    assert.equal(batch.json().result.a.allowed, true)
    const objects = await post(`/stores/${storeId}/list-objects`, { type: 'document', relation: 'viewer', user: 'user:anne' })
    assert.deepEqual(objects.json().objects, ['document:plan'])
    const users = await post(`/stores/${storeId}/list-users`, { object: { type: 'document', id: 'memo' }, relation: 'viewer', user_filters: [{ type: 'user' }] })
    assert.equal(users.statusCode, 200)
    assert.deepEqual(users.json().users, [{ object: { type: 'user', id: 'beth' } }])
    const expand = await post(`/stores/${storeId}/expand`, { tuple_key: { relation: 'viewer', object: 'document:plan' } })
    assert.equal(expand.statusCode, 200)
    assert.equal(expand.json().tree.root.name, 'document:plan#viewer')
    const read = await post(`/stores/${storeId}/read`, { tuple_key: { object: 'document:plan' } })
    assert.equal(read.json().tuples.length, 1)
    const changes = await app.inject({ method: 'GET', url: `/stores/${storeId}/changes?type=document` })
    assert.equal(changes.json().changes.length, 2)
  })

  it('streams list-objects as NDJSON result lines', async () => {
    const res = await post(`/stores/${storeId}/streamed-list-objects`, { type: 'document', relation: 'viewer', user: 'user:beth' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /ndjson/)
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(lines, [{ result: { object: 'document:memo' } }])
  })

  it('answers a streamed query with bad input with a normal 400 error', async () => {
    const res = await post(`/stores/${storeId}/streamed-list-objects`, { type: 'nosuchtype', relation: 'viewer', user: 'user:beth' })
    assert.equal(res.statusCode, 400)
    assert.equal(typeof res.json().code, 'string')
  })

  it('writes assertions (204) and reads them back', async () => {
    const assertions = [{ tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' }, expectation: true }]
    const put = await app.inject({ method: 'PUT', url: `/stores/${storeId}/assertions/${modelId}`, payload: { assertions } })
    assert.equal(put.statusCode, 204)
    assert.equal(put.body, '')
    const get = await app.inject({ method: 'GET', url: `/stores/${storeId}/assertions/${modelId}` })
    assert.equal(get.json().authorization_model_id, modelId)
    assert.equal(get.json().assertions.length, 1)
  })

  it('deletes the store (204), after which it is not found', async () => {
    const del = await app.inject({ method: 'DELETE', url: `/stores/${storeId}` })
    assert.equal(del.statusCode, 204)
    const gone = await app.inject({ method: 'GET', url: `/stores/${storeId}` })
    assert.equal(gone.statusCode, 404)
    assert.equal(gone.json().code, 'store_id_not_found')
  })
})
