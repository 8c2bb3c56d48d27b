// tuples.read filters and paging, tuples.snapshot and tuples.scan.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { TupleFilter, TupleKey } from '../types.ts'
import { byKey, rejectsWith, tamper, tuple, useFixture, writeTuples, type StoreFactory } from './harness.ts'

const DATA: TupleKey[] = [
  tuple('doc:1', 'viewer', 'user:anne'),
  tuple('doc:1', 'viewer', 'user:bob', { name: 'in_hours', context: { from: 9 } }),
  tuple('doc:1', 'editor', 'user:anne'),
  tuple('doc:1', 'viewer', 'group:eng#member'),
  tuple('doc:1', 'viewer', 'user:*'),
  tuple('doc:2', 'viewer', 'user:anne'),
  tuple('doc:10', 'owner', 'users:anne'),
  tuple('folder:1', 'viewer', 'user:anne'),
  tuple('folder:1', 'parent', 'folder:root'),
  tuple('group:eng', 'member', 'user:bob'),
]

export function tuplesReadCategory(factory: StoreFactory): void {
  const h = useFixture(factory)
  let storeId = ''

  async function readFiltered(filter: TupleFilter, pageSize = 100): Promise<TupleKey[]> {
    const out: TupleKey[] = []
    let token = ''
    do {
      const page = await h.store.tuples.read(storeId, filter, { pageSize, continuationToken: token })
      assert.ok(page.items.length <= pageSize)
      out.push(...page.items.map((t) => t.key))
      token = page.continuationToken
    } while (token !== '')
    return out
  }

  const expect = (predicate: (t: TupleKey) => boolean): TupleKey[] => DATA.filter(predicate).sort(byKey)

  it('reads every tuple with an empty filter', async () => {
    storeId = await h.newStore()
    await writeTuples(h.store, storeId, DATA)
    await writeTuples(h.store, await h.newStore(), [tuple('doc:1', 'viewer', 'user:other-store')])
    assert.deepEqual((await readFiltered({})).sort(byKey), [...DATA].sort(byKey))
  })

  const cases: [string, TupleFilter, (t: TupleKey) => boolean][] = [
    ['object type', { objectType: 'doc' }, (t) => t.object.startsWith('doc:')],
    ['object', { objectType: 'doc', objectId: '1' }, (t) => t.object === 'doc:1'],
    ['object and relation', { objectType: 'doc', objectId: '1', relation: 'viewer' }, (t) => t.object === 'doc:1' && t.relation === 'viewer'],
    ['type and relation', { objectType: 'folder', relation: 'viewer' }, (t) => t.object.startsWith('folder:') && t.relation === 'viewer'],
    ['relation alone', { relation: 'viewer' }, (t) => t.relation === 'viewer'],
    ['exact user', { user: 'user:anne' }, (t) => t.user === 'user:anne'],
    ['exact user and type', { objectType: 'doc', user: 'user:anne' }, (t) => t.user === 'user:anne' && t.object.startsWith('doc:')],
    ['wildcard user, literally', { user: 'user:*' }, (t) => t.user === 'user:*'],
    ['userset user', { user: 'group:eng#member' }, (t) => t.user === 'group:eng#member'],
    ['every user of a type', { user: 'user:' }, (t) => t.user.startsWith('user:')],
    ['every user of a type, with object type and relation', { objectType: 'doc', relation: 'viewer', user: 'group:' }, (t) => t.user.startsWith('group:') && t.object.startsWith('doc:') && t.relation === 'viewer'],
    ['nothing matching', { objectType: 'nothing' }, () => false],
  ]
  for (const [name, filter, predicate] of cases) {
    it(`filters by ${name}`, async () => {
      assert.deepEqual((await readFiltered(filter)).sort(byKey), expect(predicate))
    })
  }

  it('pages in a stable order, each tuple exactly once, ending with an empty token', async () => {
    const all = await readFiltered({}, 100)
    for (const size of [1, 3, 4]) assert.deepEqual(await readFiltered({}, size), all)
    assert.deepEqual(await readFiltered({ objectType: 'doc' }, 2), all.filter((t) => t.object.startsWith('doc:')).sort(byKey))
    const whole = await h.store.tuples.read(storeId, {}, { pageSize: DATA.length })
    assert.equal(whole.continuationToken, '')
  })

  it('answers an unfiltered read in write order, oldest first (as OpenFGA does), and a filtered one in key order', async () => {
    const ordered = await h.newStore()
    const writes = [[tuple('z:9', 'r', 'user:a'), tuple('a:1', 'r', 'user:b')], [tuple('m:5', 'r', 'user:c')], [tuple('b:2', 'r', 'user:d'), tuple('a:0', 'r', 'user:e')]]
    for (const batch of writes) await writeTuples(h.store, ordered, batch)
    // A delete and a rewrite moves a tuple to the end.
    await writeTuples(h.store, ordered, [], [tuple('z:9', 'r', 'user:a')])
    await writeTuples(h.store, ordered, [tuple('z:9', 'r', 'user:a')])
    const expected = ['a:1', 'm:5', 'b:2', 'a:0', 'z:9']
    for (const size of [1, 2, 10]) {
      const out: string[] = []
      let token = ''
      do {
        const page = await h.store.tuples.read(ordered, {}, { pageSize: size, continuationToken: token })
        out.push(...page.items.map((t) => t.key.object))
        token = page.continuationToken
      } while (token !== '')
      assert.deepEqual(out, expected, `page size ${size}`)
    }
    assert.deepEqual((await h.store.tuples.read(ordered, { relation: 'r' }, { pageSize: 10 })).items.map((t) => t.key.object), ['a:0', 'a:1', 'b:2', 'm:5', 'z:9'])
    // A token of one kind of listing is refused by the other.
    const unfilteredToken = (await h.store.tuples.read(ordered, {}, { pageSize: 1 })).continuationToken
    await rejectsWith(h.store.tuples.read(ordered, { relation: 'r' }, { pageSize: 1, continuationToken: unfilteredToken }), StoreErrorCodes.invalidContinuationToken)
  })

  it('returns the write timestamp and the condition of each tuple', async () => {
    const page = await h.store.tuples.read(storeId, { objectType: 'doc', objectId: '1', relation: 'viewer', user: 'user:bob' }, { pageSize: 10 })
    assert.equal(page.items.length, 1)
    assert.ok(page.items[0].timestamp instanceof Date)
    assert.deepEqual(page.items[0].key.condition, { name: 'in_hours', context: { from: 9 } })
  })

  it('rejects garbage, tampered and foreign tokens', async () => {
    const page = await h.store.tuples.read(storeId, {}, { pageSize: 2 })
    assert.notEqual(page.continuationToken, '')
    for (const token of ['garbage', '!!!', 'eyJrIjoidHVwbGVzIn0', tamper(page.continuationToken)]) {
      await rejectsWith(h.store.tuples.read(storeId, {}, { pageSize: 2, continuationToken: token }), StoreErrorCodes.invalidContinuationToken)
    }
    const other = await h.newStore()
    await rejectsWith(h.store.tuples.read(other, {}, { pageSize: 2, continuationToken: page.continuationToken }), StoreErrorCodes.invalidContinuationToken)
  })

  it('fails with store_not_found for an unknown store', async () => {
    await rejectsWith(h.store.tuples.read('no-such-store', {}, { pageSize: 10 }), StoreErrorCodes.storeNotFound)
  })

  it('snapshots every live tuple with the revision it reflects', async () => {
    const empty = await h.newStore()
    assert.deepEqual(await h.store.tuples.snapshot(empty), { revision: 0, tuples: [] })
    const snap = await h.store.tuples.snapshot(storeId)
    assert.equal(snap.revision, 1)
    assert.deepEqual([...snap.tuples].sort(byKey), [...DATA].sort(byKey))
    await writeTuples(h.store, storeId, [], [DATA[0]])
    const after = await h.store.tuples.snapshot(storeId)
    assert.equal(after.revision, 2)
    assert.deepEqual([...after.tuples].sort(byKey), DATA.slice(1).sort(byKey))
    await rejectsWith(h.store.tuples.snapshot('no-such-store'), StoreErrorCodes.storeNotFound)
  })

  it('scans every live tuple in pages, each once', async () => {
    const empty = await h.newStore()
    assert.deepEqual(await h.store.tuples.scan(empty, undefined, 3), { tuples: [], next: undefined })
    const expected = (await h.store.tuples.snapshot(storeId)).tuples.sort(byKey)
    for (const limit of [1, 3, expected.length, 100]) {
      const seen: TupleKey[] = []
      let next: string | undefined
      do {
        const page = await h.store.tuples.scan(storeId, next, limit)
        assert.ok(page.tuples.length <= limit)
        seen.push(...page.tuples)
        next = page.next
      } while (next !== undefined)
      assert.deepEqual([...seen].sort(byKey), expected, `pages of ${limit}`)
      assert.equal(new Set(seen.map((t) => `${t.object}#${t.relation}@${t.user}`)).size, seen.length)
    }
    await rejectsWith(h.store.tuples.scan('no-such-store', undefined, 10), StoreErrorCodes.storeNotFound)
    await rejectsWith(h.store.tuples.scan(storeId, 'garbage', 10), StoreErrorCodes.invalidContinuationToken)
  })
}
