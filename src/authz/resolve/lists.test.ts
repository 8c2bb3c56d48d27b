import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileModelJson } from '../model/build.ts'
import { modelFromDsl } from '../model/dsl.ts'
import { Evaluator, FALSE, userRef } from './check.ts'
import { expandTree } from './expand.ts'
import { listObjects, type ListRun } from './list-objects.ts'
import { listUsers } from './list-users.ts'
import { TupleIndex } from './tuple-index.ts'

const MODEL = compileModelJson(modelFromDsl(`model
  schema 1.1
type user
type group
  relations
    define member: [user, user:*, group#member]
type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member] or viewer from parent
type document
  relations
    define parent: [folder]
    define blocked: [user]
    define viewer: viewer from parent but not blocked`))

const INDEX = TupleIndex.from([
  { object: 'group:eng', relation: 'member', user: 'user:anne' },
  { object: 'group:eng', relation: 'member', user: 'user:bob' },
  { object: 'folder:root', relation: 'viewer', user: 'group:eng#member' },
  { object: 'folder:sub', relation: 'parent', user: 'folder:root' },
  { object: 'folder:other', relation: 'viewer', user: 'user:carl' },
  { object: 'document:1', relation: 'parent', user: 'folder:sub' },
  { object: 'document:2', relation: 'parent', user: 'folder:other' },
  { object: 'document:1', relation: 'blocked', user: 'user:bob' },
])

const run = (): ListRun => ({ errors: [], timedOut: false })
const later = () => Date.now() + 10_000

function objects(user: string, type: string, relation: string): string[] {
  const ev = new Evaluator(MODEL, [INDEX], undefined, 25)
  return [...listObjects(ev, type, relation, userRef(user), run(), later())].filter((x) => x !== null).sort()
}

function users(object: string, relation: string, type: string, rel = ''): string[] {
  const ev = new Evaluator(MODEL, [INDEX], undefined, 25)
  return [...listUsers(ev, object, relation, { type, relation: rel }, run(), later())].filter((x) => x !== null).sort()
}

describe('list objects', () => {
  it('finds objects through usersets and parents, minus exclusions', () => {
    assert.deepEqual(objects('user:anne', 'folder', 'viewer'), ['folder:root', 'folder:sub'])
    assert.deepEqual(objects('user:anne', 'document', 'viewer'), ['document:1'])
    assert.deepEqual(objects('user:bob', 'document', 'viewer'), [])
    assert.deepEqual(objects('user:carl', 'document', 'viewer'), ['document:2'])
  })

  it('accepts a userset as the user', () => {
    assert.deepEqual(objects('group:eng#member', 'document', 'viewer'), ['document:1'])
  })
})

describe('list users', () => {
  it('lists users, usersets and wildcards that have the relation', () => {
    assert.deepEqual(users('document:1', 'viewer', 'user'), ['user:anne'])
    assert.deepEqual(users('folder:sub', 'viewer', 'group', 'member'), ['group:eng#member'])
    const withWildcard = TupleIndex.from([{ object: 'group:all', relation: 'member', user: 'user:*' }])
    const ev = new Evaluator(MODEL, [withWildcard], undefined, 25)
    assert.deepEqual([...listUsers(ev, 'group:all', 'member', { type: 'user', relation: '' }, run(), later())].filter((x) => x !== null), ['user:*'])
  })

  it('returns nothing for a filter type that cannot relate', () => {
    assert.deepEqual(users('document:1', 'viewer', 'folder'), [])
  })
})

describe('expand', () => {
  it('returns one level of the userset tree in OpenFGA shape', () => {
    const rel = MODEL.relation('folder', 'viewer')!
    assert.deepEqual(expandTree(MODEL, [INDEX], 'folder:sub', 'viewer', rel.rewrite, { left: 10, exceeded: false }), {
      name: 'folder:sub#viewer',
      union: {
        nodes: [
          { name: 'folder:sub#viewer', leaf: { users: { users: [] } } },
          { name: 'folder:sub#viewer', leaf: { tupleToUserset: { tupleset: 'folder:sub#parent', computed: [{ userset: 'folder:root#viewer' }] } } },
        ],
      },
    })
  })

  it('stops at the first leaf entry over its budget', () => {
    const index = TupleIndex.from(['a', 'b', 'c'].map((u) => ({ object: 'folder:wide', relation: 'viewer', user: `user:${u}` })))
    const rel = MODEL.relation('folder', 'viewer')!
    const fits = { left: 3, exceeded: false }
    expandTree(MODEL, [index], 'folder:wide', 'viewer', rel.rewrite, fits)
    assert.deepEqual(fits, { left: 0, exceeded: false })
    const over = { left: 2, exceeded: false }
    const tree = expandTree(MODEL, [index], 'folder:wide', 'viewer', rel.rewrite, over)
    assert.equal(over.exceeded, true)
    assert.deepEqual((tree as { union: { nodes: { leaf: { users: { users: string[] } } }[] } }).union.nodes[0].leaf.users.users, ['user:a', 'user:b'])
  })

  it('counts a user given both as a stored and a contextual tuple once', () => {
    const stored = TupleIndex.from([{ object: 'folder:x', relation: 'viewer', user: 'user:a' }])
    const contextual = TupleIndex.from([{ object: 'folder:x', relation: 'viewer', user: 'user:a' }, { object: 'folder:x', relation: 'viewer', user: 'user:b' }])
    const budget = { left: 2, exceeded: false }
    const tree = expandTree(MODEL, [stored, contextual], 'folder:x', 'viewer', MODEL.relation('folder', 'viewer')!.rewrite, budget)
    assert.equal(budget.exceeded, false)
    assert.deepEqual((tree as { union: { nodes: { leaf: { users: { users: string[] } } }[] } }).union.nodes[0].leaf.users.users, ['user:a', 'user:b'])
  })
})

describe('a write during a list query pause', () => {
  it('neither lists nor caches access the write revoked', () => {
    const model = compileModelJson(modelFromDsl(`model
  schema 1.1
type user
type group
  relations
    define member: [user]
type doc
  relations
    define viewer: [group#member]`))
    const tuples = [{ object: 'group:eng', relation: 'member', user: 'user:anne' }]
    for (let i = 0; i < 200; i++) tuples.push({ object: `doc:${i}`, relation: 'viewer', user: 'group:eng#member' })
    const idx = TupleIndex.from(tuples, 1)
    const ev = new Evaluator(model, [idx], undefined, 25)
    const run: ListRun = { errors: [], timedOut: false }
    let listed = 0
    for (const o of listObjects(ev, 'doc', 'viewer', userRef('user:anne'), run, Date.now() + 10_000)) {
      if (o === null) continue
      // What the index manager does when a write commits while the listing is paused.
      if (++listed === 5) idx.apply({ key: tuples[0], operation: 'delete', timestamp: new Date(), revision: 2 })
    }
    assert.equal(listed, 5)
    const later = new Evaluator(model, [idx], undefined, 25)
    assert.equal(later.check('doc:150', 'viewer', userRef('user:anne')), FALSE)
  })
})
