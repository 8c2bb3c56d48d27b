// Tenancy, upstream groups: reconciling a user's groups writes and deletes their membership
// tuples, stores the set sorted and distinct, audits only real changes, and stays consistent under
// concurrent logins of the same user. Part of the tenancy category (same fixture).

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { ReplaceUpstreamGroupsInput, TupleKey } from '../types.ts'
import { byKey, readAll, rejectsWith, tuple, writeTuples, type Harness, type ManualClock } from './harness.ts'

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

const membership = (subject: string, group: string): TupleKey => tuple(`upstream_group:${group}`, 'member', `user:${subject}`)

function sync(storeId: string, subject: string, groups: string[]): ReplaceUpstreamGroupsInput {
  return {
    subject,
    groups,
    storeId,
    tupleFor: (group) => membership(subject, group),
    audit: (added, removed) => ({
      actor: 'system', actorType: 'system', action: 'tenancy.upstream_groups', target: `user:${subject}`, outcome: 'success', details: { added, removed },
    }),
  }
}

export function upstreamGroupsTests(h: Harness, clock: ManualClock): void {
  const t = () => h.store.tenancy
  const replace = (storeId: string, subject: string, groups: string[]) => t().replaceUpstreamGroups(sync(storeId, subject, groups))
  const audited = async (subject: string) =>
    (await h.store.audit.list({ action: 'tenancy.upstream_groups', target: `user:${subject}`, limit: 100 })).entries.map((e) => e.details).reverse()
  const tuplesOf = async (storeId: string, subject: string) =>
    (await readAll(h.store, storeId)).filter((k) => k.user === `user:${subject}`).sort(byKey)

  it('adds and removes upstream groups with their tuples, auditing each change once', async () => {
    const storeId = await h.newStore('system')
    const seen: number[] = []
    const stop = h.store.onChange((id, revision) => id === storeId && seen.push(revision))
    try {
      const tenancyRevision = await t().revision()
      assert.equal(await t().upstreamGroups('anne'), undefined)
      assert.deepEqual(await replace(storeId, 'anne', ['ops', 'dev', 'ops']), { added: ['dev', 'ops'], removed: [] })
      const first = clock.now()
      assert.deepEqual(await t().upstreamGroups('anne'), { subject: 'anne', groups: ['dev', 'ops'], updatedAt: first })
      assert.deepEqual(await tuplesOf(storeId, 'anne'), [membership('anne', 'dev'), membership('anne', 'ops')])
      assert.deepEqual(seen, [1])

      const second = clock.advance(10)
      assert.deepEqual(await replace(storeId, 'anne', ['qa', 'ops']), { added: ['qa'], removed: ['dev'] })
      assert.deepEqual(await t().upstreamGroups('anne'), { subject: 'anne', groups: ['ops', 'qa'], updatedAt: second })
      assert.deepEqual(await tuplesOf(storeId, 'anne'), [membership('anne', 'ops'), membership('anne', 'qa')])
      assert.deepEqual(seen, [1, 2])

      // The same set in another order, with repeats: nothing is written, audited or announced.
      clock.advance(10)
      assert.deepEqual(await replace(storeId, 'anne', ['qa', 'ops', 'qa']), { added: [], removed: [] })
      assert.deepEqual(await t().upstreamGroups('anne'), { subject: 'anne', groups: ['ops', 'qa'], updatedAt: second })
      assert.equal(await h.store.changelog.revision(storeId), 2)

      const third = clock.advance(10)
      assert.deepEqual(await replace(storeId, 'anne', []), { added: [], removed: ['ops', 'qa'] })
      assert.deepEqual(await t().upstreamGroups('anne'), { subject: 'anne', groups: [], updatedAt: third })
      assert.deepEqual(await tuplesOf(storeId, 'anne'), [])
      assert.deepEqual(seen, [1, 2, 3])
      assert.deepEqual(await audited('anne'), [
        { added: ['dev', 'ops'], removed: [] }, { added: ['qa'], removed: ['dev'] }, { added: [], removed: ['ops', 'qa'] },
      ])
      // Upstream groups are not tenancy records: the tenancy revision stays.
      assert.equal(await t().revision(), tenancyRevision)
    } finally {
      stop()
    }
  })

  it('a first sync without groups stores and audits nothing', async () => {
    const storeId = await h.newStore('system')
    assert.deepEqual(await replace(storeId, 'bob', []), { added: [], removed: [] })
    assert.equal(await t().upstreamGroups('bob'), undefined)
    assert.deepEqual(await audited('bob'), [])
  })

  it('converges on tuples that are already there or already gone', async () => {
    const storeId = await h.newStore('system')
    await writeTuples(h.store, storeId, [membership('carl', 'pre')])
    assert.deepEqual(await replace(storeId, 'carl', ['pre', 'new']), { added: ['new', 'pre'], removed: [] })
    assert.deepEqual(await tuplesOf(storeId, 'carl'), [membership('carl', 'new'), membership('carl', 'pre')])
    assert.equal(await h.store.changelog.revision(storeId), 2)
    await writeTuples(h.store, storeId, [], [membership('carl', 'new')])
    assert.deepEqual(await replace(storeId, 'carl', ['pre']), { added: [], removed: ['new'] })
    assert.equal(await h.store.changelog.revision(storeId), 3, 'nothing applied: the store revision stays')
    assert.deepEqual((await t().upstreamGroups('carl'))?.groups, ['pre'])
    assert.equal((await audited('carl')).length, 2)
  })

  it('an unknown system store fails with store_not_found and records nothing', async () => {
    await rejectsWith(replace('no-such-store', 'dora', ['ops']), StoreErrorCodes.storeNotFound)
    assert.equal(await t().upstreamGroups('dora'), undefined)
    assert.deepEqual(await audited('dora'), [])
  })

  it('round-trips unicode group names, sorted in byte order', async () => {
    const storeId = await h.newStore('system')
    const groups = ['Développeurs 開発', '😀 team', '\uFF5E', 'z', 'é', 'Z']
    const expected = [...groups].sort(byteOrder)
    assert.deepEqual(await replace(storeId, 'ёжик 🦔', groups), { added: expected, removed: [] })
    assert.deepEqual((await t().upstreamGroups('ёжик 🦔'))?.groups, expected)
    assert.deepEqual(await tuplesOf(storeId, 'ёжик 🦔'), expected.map((g) => membership('ёжик 🦔', g)).sort(byKey))
  })

  it('concurrent syncs of one user leave the stored groups and the tuples in agreement', async () => {
    const storeId = await h.newStore('system')
    const pool = ['a', 'b', 'c', 'd', 'e', 'f']
    const sets = Array.from({ length: 12 }, (_, i) => pool.filter((_, j) => (i * 7 + j * 3) % 4 !== 0 || j === i % pool.length))
    await Promise.all(sets.map((groups) => replace(storeId, 'erin', groups)))
    const stored = await t().upstreamGroups('erin')
    assert.ok(stored !== undefined)
    assert.ok(sets.some((s) => JSON.stringify([...s].sort(byteOrder)) === JSON.stringify(stored.groups)), 'the last sync wins whole')
    assert.deepEqual(await tuplesOf(storeId, 'erin'), stored.groups.map((g) => membership('erin', g)).sort(byKey))
    // Each change is audited against the set it replaced, so replaying them gives the stored set
    // (entries of one instant list by id, assigned under the user's row lock, so in commit order).
    const replayed = new Set<string>()
    for (const d of await audited('erin')) {
      for (const g of d.removed as string[]) assert.ok(replayed.delete(g), `removed ${g} was present`)
      for (const g of d.added as string[]) {
        assert.ok(!replayed.has(g), `added ${g} was absent`)
        replayed.add(g)
      }
    }
    assert.deepEqual([...replayed].sort(byteOrder), stored.groups)
  })
}
