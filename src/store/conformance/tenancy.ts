// Tenancy: records committed with optimistic revisions, unique names per (kind, scope), and the
// system store's tuples and audit entries moving in the same transaction (or not at all). The
// category shares one database, so each test reads the revision it starts from.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { CommonCodes } from '../../lib/index.ts'
import { StoreErrorCodes } from '../errors.ts'
import type { AuditEntryInput, JsonObject, TenancyCommit, TenancyRecord } from '../types.ts'
import { byKey, ManualClock, readAll, rejectsWith, tuple, useFixture, type StoreFactory } from './harness.ts'
import { upstreamGroupsTests } from './tenancy-upstream-groups.ts'

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

function rec(kind: string, id: string, name: string, scope = '', data: JsonObject = { name }): TenancyRecord {
  return { kind, id, scope, name, data }
}

function auditEntry(action: string, target: string): AuditEntryInput {
  return { actor: 'user:admin', actorType: 'user', action, target, outcome: 'success', details: { why: 'conformance' } }
}

const rejectsValidation = (promise: Promise<unknown>) =>
  assert.rejects(promise, (err: unknown) => (err as { code?: string }).code === CommonCodes.validation)

export function tenancyCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock, connections: 8 })
  const t = () => h.store.tenancy
  const commit = async (change: Partial<TenancyCommit>) =>
    t().commit({ expectedRevision: await t().revision(), put: [], remove: [], ...change })
  const records = async (kind: string) => (await t().load()).records.filter((r) => r.kind === kind)
  const auditOf = async (action: string) => (await h.store.audit.list({ action, limit: 1000 })).entries

  /** Everything a failed commit must leave as it was. */
  async function state(storeId: string) {
    return {
      tenancy: await t().load(),
      tuples: (await readAll(h.store, storeId)).sort(byKey),
      storeRevision: await h.store.changelog.revision(storeId),
      audit: await auditOf('tenancy.*'),
    }
  }

  it('starts empty at revision 0', async () => {
    assert.deepEqual(await t().load(), { revision: 0, records: [] })
    assert.equal(await t().revision(), 0)
  })

  it('commits puts and loads them ordered by kind, then id, in byte order', async () => {
    const put = [
      rec('order-b', 'z', 'z'), rec('order-b', 'é', 'e-acute'), rec('order-b', 'Z', 'Z'), rec('order-a', 'b', 'b', 'org-1'),
      rec('order-b', '😀', 'emoji'), rec('order-b', '\uFF5E', 'fullwidth'), rec('order-a', 'a', 'a', 'org-1'),
    ]
    assert.equal(await t().commit({ expectedRevision: 0, put, remove: [] }), 1)
    const loaded = await t().load()
    assert.equal(loaded.revision, 1)
    assert.equal(await t().revision(), 1)
    const expected = [...put].sort((x, y) => byteOrder(x.kind, y.kind) || byteOrder(x.id, y.id))
    assert.deepEqual(loaded.records, expected)
    assert.deepEqual(loaded.records.map((r) => r.id), ['a', 'b', 'Z', 'z', 'é', '\uFF5E', '😀'])
  })

  it('replaces a put by (kind, id), removes, ignores missing removes, and bumps the revision once per commit', async () => {
    const start = await t().revision()
    await commit({ put: [rec('replace', '1', 'one'), rec('replace', '2', 'two'), rec('replace-other', '1', 'one')] })
    const renamed = rec('replace', '1', 'uno', 'org-9', { name: 'uno', nested: { list: [1, 2.5, null, true, 'x'] } })
    const revision = await commit({ put: [renamed], remove: [{ kind: 'replace', id: '2' }, { kind: 'replace', id: 'missing' }] })
    assert.equal(revision, start + 2)
    assert.deepEqual(await records('replace'), [renamed])
    assert.deepEqual(await records('replace-other'), [rec('replace-other', '1', 'one')])
    // Remove applies before put: both in one commit leave the record in place.
    await commit({ put: [rec('replace', '1', 'again')], remove: [{ kind: 'replace', id: '1' }] })
    assert.deepEqual(await records('replace'), [rec('replace', '1', 'again')])
    // An empty commit still moves the revision.
    assert.equal(await commit({}), start + 4)
  })

  it('a stale expectedRevision fails with version_conflict and changes nothing', async () => {
    const storeId = await h.newStore('system')
    await commit({ put: [rec('stale', '1', 'one')], tuples: { storeId, writes: [tuple('org:1', 'member', 'user:a')], deletes: [] } })
    const before = await state(storeId)
    const change: TenancyCommit = {
      expectedRevision: before.tenancy.revision - 1,
      put: [rec('stale', '2', 'two')],
      remove: [{ kind: 'stale', id: '1' }],
      tuples: { storeId, writes: [tuple('org:2', 'member', 'user:a')], deletes: [tuple('org:1', 'member', 'user:a')] },
      audit: [auditEntry('tenancy.stale', 'stale:2')],
    }
    await rejectsWith(t().commit(change), StoreErrorCodes.versionConflict)
    await rejectsWith(t().commit({ ...change, expectedRevision: before.tenancy.revision + 1 }), StoreErrorCodes.versionConflict)
    assert.deepEqual(await state(storeId), before)
  })

  it('concurrent commits from one revision: exactly one wins', async () => {
    const expectedRevision = await t().revision()
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => t().commit({ expectedRevision, put: [rec('race', String(i), `n${i}`)], remove: [] })),
    )
    const won = attempts.filter((a) => a.status === 'fulfilled')
    assert.equal(won.length, 1)
    for (const a of attempts) if (a.status === 'rejected') assert.equal((a.reason as { code?: string }).code, StoreErrorCodes.versionConflict)
    assert.equal(await t().revision(), expectedRevision + 1)
    assert.equal((await records('race')).length, 1)
  })

  it('a taken (kind, scope, name) fails with already_exists and changes nothing', async () => {
    const storeId = await h.newStore('system')
    await commit({ put: [rec('group', 'g1', 'ops', 'org-1'), rec('group', 'g2', 'dev', 'org-1')] })
    const before = await state(storeId)
    const taken: Partial<TenancyCommit> = {
      put: [rec('group', 'g9', 'fresh', 'org-1'), rec('group', 'g3', 'ops', 'org-1')],
      tuples: { storeId, writes: [tuple('group:g3', 'member', 'user:a')], deletes: [] },
      audit: [auditEntry('tenancy.taken', 'group:g3')],
    }
    await rejectsWith(commit(taken), StoreErrorCodes.alreadyExists)
    // Two new records claiming one name in the same commit.
    await rejectsWith(commit({ put: [rec('group', 'g4', 'twin', 'org-1'), rec('group', 'g5', 'twin', 'org-1')] }), StoreErrorCodes.alreadyExists)
    // Renaming onto a name another record holds.
    await rejectsWith(commit({ put: [rec('group', 'g2', 'ops', 'org-1')] }), StoreErrorCodes.alreadyExists)
    assert.deepEqual(await state(storeId), before)
  })

  it('the same name is free in another scope and another kind, and after a rename or swap', async () => {
    await commit({ put: [rec('team', 't1', 'ops', 'org-1'), rec('team', 't2', 'dev', 'org-1')] })
    await commit({ put: [rec('team', 't3', 'ops', 'org-2'), rec('team', 't4', 'ops', ''), rec('squad', 's1', 'ops', 'org-1')] })
    // Swapping two names in one commit is valid: only the end state must be unique.
    await commit({ put: [rec('team', 't1', 'dev', 'org-1'), rec('team', 't2', 'ops', 'org-1')] })
    await commit({ put: [rec('team', 't1', 'renamed', 'org-1')] })
    await commit({ put: [rec('team', 't5', 'dev', 'org-1')] })
    // A removed record's name is free in the same commit.
    await commit({ put: [rec('team', 't6', 'ops', 'org-1')], remove: [{ kind: 'team', id: 't2' }] })
    const names = (await records('team')).map((r) => `${r.id}:${r.scope}:${r.name}`)
    assert.deepEqual(names, ['t1:org-1:renamed', 't3:org-2:ops', 't4::ops', 't5:org-1:dev', 't6:org-1:ops'])
  })

  it('writes and deletes system store tuples in the commit: read, changelog and onChange see them', async () => {
    const storeId = await h.newStore('system')
    const seen: [string, number][] = []
    const stop = h.store.onChange((id, revision) => id === storeId && seen.push([id, revision]))
    try {
      const [a, b, c] = [tuple('org:1', 'member', 'user:a'), tuple('org:1', 'admin', 'user:b'), tuple('project:p', 'organization', 'org:1')]
      await commit({ put: [rec('org', 'o1', 'one')], tuples: { storeId, writes: [a, b], deletes: [] } })
      assert.deepEqual(seen, [[storeId, 1]])
      // Deletes apply before writes; a missing delete and an existing write are ignored.
      await commit({ tuples: { storeId, writes: [c, b], deletes: [a, tuple('org:9', 'member', 'user:z')] } })
      assert.deepEqual(seen, [[storeId, 1], [storeId, 2]])
      assert.deepEqual((await readAll(h.store, storeId)).sort(byKey), [b, c].sort(byKey))
      const changes = await h.store.changelog.since(storeId, 0, 100)
      assert.deepEqual(changes.map((ch) => [ch.revision, ch.operation, ch.key]), [
        [1, 'write', a], [1, 'write', b], [2, 'delete', a], [2, 'write', c],
      ])
      // Nothing applies: the records still commit, the store's revision stays and nobody is told.
      const revision = await commit({ put: [rec('org', 'o2', 'two')], tuples: { storeId, writes: [c], deletes: [a] } })
      assert.equal(await t().revision(), revision)
      assert.equal((await records('org')).length, 2)
      assert.equal(await h.store.changelog.revision(storeId), 2)
      assert.deepEqual(seen, [[storeId, 1], [storeId, 2]])
    } finally {
      stop()
    }
  })

  it('an unknown or deleted system store fails with store_not_found and changes nothing', async () => {
    const storeId = await h.newStore('system')
    const gone = await h.newStore('deleted')
    await h.store.stores.delete(gone)
    const before = await state(storeId)
    for (const target of ['no-such-store', gone]) {
      const change: Partial<TenancyCommit> = {
        put: [rec('unknown-store', '1', 'one')],
        tuples: { storeId: target, writes: [tuple('org:1', 'member', 'user:a')], deletes: [] },
        audit: [auditEntry('tenancy.unknown', 'org:1')],
      }
      await rejectsWith(commit(change), StoreErrorCodes.storeNotFound)
    }
    assert.deepEqual(await state(storeId), before)
  })

  it('appends the audit entries of a commit, in order', async () => {
    const entries = [auditEntry('tenancy.audit.create', 'org:a1'), auditEntry('tenancy.audit.bind', 'org:a1')]
    await commit({ put: [rec('audited', 'a1', 'a1')], audit: entries })
    const listed = (await auditOf('tenancy.audit.*')).reverse()
    assert.deepEqual(listed.map((e) => [e.action, e.target, e.actor, e.outcome, e.details, e.at.getTime()]), entries.map((e) => (
      [e.action, e.target, e.actor, e.outcome, e.details, clock.now().getTime()]
    )))
  })

  it('round-trips unicode in every field and in data', async () => {
    const data: JsonObject = {
      'ключ 🔑': 'Développeurs 開発 😀 \u05D0\u05D1 e\u0301', list: ['\uFFFD', '\u{10FFFF}', '\t\n"\\'],
      deep: { '': '', n: -0.5, big: 9007199254740991, exp: 1e-7, t: true, f: false, z: null, arr: [[], {}] },
    }
    const record = rec('unicode 🌍', 'ид-😀', 'Ünïcödé 名前', 'орг-\u{1F600}', data)
    await commit({ put: [record] })
    const [loaded] = await records('unicode 🌍')
    assert.deepEqual(loaded, record)
  })

  it('rejects invalid input before writing', async () => {
    const revision = await t().revision()
    const bad: Partial<TenancyCommit>[] = [
      { put: [rec('bad', '', 'x')] },
      { put: [rec('bad', '1', 'x', '', { s: 'nul\u0000' })] },
      { put: [rec('bad', '1', 'lone \uD800')] },
      { put: [{ ...rec('bad', '1', 'x'), data: [] as unknown as JsonObject }] },
      { put: [rec('bad', '1', 'x')], tuples: { storeId: await h.newStore(), writes: [tuple('no-colon', 'r', 'user:a')], deletes: [] } },
    ]
    for (const change of bad) await rejectsValidation(commit(change))
    await rejectsValidation(t().commit({ expectedRevision: -1, put: [], remove: [] }))
    await rejectsValidation(t().commit({ expectedRevision: 0.5, put: [], remove: [] }))
    assert.equal(await t().revision(), revision)
    assert.deepEqual(await records('bad'), [])
  })

  upstreamGroupsTests(h, clock)
}
