import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isAuthzError } from '../errors.ts'
import { compileModelJson } from './build.ts'
import { modelFromDsl } from './dsl.ts'

const compile = (dsl: string) => compileModelJson(modelFromDsl(dsl))

function rejects(dsl: string, code: string, pattern: RegExp): void {
  assert.throws(() => compile(dsl), (err) => {
    assert.ok(isAuthzError(err), String(err))
    assert.equal(err.code, code)
    assert.match(err.message, pattern)
    return true
  })
}

describe('model validation', () => {
  it('accepts a model with every rewrite, usersets, wildcards and conditions', () => {
    const m = compile(`model
  schema 1.1
type user
type group
  relations
    define member: [user, user:*, group#member]
type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member with in_hours] or viewer from parent
type document
  relations
    define parent: [folder]
    define owner: [user]
    define blocked: [user]
    define viewer: (owner or viewer from parent) but not blocked
    define editor: owner and viewer
condition in_hours(now: timestamp, start: timestamp) {
  now >= start
}`)
    assert.equal(m.relation('document', 'viewer')?.rewrite.kind, 'exclusion')
    assert.equal(m.relation('group', 'member')?.selfNested, true)
    assert.equal(m.relation('folder', 'parent')?.isTupleset, true)
    assert.ok(m.conditions.has('in_hours'))
  })

  it('rejects a computed relation that does not exist', () => {
    rejects(`model
  schema 1.1
type user
type document
  relations
    define viewer: editor`, 'invalid_authorization_model', /editor/)
  })

  it('rejects type restrictions naming unknown types, relations or conditions', () => {
    rejects(`model
  schema 1.1
type document
  relations
    define viewer: [user]`, 'invalid_authorization_model', /type 'user'/)
    rejects(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user, group#member]
type group`, 'invalid_authorization_model', /group#member/)
    rejects(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user with nope]`, 'invalid_authorization_model', /condition 'nope'/)
  })

  it('rejects tuplesets that are not plain direct relations', () => {
    rejects(`model
  schema 1.1
type user
type folder
  relations
    define viewer: [user]
type document
  relations
    define owner: [folder]
    define parent: owner
    define viewer: viewer from parent`, 'invalid_authorization_model', /must be a direct relation/)
    rejects(`model
  schema 1.1
type user
type folder
  relations
    define viewer: [user]
type document
  relations
    define parent: [folder, folder#viewer]
    define viewer: viewer from parent`, 'invalid_authorization_model', /tupleset/)
  })

  it('rejects tuple-to-userset whose relation no parent type defines', () => {
    rejects(`model
  schema 1.1
type user
type folder
  relations
    define owner: [user]
type document
  relations
    define parent: [folder]
    define viewer: viewer from parent`, 'invalid_authorization_model', /viewer/)
  })

  it('rejects relations with no entrypoint (impossible cycles)', () => {
    rejects(`model
  schema 1.1
type user
type document
  relations
    define viewer: [document#viewer]`, 'invalid_authorization_model', /no entrypoint/)
    rejects(`model
  schema 1.1
type user
type document
  relations
    define a: [user] and b
    define b: [user] and a`, 'invalid_authorization_model', /no entrypoint/)
  })

  it('rejects conditions whose CEL is invalid or not boolean', () => {
    rejects(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user with c]
condition c(x: int) {
  x + "a"
}`, 'invalid_authorization_model', /condition 'c'/)
    rejects(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user with c]
condition c(x: int) {
  x + 1
}`, 'invalid_authorization_model', /bool/)
  })

  it('rejects duplicate types and unsupported schema versions', () => {
    assert.throws(() => compileModelJson({ schema_version: '1.1', type_definitions: [{ type: 'user' }, { type: 'user' }] }),
      (err) => isAuthzError(err, 'invalid_authorization_model') && /more than once/.test(err.message))
    assert.throws(() => compileModelJson({ schema_version: '1.0', type_definitions: [{ type: 'user' }] }),
      (err) => isAuthzError(err, 'invalid_authorization_model') && /schema version/.test(err.message))
  })

  it('accepts proto field names and enum numbers in the JSON form', () => {
    const m = compileModelJson({
      schemaVersion: '1.1',
      typeDefinitions: [
        { type: 'user' },
        {
          type: 'doc',
          relations: { parent: { this: {} }, viewer: { tuple_to_userset: { tupleset: { relation: 'parent' }, computed_userset: { relation: 'owner' } } }, owner: { this: {} } },
          metadata: { relations: { parent: { directlyRelatedUserTypes: [{ type: 'doc' }] }, owner: { directly_related_user_types: [{ type: 'user', condition: 'c' }] } } },
        },
      ],
      conditions: { c: { name: 'c', expression: 'x > 1', parameters: { x: { typeName: 4 } } } },
    })
    assert.deepEqual(m.relation('doc', 'viewer')?.rewrite, { kind: 'ttu', tupleset: 'parent', computed: 'owner' })
    assert.equal(m.json.conditions.c.parameters.x.type_name, 'TYPE_NAME_INT')
  })
})
