// The remote tuple writer against a real OpenFGA API (a Gatehouse server), and against a stub
// server for the failures a healthy server does not produce (5xx, 429, 409, broken pagination).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { startGatehouse, type GatehouseProcess } from '../../test/support/gatehouse.ts'
import { openFgaHttpClient } from '../../test/support/openfga-http.ts'
import type { TupleKey } from '../store/index.ts'
import { DeliveryError, ProvisioningCodes } from './errors.ts'
import { chunkTupleWrites, createRemoteTupleWriter, type RemoteOpenFgaOptions } from './openfga-remote.ts'

const KEY = 'remote-writer-test-key-0123456789'

const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'group',
      relations: { member: { this: {} } },
      metadata: { relations: { member: { directly_related_user_types: [{ type: 'user' }] } } },
    },
    {
      type: 'project',
      relations: { admin: { this: {} }, viewer: { this: {} } },
      metadata: {
        relations: {
          admin: { directly_related_user_types: [{ type: 'user' }] },
          viewer: { directly_related_user_types: [{ type: 'user' }, { type: 'group', relation: 'member' }] },
        },
      },
    },
  ],
}

const t = (object: string, relation: string, user: string): TupleKey => ({ object, relation, user })
const members = (n: number, group = 'group:big') => Array.from({ length: n }, (_, i) => t(group, 'member', `user:u${i}`))
const sorted = (list: TupleKey[]) => list.map((k) => `${k.object}#${k.relation}@${k.user}`).sort()

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`)
  return err
}

describe('chunkTupleWrites', () => {
  it('splits at 100 keys in total, deletes first, repeats dropped', () => {
    const chunks = chunkTupleWrites([...members(150), ...members(10)], members(60, 'group:old'))
    assert.deepEqual(chunks.map((c) => [c.deletes.length, c.writes.length]), [[60, 40], [0, 100], [0, 10]])
    assert.deepEqual(chunkTupleWrites([], []), [])
  })

  it('strips conditions from deletes and refuses a tuple both written and deleted', () => {
    const conditioned = { ...t('project:p', 'viewer', 'user:a'), condition: { name: 'in_hours' } }
    assert.deepEqual(chunkTupleWrites([], [conditioned])[0].deletes, [t('project:p', 'viewer', 'user:a')])
    assert.throws(() => chunkTupleWrites([t('a:1', 'r', 'user:x')], [t('a:1', 'r', 'user:x')]), /both written and deleted/)
    assert.throws(() => chunkTupleWrites([{ object: 'a:1' } as TupleKey], []), /expected tuple keys/)
  })
})

describe('remote OpenFGA writer against Gatehouse', () => {
  let server: GatehouseProcess
  let storeId = ''
  let modelId = ''
  let options: RemoteOpenFgaOptions

  before(async () => {
    server = await startGatehouse({ GATEHOUSE_PRESHARED_KEYS: KEY })
    const api = openFgaHttpClient(server.url, KEY)
    storeId = (await api.createStore({ name: 'downstream' })).id
    modelId = (await api.writeAuthorizationModel(storeId, MODEL)).authorization_model_id
    options = { url: server.url, storeId, token: KEY, timeoutMs: 10_000 }
  })
  after(async () => { await server?.close() })

  it('writes, re-writes idempotently, reads, and deletes (also tuples already gone)', async () => {
    const fga = createRemoteTupleWriter({ ...options, authorizationModelId: modelId })
    const grants = [t('project:web', 'admin', 'user:alice'), t('project:web', 'viewer', 'group:ops#member'), t('group:ops', 'member', 'user:bob')]
    await fga.write(grants, [])
    await fga.write(grants, [])
    assert.deepEqual(sorted(await fga.read({ object: 'project:web' })), sorted(grants.slice(0, 2)))
    assert.deepEqual(sorted(await fga.read({ object: 'project:', user: 'user:alice' })), sorted(grants.slice(0, 1)))
    assert.deepEqual(sorted(await fga.read({ object: 'group:ops', relation: 'member' })), sorted(grants.slice(2)))
    await fga.write([], [grants[0], t('project:web', 'admin', 'user:nobody')])
    await fga.write([], [grants[0]])
    assert.deepEqual(sorted(await fga.read({ object: 'project:web' })), sorted(grants.slice(1, 2)))
  })

  it('goes past 100 keys in several requests and reads them back through every page', async () => {
    // The server holds to OpenFGA's limit, so the writes below pass only because they are split.
    const raw = await openFgaHttpClient(server.url, KEY).write(storeId, { writes: { tuple_keys: members(101) } }).catch((e: { code: string }) => e)
    assert.equal(raw.code, 'exceeded_entity_limit')
    const fga = createRemoteTupleWriter(options)
    await fga.write(members(250), [])
    assert.equal((await fga.read({ object: 'group:big' })).length, 250)
    // One action moving 250 members out and 30 in: 280 keys, three requests.
    await fga.write(members(30, 'group:small'), members(250))
    assert.deepEqual(await fga.read({ object: 'group:big' }), [])
    assert.equal((await fga.read({ object: 'group:small', relation: 'member' })).length, 30)
    assert.ok((await fga.read({})).length >= 30)
  })

  it('refuses to hold more tuples than maxReadTuples', async () => {
    const fga = createRemoteTupleWriter({ ...options, maxReadTuples: 10 })
    const err = await failure(fga.read({ object: 'group:small' }))
    assert.equal(err.retryable, false)
    assert.match(err.message, /more than 10 tuples match/)
  })

  it('rejects what the server refuses, with its code and message', async () => {
    const fga = createRemoteTupleWriter(options)
    const unknownType = await failure(fga.write([t('document:1', 'viewer', 'user:alice')], []))
    assert.equal(unknownType.retryable, false)
    assert.equal(unknownType.code, ProvisioningCodes.downstreamRejected)
    assert.match(unknownType.message, new RegExp(`^OpenFGA write ${server.url} answered 400: [a-z_]+: .*document`))
    assert.equal(unknownType.details?.status, 400)

    const badRead = await failure(fga.read({ relation: 'member' }))
    assert.match(badRead.message, /answered 400/)

    const wrongToken = await failure(createRemoteTupleWriter({ ...options, token: 'not-the-key' }).write([t('group:x', 'member', 'user:a')], []))
    assert.equal(wrongToken.retryable, false)
    assert.match(wrongToken.message, /answered 401/)
    assert.ok(!wrongToken.message.includes('not-the-key'))

    const noStore = await failure(createRemoteTupleWriter({ ...options, storeId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }).read({ object: 'group:x' }))
    assert.match(noStore.message, /answered 404: store_id_not_found/)

    const noModel = await failure(createRemoteTupleWriter({ ...options, authorizationModelId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }).write([t('group:x', 'member', 'user:a')], []))
    assert.match(noModel.message, /answered 400: authorization_model_not_found/)
  })
})

describe('remote OpenFGA writer failures', () => {
  let stub: Server
  let base = ''
  let answer: (path: string, body: any) => { status: number; headers?: Record<string, string>; body: unknown }
  const requests: { path: string; auth?: string; body: any }[] = []

  before(async () => {
    stub = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => { raw += c })
      req.on('end', () => {
        const body = JSON.parse(raw)
        requests.push({ path: req.url ?? '', auth: req.headers.authorization, body })
        const a = answer(req.url ?? '', body)
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(JSON.stringify(a.body))
      })
    })
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/openfga/`
  })
  after(async () => { await new Promise((resolve) => stub.close(resolve)) })

  const fga = () => createRemoteTupleWriter({ url: base, storeId: 'S1', token: 'tok', timeoutMs: 1000 })

  it('sends the documented write body under the base path', async () => {
    answer = () => ({ status: 200, body: {} })
    requests.length = 0
    await fga().write([t('group:a', 'member', 'user:x')], [t('group:a', 'member', 'user:y')])
    assert.deepEqual(requests, [{
      path: '/openfga/stores/S1/write',
      auth: 'Bearer tok',
      body: {
        writes: { tuple_keys: [t('group:a', 'member', 'user:x')], on_duplicate: 'ignore' },
        deletes: { tuple_keys: [t('group:a', 'member', 'user:y')], on_missing: 'ignore' },
      },
    }])
    await fga().write([], [])
    assert.equal(requests.length, 1)
  })

  it('retries 5xx, 429 (with Retry-After) and 409; rejects other 4xx', async () => {
    const cases: [number, Record<string, string>, boolean, Record<string, unknown>][] = [
      [500, {}, true, { status: 500 }],
      [503, {}, true, { status: 503 }],
      [429, { 'retry-after': '3' }, true, { status: 429, retryAfterMs: 3000 }],
      [409, {}, true, { status: 409 }],
      [408, {}, true, { status: 408 }],
      [422, {}, false, { status: 422 }],
      [403, {}, false, { status: 403 }],
    ]
    for (const [status, headers, retryable, details] of cases) {
      answer = () => ({ status, headers, body: { code: 'some_code', message: `failed with ${status}` } })
      const err = await failure(fga().write([t('group:a', 'member', 'user:x')], []))
      assert.equal(err.retryable, retryable, `${status}`)
      assert.deepEqual(err.details, details)
      assert.match(err.message, new RegExp(`answered ${status}: some_code: failed with ${status}$`))
    }
  })

  it('pages reads with the cap, and stops on a repeated continuation token', async () => {
    answer = (_p, body) => ({ status: 200, body: { tuples: [{ key: t('group:a', 'member', `user:${body.continuation_token ?? 'first'}`) }], continuation_token: body.continuation_token ? '' : 'next' } })
    requests.length = 0
    assert.deepEqual(await fga().read({ object: 'group:a' }), [t('group:a', 'member', 'user:first'), t('group:a', 'member', 'user:next')])
    assert.deepEqual(requests.map((r) => r.body), [
      { tuple_key: { object: 'group:a' }, page_size: 100 },
      { tuple_key: { object: 'group:a' }, page_size: 100, continuation_token: 'next' },
    ])
    answer = () => ({ status: 200, body: { tuples: [], continuation_token: 'again' } })
    assert.match((await failure(fga().read({}))).message, /repeated a continuation token/)
    answer = () => ({ status: 200, body: { nothing: true } })
    assert.match((await failure(fga().read({}))).message, /no tuples list/)
  })

  it('takes a refused connection as retryable', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const err = await failure(createRemoteTupleWriter({ url: `http://127.0.0.1:${port}`, storeId: 'S1', timeoutMs: 500 }).read({}))
    assert.equal(err.retryable, true)
  })

  it('validates its options as configuration', () => {
    const ok = { url: base, storeId: 'S1', timeoutMs: 1000 }
    assert.throws(() => createRemoteTupleWriter({ ...ok, url: 'http://fga.example.com' }, 'rules[3].openfga'), /^AppError: rules\[3\]\.openfga\.url: plain http/)
    assert.throws(() => createRemoteTupleWriter({ ...ok, storeId: '../x' }), /openfga\.storeId: expected a store id/)
    assert.throws(() => createRemoteTupleWriter({ ...ok, token: 'a b' }), /openfga\.token: expected a token without white space/)
    assert.throws(() => createRemoteTupleWriter({ ...ok, timeoutMs: -1 }), /openfga\.timeoutMs/)
    assert.throws(() => createRemoteTupleWriter({ ...ok, authorizationModelId: 'x/y' }), /openfga\.authorizationModelId/)
  })
})
