// The index holds exactly the live tuples, forward and reverse, through writes, replacements and
// deletes — also across the size at which a set of tuples changes representation.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TupleKey } from '../../store/types.ts'
import { TupleIndex } from './tuple-index.ts'

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
  it('stays exact through writes, replacements and deletes in small and large sets', () => {
    const universe: TupleKey[] = []
    // One wide group (a bucket past every size limit), one user on many documents (a long reverse
    // list), and userset members (the bucket's indirect part).
    for (let i = 0; i < 150; i++) universe.push({ object: 'group:wide', relation: 'member', user: `user:u${i}` })
    for (let i = 0; i < 150; i++) universe.push({ object: `doc:d${i}`, relation: 'viewer', user: 'user:busy' })
    for (let i = 0; i < 30; i++) universe.push({ object: 'group:wide', relation: 'member', user: `group:g${i}#member` })
    const idx = new TupleIndex()
    const live = new Map<string, TupleKey>()
    let step = 0
    for (const t of universe) { idx.add(t); live.set(text(t), t) }
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
    const indirect = [...idx.bucket('group:wide', 'member')!.indirect()].map(text).sort()
    assert.deepEqual(indirect, expected.filter((k) => k.startsWith('group:wide#member@group:')))
    for (const t of universe) assert.equal(idx.bucket(t.object, t.relation)?.users.get(t.user) !== undefined, live.has(text(t)), text(t))

    for (const t of universe) idx.remove(t)
    assert.equal(idx.size, 0)
    assert.deepEqual(contents(idx, universe), { forward: [], reverse: [], conditions: [] })
  })
})
