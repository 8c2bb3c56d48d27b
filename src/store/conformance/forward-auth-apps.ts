// Forward-auth applications: create/get/list, replace as an idempotent upsert with optimistic
// versions, delete, and a revision that moves on every effective write and on nothing else.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { CommonCodes } from '../../lib/index.ts'
import { StoreErrorCodes } from '../errors.ts'
import type { ForwardAuthAppInput, JsonObject } from '../types.ts'
import { ManualClock, rejectsWith, useFixture, type StoreFactory } from './harness.ts'

function app(id: string, overrides: Partial<ForwardAuthAppInput> = {}): ForwardAuthAppInput {
  const spec: JsonObject = {
    id,
    hosts: [`${id}.apps.example`],
    upstream: { url: 'http://10.0.0.7:3000', timeoutMs: 2500 },
    policy: { anyOf: [{ group: 'ops' }, { group: 'Développeurs 開発' }], allowAnonymous: false, note: null },
    headers: { 'Remote-Groups': true },
  }
  return { id, spec, source: 'bootstrap', ...overrides }
}

const rejectsValidation = (promise: Promise<unknown>) =>
  assert.rejects(promise, (err: unknown) => (err as { code?: string }).code === CommonCodes.validation)

export function forwardAuthAppsCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock })
  const apps = () => h.store.forwardAuthApps

  it('creates an application and gets it back', async () => {
    const input = app('create')
    const created = await apps().create(input)
    assert.deepEqual(created, { ...input, createdAt: clock.now(), updatedAt: clock.now(), version: 1 })
    assert.deepEqual(await apps().get('create'), created)
    assert.equal(await apps().get('unknown'), undefined)
  })

  it('refuses to create an id twice and keeps the first', async () => {
    const first = await apps().create(app('twice'))
    clock.advance(1)
    await rejectsWith(apps().create(app('twice', { source: 'api', spec: { other: true } })), StoreErrorCodes.alreadyExists)
    assert.deepEqual(await apps().get('twice'), first)
  })

  it('lists every application ordered by id in byte order', async () => {
    for (const id of ['list-b', 'list-é', 'list-B', 'list-a', 'list-z']) await apps().create(app(id, { source: 'cli' }))
    const all = await apps().list()
    const ids = all.map((a) => a.id)
    assert.deepEqual(ids.filter((id) => id.startsWith('list-')), ['list-B', 'list-a', 'list-b', 'list-z', 'list-é'])
    assert.deepEqual(ids, [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
    assert.deepEqual(all.find((a) => a.id === 'list-é'), await apps().get('list-é'))
  })

  it('replace creates when absent, then bumps version and updatedAt on each change, keeping createdAt', async () => {
    const input = app('replace')
    const created = await apps().replace(input)
    assert.deepEqual(created, { ...input, createdAt: clock.now(), updatedAt: clock.now(), version: 1 })
    const variants: ForwardAuthAppInput[] = [
      { ...input, spec: { ...input.spec, hosts: ['other.apps.example'] } },
      { ...input, spec: { ...input.spec, hosts: ['other.apps.example'] }, source: 'api' },
      { ...input, spec: { id: 'replace' }, source: 'api' },
    ]
    for (const [i, variant] of variants.entries()) {
      const now = clock.advance(10)
      const replaced = await apps().replace(variant)
      assert.deepEqual(replaced, { ...variant, createdAt: created.createdAt, updatedAt: now, version: i + 2 })
      assert.deepEqual(await apps().get('replace'), replaced)
    }
  })

  it('replacing with an equal spec (any key order) and source changes nothing', async () => {
    const input = app('same')
    const first = await apps().replace(input)
    const revision = await apps().revision()
    clock.advance(60)
    const reordered = Object.fromEntries(Object.entries(input.spec).reverse())
    assert.deepEqual(await apps().replace({ ...input, spec: reordered }), first)
    assert.deepEqual(await apps().replace(input, 1), first)
    assert.equal(await apps().revision(), revision)
    assert.deepEqual(await apps().get('same'), first)
  })

  it('replace with expectedVersion applies only at that version', async () => {
    const input = app('versioned')
    await rejectsWith(apps().replace(input, 1), StoreErrorCodes.versionConflict)
    assert.equal(await apps().get('versioned'), undefined)
    const v1 = await apps().replace(input, 0)
    assert.equal(v1.version, 1)
    await rejectsWith(apps().replace(input, 0), StoreErrorCodes.versionConflict)
    const changed = { ...input, spec: { id: 'versioned', hosts: ['v2.example'] } }
    await rejectsWith(apps().replace(changed, 2), StoreErrorCodes.versionConflict)
    assert.deepEqual(await apps().get('versioned'), v1)
    const now = clock.advance(5)
    const v2 = await apps().replace(changed, 1)
    assert.deepEqual(v2, { ...changed, createdAt: v1.createdAt, updatedAt: now, version: 2 })
    // A stale writer loses even when it would write what is already there.
    await rejectsWith(apps().replace(changed, 1), StoreErrorCodes.versionConflict)
    await rejectsValidation(apps().replace(changed, -1))
    await rejectsValidation(apps().replace(changed, 1.5))
    assert.deepEqual(await apps().get('versioned'), v2)
  })

  it('concurrent identical replaces of a new application all return the same version 1', async () => {
    const input = app('replicas')
    const results = await Promise.all(Array.from({ length: 8 }, () => apps().replace(input)))
    for (const r of results) assert.deepEqual(r, { ...input, createdAt: clock.now(), updatedAt: clock.now(), version: 1 })
  })

  it('concurrent replaces at one expected version: exactly one wins', async () => {
    await apps().create(app('race'))
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => apps().replace(app('race', { spec: { id: 'race', n: i } }), 1)),
    )
    const won = attempts.filter((a) => a.status === 'fulfilled')
    assert.equal(won.length, 1)
    for (const a of attempts) if (a.status === 'rejected') assert.equal((a.reason as { code?: string }).code, StoreErrorCodes.versionConflict)
    assert.equal((await apps().get('race'))?.version, 2)
  })

  it('deletes an application once', async () => {
    await apps().create(app('delete'))
    assert.equal(await apps().delete('delete'), true)
    assert.equal(await apps().get('delete'), undefined)
    assert.equal(await apps().delete('delete'), false)
    assert.equal((await apps().list()).some((a) => a.id === 'delete'), false)
  })

  it('revision moves on create, changing replace and delete, and only then', async () => {
    const seen = [await apps().revision()]
    const moved = async (what: string) => {
      const now = await apps().revision()
      assert.equal(typeof now, 'string')
      assert.ok(!seen.includes(now), `revision moves on ${what}`)
      seen.push(now)
    }
    const still = async (what: string) => assert.equal(await apps().revision(), seen[seen.length - 1], `revision stays on ${what}`)

    await apps().create(app('rev'))
    await moved('create')
    await rejectsWith(apps().create(app('rev')), StoreErrorCodes.alreadyExists)
    await still('a refused create')
    await apps().replace(app('rev'))
    await still('a no-op replace')
    await apps().replace(app('rev', { source: 'api' }))
    await moved('a changing replace')
    await rejectsWith(apps().replace(app('rev'), 7), StoreErrorCodes.versionConflict)
    await still('a version conflict')
    await apps().replace(app('rev-new'))
    await moved('a replace that creates')
    await apps().replace(app('rev', { spec: { id: 'rev' } }), 2)
    await moved('a versioned replace')
    await apps().delete('rev')
    await moved('delete')
    await apps().delete('rev')
    await still('deleting a missing application')
    // Delete then re-create the same content: what a count or max(updated_at) would miss.
    await apps().create(app('rev'))
    await moved('re-create')
    assert.equal(await apps().revision(), await apps().revision())
  })

  it('refuses invalid input and stores nothing', async () => {
    await rejectsValidation(apps().create(app('')))
    await rejectsValidation(apps().create(app('bad-source', { source: 'file' as ForwardAuthAppInput['source'] })))
    await rejectsValidation(apps().create(app('bad-spec', { spec: [] as unknown as JsonObject })))
    await rejectsValidation(apps().replace(app('nul', { spec: { name: 'a\u0000b' } })))
    await rejectsValidation(apps().replace(app('surrogate', { spec: { ['k\ud800']: 1 } })))
    await rejectsValidation(apps().create(app('id\u0000nul')))
    for (const id of ['bad-source', 'bad-spec', 'nul', 'surrogate']) assert.equal(await apps().get(id), undefined)
  })
}
