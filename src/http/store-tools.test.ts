// The store tools API and the OpenFGA API as the console calls them, on both backends: the
// preshared key as before, a platform administrator's token accepted too (Check's fast path
// included), anyone else refused.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { describeEachBackend, type OpenedStore } from '../../test/support/backends.ts'
import { createLogger } from '../app/index.ts'
import { Authz, modelFromDsl } from '../authz/index.ts'
import { AppError } from '../lib/index.ts'
import { buildHttpServer, type HttpServer } from './index.ts'

const KEY = 'store-tools-key-0123456789'
const ADMIN = 'platform-admin-token'
const ORG_ADMIN = 'org-admin-token'

const DSL = `model
  schema 1.1
type user
type document
  relations
    define owner: [user]
    define viewer: [user] or owner
`

await describeEachBackend('store tools API', (open) => {
  let opened: OpenedStore
  let authz: Authz
  let app: HttpServer
  let storeId: string

  before(async () => {
    opened = await open()
    authz = new Authz({ store: opened.store })
    const logger = createLogger('silent')
    app = buildHttpServer({
      config: { presharedKeys: [KEY], bodyLimitBytes: 64 * 1024 }, authz, store: opened.store, logger,
      adminCaller: async (authorization) => {
        if (authorization === `Bearer ${ADMIN}`) return
        if (authorization === `Bearer ${ORG_ADMIN}`) throw new AppError('platform_administrator_required', 'platform administrators only', { status: 403 })
        throw new AppError('unauthenticated', 'unauthenticated', { status: 401 })
      },
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    storeId = (await authz.createStore({ name: 'tools' })).id
    await authz.writeAuthorizationModel(storeId, modelFromDsl(DSL))
    await authz.write(storeId, { writes: { tuple_keys: [{ object: 'document:1', relation: 'owner', user: 'user:anne' }] } })
  })
  after(async () => {
    await app.close()
    await authz.close()
    await opened.close()
  })

  // Over a real socket, so Check goes through the node:http fast path as in production.
  async function call(method: string, path: string, token: string | undefined, body?: unknown) {
    const { port } = app.server.address() as { port: number }
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
  }

  it('answers the change preview with the flipped answers', async () => {
    const res = await call('POST', `/api/v1/stores/${storeId}/change-preview`, ADMIN, {
      dsl: DSL.replace('define viewer: [user] or owner', 'define viewer: [user]'),
    })
    assert.equal(res.status, 200, JSON.stringify(res.json))
    assert.deepEqual(res.json.flips, [{ user: 'user:anne', relation: 'viewer', object: 'document:1', before: true, after: false }])
    assert.equal(res.json.counts.revoked, 1)
    assert.equal(res.json.truncated, false)
  })

  it('refuses bad previews with 4xx and stable codes', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      [storeId, { dsl: 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define v: [nobody]' }, 400, 'invalid_authorization_model'],
      ['01ARZ3NDEKTSV4RRFFQ69G5FAV', {}, 404, 'store_id_not_found'],
      ['not-a-store', {}, 400, 'validation_error'],
      [storeId, { objects: Array.from({ length: 1001 }, (_, i) => `document:${i}`) }, 400, 'exceeded_entity_limit'],
      [storeId, { writes: 'nope' }, 400, 'validation_error'],
    ]
    for (const [store, body, status, code] of cases) {
      const res = await call('POST', `/api/v1/stores/${store}/change-preview`, KEY, body)
      assert.equal(res.status, status, `${code}: ${JSON.stringify(res.json)}`)
      assert.equal(res.json.code, code)
    }
    const huge = await call('POST', `/api/v1/stores/${storeId}/change-preview`, KEY, { dsl: 'x'.repeat(70 * 1024) })
    assert.equal(huge.status, 413)
  })

  it('lists tuples by object type alone, which OpenFGA\'s Read refuses', async () => {
    const byType = await call('GET', `/api/v1/stores/${storeId}/tuples?object_type=document`, ADMIN)
    assert.equal(byType.status, 200)
    assert.deepEqual(byType.json.tuples.map((t: { key: { user: string } }) => t.key.user), ['user:anne'])
    assert.equal((await call('GET', `/api/v1/stores/${storeId}/tuples?object_type=group`, ADMIN)).json.tuples.length, 0)
    assert.equal((await call('GET', `/api/v1/stores/${storeId}/tuples?user=user:anne&relation=owner`, ADMIN)).json.tuples.length, 1)
    assert.equal((await call('GET', `/api/v1/stores/${storeId}/tuples?object=1`, ADMIN)).status, 400)
    assert.equal((await call('POST', `/stores/${storeId}/read`, ADMIN, { tuple_key: { object: 'document:' } })).status, 400)
  })

  it('writes a model out as DSL and checks DSL with positions', async () => {
    const dsl = await call('GET', `/api/v1/stores/${storeId}/model-dsl`, ADMIN)
    assert.equal(dsl.status, 200)
    assert.match(dsl.json.dsl, /define viewer: \[user\] or owner/)
    const bad = await call('POST', `/api/v1/stores/${storeId}/model-dsl/validate`, ADMIN, { dsl: DSL.replace('or owner', 'or ownr') })
    assert.equal(bad.status, 200)
    assert.equal(bad.json.valid, false)
    assert.equal(bad.json.problems[0].line, 7)
  })

  it('lets a platform administrator\'s token use the OpenFGA API, Check included; others are refused', async () => {
    for (const token of [KEY, ADMIN]) {
      assert.equal((await call('GET', '/stores', token)).status, 200)
      const check = await call('POST', `/stores/${storeId}/check`, token, { tuple_key: { object: 'document:1', relation: 'viewer', user: 'user:anne' }, trace: true })
      assert.equal(check.status, 200)
      assert.equal(check.json.allowed, true)
      assert.equal(check.json.trace.allowed, true)
      assert.equal((await call('GET', `/api/v1/stores/${storeId}/model-dsl`, token)).status, 200)
    }
    for (const path of ['/stores', `/api/v1/stores/${storeId}/model-dsl`]) {
      assert.equal((await call('GET', path, ORG_ADMIN)).status, 403, path)
      assert.equal((await call('GET', path, 'wrong')).status, 401, path)
      assert.equal((await call('GET', path, undefined)).status, 401, path)
    }
    const refused = await call('POST', `/stores/${storeId}/check`, ORG_ADMIN, { tuple_key: { object: 'document:1', relation: 'viewer', user: 'user:anne' } })
    assert.equal(refused.status, 403)
    const anonymous = await call('POST', `/stores/${storeId}/check`, undefined, { tuple_key: { object: 'document:1', relation: 'viewer', user: 'user:anne' } })
    assert.equal(anonymous.json.code, 'bearer_token_missing')
  })
})
