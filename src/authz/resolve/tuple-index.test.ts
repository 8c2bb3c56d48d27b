// The index holds exactly the live tuples, forward and reverse, through writes, replacements and
// deletes — also across the size at which a set of tuples changes representation.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TupleKey } from '../../store/types.ts'
import { compileModelJson } from '../model/build.ts'
import { modelFromDsl } from '../model/dsl.ts'
import { TupleIndex } from './tuple-index.ts'
import { isTupleValid, toRecord, tupleProblem } from './tuples.ts'

const text = (t: { object: string; relation: string; user: string }) => `${t.object}#${t.relation}@${t.user}`

/**
 * Every tuple the index holds for the objects and users of `universe`, forward and reverse, each
 * list read once (so a tuple held twice shows twice).
 */
function contents(idx: TupleIndex, universe: TupleKey[]): { forward: string[]; reverse: string[]; conditions: string[] } {
  const forward: string[] = []
  const reverse: string[] = []
  const conditions: string[] = []
  const buckets = new Set(universe.map((u) => `${u.object}#${u.relation}`))
  const lists = new Set(universe.map((u) => `${u.user} ${u.object.split(':')[0]}#${u.relation}`))
  for (const b of buckets) {
    const [object, relation] = b.split('#')
    for (const rec of idx.bucket(object, relation)?.users.values() ?? []) {
      forward.push(text(rec))
      if (rec.condition) conditions.push(`${text(rec)} ${rec.condition.name}`)
    }
  }
  for (const l of lists) {
    const [user, relKey] = l.split(' ')
    for (const rec of idx.byUser(user, relKey)?.values() ?? []) reverse.push(text(rec))
  }
  return { forward: forward.sort(), reverse: reverse.sort(), conditions: conditions.sort() }
}

describe('tuple index', () => {
  for (const bulk of [false, true]) it(`stays exact through writes, replacements and deletes in small and large sets${bulk ? ' (bulk load first)' : ''}`, () => {
    const universe: TupleKey[] = []
    // One wide group (a bucket past every size limit), one user on many documents (a long reverse
    // list), and userset members (the bucket's indirect part).
    for (let i = 0; i < 150; i++) universe.push({ object: 'group:wide', relation: 'member', user: `user:u${i}` })
    for (let i = 0; i < 150; i++) universe.push({ object: `doc:d${i}`, relation: 'viewer', user: 'user:busy' })
    for (let i = 0; i < 30; i++) universe.push({ object: 'group:wide', relation: 'member', user: `group:g${i}#member` })
    // Small buckets of a few tuples each (two relations of one object), some of them usersets.
    for (let i = 0; i < 40; i++) {
      universe.push({ object: `folder:f${i % 8}`, relation: i % 3 === 0 ? 'owner' : 'viewer', user: i % 4 === 0 ? `group:g${i}#member` : `user:u${i}` })
    }
    const idx = new TupleIndex()
    const live = new Map<string, TupleKey>()
    let step = 0
    if (bulk) idx.beginLoad()
    for (const t of universe) { idx.add(t); live.set(text(t), t) }
    if (bulk) {
      idx.endLoad()
      assert.deepEqual(contents(idx, universe).reverse, [...live.keys()].sort())
    }
    // Delete every third, re-add every ninth with a condition (a replacement of nothing, then of itself).
    for (const t of universe) {
      step++
      if (step % 3 === 0) { idx.remove(t); live.delete(text(t)) }
      if (step % 9 === 0) {
        const c = { ...t, condition: { name: 'cond', context: {} } }
        idx.add(c)
        idx.add(c)
        live.set(text(t), c)
      }
    }
    const expected = [...live.keys()].sort()
    const got = contents(idx, universe)
    assert.equal(idx.size, live.size)
    assert.deepEqual(got.forward, expected)
    assert.deepEqual(got.reverse, expected)
    assert.deepEqual(got.conditions, [...live.values()].filter((t) => t.condition).map((t) => `${text(t)} cond`).sort())
    for (const b of new Set(universe.map((u) => `${u.object}#${u.relation}`))) {
      const [object, relation] = b.split('#')
      const indirect = [...idx.bucket(object, relation)?.indirect() ?? []].map(text).sort()
      assert.deepEqual(indirect, expected.filter((k) => k.startsWith(`${b}@group:`)), b)
    }
    for (const t of universe) assert.equal(idx.bucket(t.object, t.relation)?.users.get(t.user) !== undefined, live.has(text(t)), text(t))

    for (const t of universe) idx.remove(t)
    assert.equal(idx.size, 0)
    assert.deepEqual(contents(idx, universe), { forward: [], reverse: [], conditions: [] })
  })

  it('judges every stored tuple as a fresh validation against each model would, however models alternate', () => {
    const stored: TupleKey[] = [
      { object: 'doc:1', relation: 'viewer', user: 'user:a' },
      { object: 'doc:2', relation: 'viewer', user: 'user:b' },
      { object: 'doc:3', relation: 'viewer', user: 'user:c', condition: { name: 'fresh', context: { age: 3 } } },
      { object: 'doc:4', relation: 'viewer', user: 'user:d', condition: { name: 'fresh', context: { age: 'old' } } },
      { object: 'doc:5', relation: 'viewer', user: 'group:g#member' },
      { object: 'doc:6', relation: 'viewer', user: 'user:*' },
      // Malformed strings a store could still hold: the same shape as the tuples above otherwise.
      { object: 'doc:7:x', relation: 'viewer', user: 'user:e' },
      { object: 'doc:8', relation: 'viewer', user: 'user:f:g' },
      { object: 'doc:1', relation: 'editor', user: 'user:a' },
    ]
    const models = [
      'model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user]\ntype doc\n  relations\n    define viewer: [user]\n    define editor: [user]',
      'model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user]\ntype doc\n  relations\n    define viewer: [user with fresh, group#member, user:*]\n    define editor: [user]\ncondition fresh(age: int) {\n  age < 10\n}',
      'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user, user with fresh]\ncondition fresh(age: int) {\n  age < 10\n}',
    ].map((dsl, i) => compileModelJson(modelFromDsl(dsl), `m${i}`))
    const idx = TupleIndex.from(stored)
    const seen = new Set<string>()
    for (const m of [0, 1, 0, 2, 1, 2, 0]) {
      for (const t of stored) {
        const rec = idx.bucket(t.object, t.relation)!.users.get(t.user)!
        const expected = tupleProblem(models[m], toRecord(t)) === null
        assert.equal(isTupleValid(models[m], rec), expected, `${text(t)} under model ${m}`)
        seen.add(`${m} ${expected}`)
      }
    }
    // Every model accepts some tuples and refuses others.
    assert.equal(seen.size, 6)
  })

  it('keeps malformed tuples whose type#relation strings read alike apart', () => {
    const stored: TupleKey[] = [
      { object: 'x#y:1', relation: 'r', user: 'user:a' },
      { object: 'x:1', relation: 'y#r', user: 'user:a' },
      { object: 'x:2', relation: 'r', user: 'user:b#*' },
      { object: 'x:2', relation: 'r', user: 'user:b:*' },
    ]
    const idx = TupleIndex.from(stored)
    assert.deepEqual([...idx.keys()].map(text).sort(), stored.map(text).sort())
    for (const t of stored) assert.equal(idx.bucket(t.object, t.relation)?.users.get(t.user)?.relation, t.relation, text(t))
  })
})
