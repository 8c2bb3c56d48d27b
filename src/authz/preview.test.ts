// Change preview on both backends: the answers a candidate model and tuple changes would flip,
// computed by the engine on both sides, with nothing written.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { describeEachBackend, type OpenedStore } from '../../test/support/backends.ts'
import { Authz, isAuthzError, modelFromDsl } from './index.ts'

const DSL = `model
  schema 1.1
type user
type group
  relations
    define member: [user]
type document
  relations
    define owner: [user]
    define editor: [user, group#member] or owner
    define viewer: [user] or editor
`
// Editors no longer inherit from owners; viewers are editors only.
const CANDIDATE = DSL.replace('define editor: [user, group#member] or owner', 'define editor: [user, group#member]')

const tk = (object: string, relation: string, user: string) => ({ object, relation, user })
const flipText = (f: { user: string; relation: string; object: string; before: boolean; after: boolean }) =>
  `${f.object}#${f.relation}@${f.user} ${f.before}→${f.after}`

await describeEachBackend('change preview', (open) => {
  let opened: OpenedStore
  let authz: Authz
  let storeId: string

  before(async () => {
    opened = await open()
    authz = new Authz({ store: opened.store })
    storeId = (await authz.createStore({ name: 'preview' })).id
    await authz.writeAuthorizationModel(storeId, modelFromDsl(DSL))
    await authz.write(storeId, { writes: { tuple_keys: [
      tk('document:plan', 'owner', 'user:anne'),
      tk('group:eng', 'member', 'user:bob'),
      tk('document:plan', 'editor', 'group:eng#member'),
    ] } })
  })
  after(async () => {
    await authz.close()
    await opened.close()
  })

  const tuples = async () => ((await authz.read(storeId, {})) as { tuples: unknown[] }).tuples.length

  it('lists what a model change revokes, from a sample of the store\'s users and objects', async () => {
    const answer = await authz.changePreview(storeId, { dsl: CANDIDATE })
    assert.equal(answer.sample, 'sample')
    assert.equal(answer.truncated, false)
    assert.deepEqual(answer.flips.map(flipText).sort(), [
      'document:plan#editor@user:anne true→false',
      'document:plan#viewer@user:anne true→false',
    ])
    assert.deepEqual(answer.counts, { granted: 0, revoked: 2, unchanged: answer.checked - 2, undetermined: 0 })
    assert.match(answer.current_model_id ?? '', /^[0-9A-Z]{26}$/)
  })

  it('lists what tuple writes grant and deletes revoke, and writes nothing', async () => {
    const before = await tuples()
    const answer = await authz.changePreview(storeId, {
      writes: [tk('group:eng', 'member', 'user:carl')],
      deletes: [tk('group:eng', 'member', 'user:bob')],
      objects: ['document:plan'],
    })
    assert.equal(answer.sample, 'given')
    assert.deepEqual(answer.flips.map(flipText).sort(), [
      'document:plan#editor@user:bob true→false',
      'document:plan#editor@user:carl false→true',
      'document:plan#viewer@user:bob true→false',
      'document:plan#viewer@user:carl false→true',
    ])
    assert.equal(await tuples(), before, 'nothing written')
    const check = await authz.check(storeId, { tuple_key: tk('document:plan', 'viewer', 'user:carl') })
    assert.equal(check.allowed, false)
  })

  it('asks only about the users, objects and relations named, and stops at the limit', async () => {
    const named = await authz.changePreview(storeId, { dsl: CANDIDATE, users: ['user:anne'], objects: ['document:plan'], relations: ['viewer'] })
    assert.equal(named.checked, 1)
    assert.deepEqual(named.flips.map(flipText), ['document:plan#viewer@user:anne true→false'])
    const capped = await authz.changePreview(storeId, { dsl: CANDIDATE, limit: 2 })
    assert.equal(capped.checked, 2)
    assert.equal(capped.truncated, true)
    // The changed tuples' users and objects are asked about first, so a small limit still sees them.
    const first = await authz.changePreview(storeId, { writes: [tk('document:zzz', 'owner', 'user:zed')], limit: 3 })
    assert.equal(first.truncated, true)
    assert.deepEqual(first.flips.map(flipText), [
      'document:zzz#editor@user:zed false→true', 'document:zzz#owner@user:zed false→true', 'document:zzz#viewer@user:zed false→true',
    ])
  })

  it('refuses a broken model, an unknown store, a tuple the model forbids and oversized requests with stable codes', async () => {
    const refused = async (promise: Promise<unknown>, code: string) => {
      await assert.rejects(promise, (err: unknown) => isAuthzError(err) && err.code === code && err.status < 500)
    }
    await refused(authz.changePreview(storeId, { dsl: 'model\n  schema 1.1\ntype document\n  relations\n    define viewer: [usr]' }), 'invalid_authorization_model')
    await refused(authz.changePreview(storeId, { dsl: 'model schema' }), 'validation_error')
    await refused(authz.changePreview('01ARZ3NDEKTSV4RRFFQ69G5FAV', { dsl: CANDIDATE }), 'store_id_not_found')
    await refused(authz.changePreview(storeId, { writes: [tk('document:plan', 'owner', 'group:eng#member')] }), 'invalid_tuple')
    await refused(authz.changePreview(storeId, { users: Array.from({ length: 1001 }, (_, i) => `user:u${i}`) }), 'exceeded_entity_limit')
    await refused(authz.changePreview(storeId, { limit: 10_001 }), 'validation_error')
  })

  it('previews a store\'s first model: everything was false before', async () => {
    const empty = (await authz.createStore({ name: 'empty' })).id
    const answer = await authz.changePreview(empty, { dsl: DSL, writes: [tk('document:a', 'owner', 'user:zoe')] })
    assert.equal(answer.current_model_id, null)
    assert.deepEqual(answer.flips.map(flipText).sort(), [
      'document:a#editor@user:zoe false→true', 'document:a#owner@user:zoe false→true', 'document:a#viewer@user:zoe false→true',
    ])
  })

  it('checks model DSL with the line and column of each problem', async () => {
    const ok = await authz.validateModelDsl(storeId, { dsl: DSL })
    assert.equal(ok.valid, true)
    assert.ok(ok.authorization_model)
    const bad = await authz.validateModelDsl(storeId, { dsl: DSL.replace('define owner: [user]', 'define owner: [usr]') })
    assert.equal(bad.valid, false)
    assert.equal(bad.problems[0]!.line, 9)
    assert.ok(bad.problems[0]!.column! > 1)
    const syntax = await authz.validateModelDsl(storeId, { dsl: DSL.replace('define owner: [user]', 'define owner [user]') })
    assert.equal(syntax.problems[0]!.line, 9)
    const dsl = await authz.modelDsl(storeId, '')
    assert.match(dsl.dsl, /define editor: \[user, group#member\] or owner/)
  })
})
