// The facade's query API on the real SQLite store: Check (with Explain), BatchCheck, Expand, the
// list queries, and the in-memory index's consistency with writes made elsewhere.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openSqliteStore } from '../store/sqlite/index.ts'
import type { Store } from '../store/types.ts'
import { Authz, isAuthzError, modelFromDsl, type QueryMeta } from './index.ts'

const DSL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type document
  relations
    define owner: [user]
    define viewer: [user, group#member, user with ip_ok] or owner
condition ip_ok(ip: ipaddress) {
  ip.in_cidr("10.0.0.0/8")
}`

let store: Store
let authz: Authz
let storeId: string
let modelId: string

const tk = (object: string, relation: string, user: string) => ({ object, relation, user })

before(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  authz = new Authz({ store, limits: { maxChecksPerBatchCheck: 3, indexMaxTuples: 5 } })
  storeId = (await authz.createStore({ name: 'queries' })).id
  modelId = (await authz.writeAuthorizationModel(storeId, modelFromDsl(DSL))).authorization_model_id
  await authz.write(storeId, { writes: { tuple_keys: [
    tk('group:eng', 'member', 'user:anne'),
    tk('document:1', 'viewer', 'group:eng#member'),
    tk('document:2', 'owner', 'user:bob'),
    { ...tk('document:3', 'viewer', 'user:carl'), condition: { name: 'ip_ok' } },
  ] } })
})
after(async () => {
  await authz.close()
  await store.close()
})

async function allowed(object: string, relation: string, user: string, extra: Record<string, unknown> = {}): Promise<boolean> {
  const res = await authz.check(storeId, { tuple_key: tk(object, relation, user), ...extra })
  return res.allowed
}

describe('check', () => {
  it('answers in OpenFGA shape and reports the model it used', async () => {
    const meta: QueryMeta = {}
    assert.deepEqual(await authz.check(storeId, { tuple_key: tk('document:1', 'viewer', 'user:anne') }, meta), { allowed: true, resolution: '' })
    assert.equal(meta.modelId, modelId)
    assert.equal(await allowed('document:2', 'viewer', 'user:bob'), true)
    assert.equal(await allowed('document:2', 'viewer', 'user:anne'), false)
  })

  it('evaluates conditions with the request context, and needs their parameters', async () => {
    assert.equal(await allowed('document:3', 'viewer', 'user:carl', { context: { ip: '10.1.1.1' } }), true)
    assert.equal(await allowed('document:3', 'viewer', 'user:carl', { context: { ip: '192.168.1.1' } }), false)
    await assert.rejects(allowed('document:3', 'viewer', 'user:carl'), (err) => isAuthzError(err, 'validation_error') && /ip/.test(err.message))
  })

  it('takes contextual tuples, validated like writes', async () => {
    assert.equal(await allowed('document:9', 'viewer', 'user:zoe', { contextual_tuples: { tuple_keys: [tk('group:x', 'member', 'user:zoe'), tk('document:9', 'viewer', 'group:x#member')] } }), true)
    await assert.rejects(allowed('document:9', 'viewer', 'user:zoe', { contextual_tuples: { tuple_keys: [tk('folder:1', 'viewer', 'user:zoe')] } }),
      (err) => isAuthzError(err, 'invalid_tuple') && err.status === 400)
  })

  it('rejects unknown types and relations in its tuple as validation errors', async () => {
    await assert.rejects(allowed('folder:1', 'viewer', 'user:a'), (err) => isAuthzError(err, 'validation_error'))
    await assert.rejects(allowed('document:1', 'editor', 'user:a'), (err) => isAuthzError(err, 'validation_error'))
  })

  it('explains its answer when asked for a trace', async () => {
    const res = await authz.check(storeId, { tuple_key: tk('document:1', 'viewer', 'user:anne'), trace: true }) as { allowed: boolean; trace: any }
    assert.equal(res.allowed, true)
    assert.equal(res.trace.object, 'document:1')
    assert.equal(res.trace.rule.rewrite, 'union')
    const direct = res.trace.rule.children[0]
    assert.equal(direct.rewrite, 'direct')
    assert.equal(direct.tuples[0].tuple, 'document:1#viewer@group:eng#member')
    assert.equal(direct.tuples[0].check.allowed, true)
  })
})

describe('batch check', () => {
  it('answers each check by correlation id, with per-check errors', async () => {
    const res = await authz.batchCheck(storeId, { checks: [
      { tuple_key: tk('document:1', 'viewer', 'user:anne'), correlation_id: 'a' },
      { tuple_key: tk('document:1', 'viewer', 'user:bob'), correlation_id: 'b' },
      { tuple_key: tk('document:3', 'viewer', 'user:carl'), correlation_id: 'c' },
    ] })
    assert.deepEqual(res.result.a, { allowed: true })
    assert.deepEqual(res.result.b, { allowed: false })
    assert.equal((res.result.c as any).error.input_error, 'validation_error')
  })

  it('rejects duplicate correlation ids and too many checks', async () => {
    const c = (id: string) => ({ tuple_key: tk('document:1', 'viewer', 'user:a'), correlation_id: id })
    await assert.rejects(authz.batchCheck(storeId, { checks: [c('x'), c('x')] }), (err) => isAuthzError(err, 'validation_error') && err.status === 400)
    await assert.rejects(authz.batchCheck(storeId, { checks: [c('1'), c('2'), c('3'), c('4')] }), (err) => isAuthzError(err, 'validation_error'))
    await assert.rejects(authz.batchCheck(storeId, { checks: [c('')] }), (err) => isAuthzError(err, 'validation_error'))
  })
})

describe('expand and list queries', () => {
  it('expands one level of a relation', async () => {
    const res = await authz.expand(storeId, { tuple_key: { object: 'document:1', relation: 'viewer' } })
    assert.deepEqual(res.tree.root, {
      name: 'document:1#viewer',
      union: { nodes: [
        { name: 'document:1#viewer', leaf: { users: { users: ['group:eng#member'] } } },
        { name: 'document:1#viewer', leaf: { computed: { userset: 'document:1#owner' } } },
      ] },
    })
  })

  it('refuses an expansion larger than expandMaxLeaves with exceeded_entity_limit', async () => {
    const limited = new Authz({ store, limits: { expandMaxLeaves: 2 } })
    const body = (object: string, extra: Record<string, unknown> = {}) => ({ tuple_key: { object, relation: 'viewer' }, authorization_model_id: modelId, ...extra })
    await authz.write(storeId, { writes: { tuple_keys: [tk('document:8', 'viewer', 'user:a'), tk('document:8', 'viewer', 'user:b')] } })
    const fits = await limited.expand(storeId, body('document:8'))
    assert.deepEqual((fits.tree.root as { union: { nodes: { leaf: { users?: { users: string[] } } }[] } }).union.nodes[0].leaf.users?.users, ['user:a', 'user:b'])
    // A third user, here as a contextual tuple, takes it over the limit.
    const third = { contextual_tuples: { tuple_keys: [tk('document:8', 'viewer', 'user:c')] } }
    await assert.rejects(limited.expand(storeId, body('document:8', third)), (err) =>
      isAuthzError(err, 'exceeded_entity_limit') && err.status === 400 && err.numericCode === 2053 && /more than 2 users and usersets/.test(err.message))
    assert.equal((await limited.expand(storeId, body('document:1'))).tree.root.name, 'document:1#viewer')
    await limited.close()
  })

  it('lists objects, also as a stream', async () => {
    assert.deepEqual(await authz.listObjects(storeId, { type: 'document', relation: 'viewer', user: 'user:anne' }), { objects: ['document:1'] })
    const streamed: string[] = []
    for await (const item of await authz.streamedListObjects(storeId, { type: 'document', relation: 'viewer', user: 'user:bob' })) streamed.push(item.object)
    assert.deepEqual(streamed, ['document:2'])
    await assert.rejects(authz.listObjects(storeId, { type: 'folder', relation: 'viewer', user: 'user:a' }), (err) => isAuthzError(err, 'type_not_found'))
  })

  it('stops listing objects at the result limit, without error', async () => {
    const limited = new Authz({ store, limits: { listObjectsMaxResults: 1 } })
    await authz.write(storeId, { writes: { tuple_keys: [tk('document:7', 'owner', 'user:anne')] } })
    const all = await authz.listObjects(storeId, { type: 'document', relation: 'viewer', user: 'user:anne', authorization_model_id: modelId })
    assert.deepEqual(all.objects.sort(), ['document:1', 'document:7'])
    const one = await limited.listObjects(storeId, { type: 'document', relation: 'viewer', user: 'user:anne', authorization_model_id: modelId })
    assert.equal(one.objects.length, 1)
    await limited.close()
  })

  it('lists users as objects, usersets and wildcards', async () => {
    const res = await authz.listUsers(storeId, { object: { type: 'document', id: '1' }, relation: 'viewer', user_filters: [{ type: 'user' }] })
    assert.deepEqual(res, { users: [{ object: { type: 'user', id: 'anne' } }] })
    const sets = await authz.listUsers(storeId, { object: { type: 'document', id: '1' }, relation: 'viewer', user_filters: [{ type: 'group', relation: 'member' }] })
    assert.deepEqual(sets, { users: [{ userset: { type: 'group', id: 'eng', relation: 'member' } }] })
    await assert.rejects(authz.listUsers(storeId, { object: { type: 'document', id: '1' }, relation: 'viewer', user_filters: [] }), (err) => isAuthzError(err, 'validation_error'))
  })
})

describe('consistency of the in-memory index', () => {
  it('sees its own writes at once', async () => {
    await authz.write(storeId, { writes: { tuple_keys: [tk('group:eng', 'member', 'user:dan')] } })
    assert.equal(await allowed('document:1', 'viewer', 'user:dan'), true)
    await authz.write(storeId, { deletes: { tuple_keys: [tk('group:eng', 'member', 'user:dan')] } })
    assert.equal(await allowed('document:1', 'viewer', 'user:dan'), false)
  })

  it('sees writes made by another writer at HIGHER_CONSISTENCY', async () => {
    await store.tuples.write(storeId, { writes: [tk('document:5', 'owner', 'user:eve')], deletes: [], onDuplicate: 'error', onMissing: 'error' })
    assert.equal(await allowed('document:5', 'viewer', 'user:eve', { consistency: 'HIGHER_CONSISTENCY' }), true)
  })

  it('keeps answering correctly across stores beyond the index budget', async () => {
    const other = (await authz.createStore({ name: 'other' })).id
    await authz.writeAuthorizationModel(other, modelFromDsl(DSL))
    await authz.write(other, { writes: { tuple_keys: [tk('document:1', 'owner', 'user:x')] } })
    assert.equal((await authz.check(other, { tuple_key: tk('document:1', 'viewer', 'user:x') })).allowed, true)
    assert.equal(await allowed('document:1', 'viewer', 'user:anne'), true)
    assert.equal((await authz.check(other, { tuple_key: tk('document:1', 'viewer', 'user:anne') })).allowed, false)
  })

  it('uses the newest model when none is named', async () => {
    const newer = await authz.writeAuthorizationModel(storeId, modelFromDsl(`model
  schema 1.1
type user
type document
  relations
    define owner: [user]
    define viewer: owner`))
    const meta: QueryMeta = {}
    assert.equal((await authz.check(storeId, { tuple_key: tk('document:1', 'viewer', 'user:anne') }, meta)).allowed, false)
    assert.equal(meta.modelId, newer.authorization_model_id)
    assert.equal(await allowed('document:1', 'viewer', 'user:anne', { authorization_model_id: modelId }), true)
  })
})
