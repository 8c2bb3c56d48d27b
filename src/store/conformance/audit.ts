// The audit log: append (one and many), newest-first listing, every filter, action prefixes,
// half-open time ranges, cursor paging without duplicates or gaps, limit bounds, prune, and JSON
// details that come back as written. Each test works in its own time band so that filters give
// exact results on a log shared by the whole category.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { CommonCodes, isUlid } from '../../lib/index.ts'
import { StoreErrorCodes } from '../errors.ts'
import type { AuditEntryInput, AuditFilter, AuditRecord } from '../types.ts'
import { ManualClock, rejectsWith, tamper, useFixture, type StoreFactory } from './harness.ts'

const DAY = 86_400_000

/** Test n's band: one day, well after the manual clock's start and the prune test's band. */
const band = (n: number) => ({ since: new Date(Date.UTC(2040, 0, 1) + n * DAY), until: new Date(Date.UTC(2040, 0, 1) + (n + 1) * DAY) })
const at = (n: number, second: number) => new Date(band(n).since.getTime() + second * 1000)

function entry(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { actor: 'user:anne', actorType: 'user', action: 'forward_auth.deny', target: 'application:grafana', outcome: 'denied', ...overrides }
}

const rejectsValidation = (promise: Promise<unknown>) =>
  assert.rejects(promise, (err: unknown) => (err as { code?: string }).code === CommonCodes.validation)

export function auditCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock })
  const audit = () => h.store.audit

  /** Every page of a filter, asserting page sizes and that only the last page lacks a cursor. */
  async function allPages(filter: Omit<AuditFilter, 'limit' | 'cursor'>, limit: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = []
    let cursor: string | undefined
    do {
      assert.ok(out.length <= 10_000, 'paging ends')
      const page = await audit().list({ ...filter, limit, cursor })
      if (page.cursor !== undefined) assert.equal(page.entries.length, limit)
      else assert.ok(page.entries.length <= limit)
      out.push(...page.entries)
      cursor = page.cursor
    } while (cursor !== undefined)
    return out
  }

  it('appends an entry and lists it back exactly', async () => {
    const input = entry({ at: at(0, 1), sourceIp: '203.0.113.9', organizationId: 'org-1', details: { rule: 'group:ops', path: '/admin' } })
    const record = await audit().append(input)
    assert.ok(isUlid(record.id), record.id)
    const { at: when, sourceIp, organizationId, details, ...rest } = input
    assert.deepEqual(record, { ...rest, id: record.id, at: when, sourceIp, organizationId, details })
    const minimal = await audit().append(entry({ actor: 'system', actorType: 'system', outcome: 'success' }))
    assert.deepEqual(minimal, { ...entry({ actor: 'system', actorType: 'system', outcome: 'success' }), id: minimal.id, at: clock.now(), sourceIp: null, organizationId: null, details: {} })
    assert.deepEqual(await audit().list({ ...band(0), limit: 10 }), { entries: [record] })
    assert.deepEqual((await audit().list({ actor: 'system', limit: 10 })).entries, [minimal])
  })

  it('lists newest first, ties broken by append order', async () => {
    const seconds = [3, 1, 4, 1, 5, 9, 2, 6]
    const records: AuditRecord[] = []
    for (const [i, s] of seconds.entries()) records.push(await audit().append(entry({ at: at(1, s), target: `doc:${i}` })))
    const listed = (await audit().list({ ...band(1), limit: 100 })).entries
    const expected = [...records].sort((a, b) => b.at.getTime() - a.at.getTime() || records.indexOf(b) - records.indexOf(a))
    assert.deepEqual(listed.map((r) => r.target), expected.map((r) => r.target))
    assert.deepEqual(listed, expected)
    assert.deepEqual(listed.filter((r) => r.at.getTime() === at(1, 1).getTime()).map((r) => r.target), ['doc:3', 'doc:1'])
  })

  it('filters by actor, target, organization and outcome, alone and together', async () => {
    const seeds: AuditEntryInput[] = [
      entry({ actor: 'user:anne', target: 'application:grafana', organizationId: 'org-a', outcome: 'denied' }),
      entry({ actor: 'user:anne', target: 'application:wiki', organizationId: 'org-b', outcome: 'success' }),
      entry({ actor: 'user:bob', target: 'application:grafana', outcome: 'failure' }),
      entry({ actor: 'svc-ci', actorType: 'service', target: 'application:grafana', organizationId: 'org-a', outcome: 'success' }),
      entry({ actor: 'anonymous', actorType: 'anonymous', target: 'application:wiki', outcome: 'denied' }),
    ]
    const records = await audit().appendMany(seeds.map((s, i) => ({ ...s, at: at(2, i) })))
    const expect = async (filter: Omit<AuditFilter, 'limit'>, indexes: number[]) => {
      const { entries, cursor } = await audit().list({ ...band(2), ...filter, limit: 100 })
      assert.deepEqual(entries, indexes.map((i) => records[i]), JSON.stringify(filter))
      assert.equal(cursor, undefined)
    }
    await expect({}, [4, 3, 2, 1, 0])
    await expect({ actor: 'user:anne' }, [1, 0])
    await expect({ target: 'application:grafana' }, [3, 2, 0])
    await expect({ organizationId: 'org-a' }, [3, 0])
    await expect({ outcome: 'denied' }, [4, 0])
    await expect({ outcome: 'success', organizationId: 'org-a' }, [3])
    await expect({ actor: 'user:anne', target: 'application:wiki', outcome: 'success' }, [1])
    await expect({ actor: 'user:ANNE' }, [])
    await expect({ organizationId: 'org-c' }, [])
    await rejectsValidation(audit().list({ ...band(2), outcome: 'maybe' as AuditFilter['outcome'], limit: 10 }))
  })

  it('filters actions exactly, or by prefix when the filter ends with *', async () => {
    const actions = [
      'forward_auth.deny', 'forward_auth.allow', 'forward_auth', 'forwardXauth.deny', 'FORWARD_AUTH.deny',
      'forward_auth.*', 'organization.create', 'organización.crear', 'organización.borrar', 'organizaciónes.x',
    ]
    const records = await audit().appendMany(actions.map((action, i) => entry({ action, at: at(3, i) })))
    const actionsOf = async (action: string) => (await audit().list({ ...band(3), action, limit: 100 })).entries.map((r) => r.action)
    assert.deepEqual(await actionsOf('forward_auth.*'), ['forward_auth.*', 'forward_auth.allow', 'forward_auth.deny'])
    assert.deepEqual(await actionsOf('forward_auth*'), ['forward_auth.*', 'forward_auth', 'forward_auth.allow', 'forward_auth.deny'])
    assert.deepEqual(await actionsOf('forward_auth.deny'), ['forward_auth.deny'])
    assert.deepEqual(await actionsOf('forward_auth'), ['forward_auth'])
    assert.deepEqual(await actionsOf('organización.*'), ['organización.borrar', 'organización.crear'])
    assert.deepEqual(await actionsOf('organizaci*'), ['organizaciónes.x', 'organización.borrar', 'organización.crear'])
    assert.deepEqual(await actionsOf('%*'), [])
    assert.deepEqual(await actionsOf('*'), [...records].reverse().map((r) => r.action))
  })

  it('time ranges include since and exclude until', async () => {
    const records = await audit().appendMany([0, 10, 20, 30].map((s) => entry({ at: at(4, s), target: `t:${s}` })))
    const targets = async (since?: Date, until?: Date) =>
      (await audit().list({ since: since ?? band(4).since, until: until ?? band(4).until, limit: 100 })).entries.map((r) => r.target)
    assert.deepEqual(await targets(), ['t:30', 't:20', 't:10', 't:0'])
    assert.deepEqual(await targets(at(4, 10), at(4, 30)), ['t:20', 't:10'])
    assert.deepEqual(await targets(at(4, 11), at(4, 30)), ['t:20'])
    assert.deepEqual(await targets(at(4, 10), at(4, 10)), [])
    assert.deepEqual(await targets(at(4, 30)), ['t:30'])
    assert.deepEqual((await audit().list({ since: at(4, 20), target: 't:0', limit: 10 })).entries, [])
    assert.deepEqual((await audit().list({ until: at(4, 10), target: 't:0', limit: 10 })).entries, [records[0]])
  })

  it('pages with a cursor: every entry exactly once, in order, also across equal timestamps', async () => {
    const inputs = Array.from({ length: 23 }, (_, i) => entry({ at: at(5, Math.floor(i / 3)), target: `page:${i}`, outcome: i % 2 === 0 ? 'denied' : 'success' }))
    await audit().appendMany(inputs)
    const everything = (await audit().list({ ...band(5), limit: 1000 })).entries
    assert.equal(everything.length, 23)
    for (const size of [1, 2, 3, 4, 7, 22, 23]) {
      assert.deepEqual(await allPages(band(5), size), everything, `page size ${size}`)
    }
    const denied = everything.filter((r) => r.outcome === 'denied')
    assert.equal(denied.length, 12)
    assert.deepEqual(await allPages({ ...band(5), outcome: 'denied' }, 5), denied)
    assert.deepEqual(await audit().list({ ...band(5), limit: 23 }), { entries: everything })
  })

  it('keeps pages stable while newer entries are appended', async () => {
    await audit().appendMany(Array.from({ length: 10 }, (_, i) => entry({ at: at(6, i), target: `stable:${i}` })))
    const first = await audit().list({ ...band(6), limit: 4 })
    await audit().append(entry({ at: at(6, 100), target: 'stable:new' }))
    const rest = await allPagesFrom({ ...band(6), limit: 4, cursor: first.cursor })
    assert.deepEqual([...first.entries, ...rest].map((r) => r.target), Array.from({ length: 10 }, (_, i) => `stable:${9 - i}`))
  })

  async function allPagesFrom(filter: AuditFilter): Promise<AuditRecord[]> {
    const out: AuditRecord[] = []
    let cursor = filter.cursor
    while (cursor !== undefined) {
      assert.ok(out.length <= 10_000, 'paging ends')
      const page = await audit().list({ ...filter, cursor })
      out.push(...page.entries)
      cursor = page.cursor
    }
    return out
  }

  it('rejects a cursor from another filter or a tampered one', async () => {
    await audit().appendMany(Array.from({ length: 3 }, (_, i) => entry({ at: at(7, i), outcome: 'failure' })))
    const { cursor } = await audit().list({ ...band(7), limit: 1 })
    assert.equal(typeof cursor, 'string')
    await rejectsWith(audit().list({ ...band(7), outcome: 'failure', limit: 1, cursor }), StoreErrorCodes.invalidContinuationToken)
    await rejectsWith(audit().list({ since: band(7).since, limit: 1, cursor }), StoreErrorCodes.invalidContinuationToken)
    await rejectsWith(audit().list({ ...band(7), limit: 1, cursor: tamper(cursor as string) }), StoreErrorCodes.invalidContinuationToken)
    await rejectsWith(audit().list({ ...band(7), limit: 1, cursor: 'not a cursor' }), StoreErrorCodes.invalidContinuationToken)
    assert.equal((await audit().list({ ...band(7), limit: 5, cursor })).entries.length, 2)
  })

  it('accepts limits from 1 to 1000 only', async () => {
    await audit().appendMany(Array.from({ length: 3 }, (_, i) => entry({ at: at(8, i) })))
    for (const limit of [0, -1, 1001, 1.5, Number.NaN]) await rejectsValidation(audit().list({ ...band(8), limit }))
    const one = await audit().list({ ...band(8), limit: 1 })
    assert.equal(one.entries.length, 1)
    assert.equal(typeof one.cursor, 'string')
    assert.equal((await audit().list({ ...band(8), limit: 1000 })).entries.length, 3)
  })

  it('round-trips JSON details with non-ASCII text, and repairs what PostgreSQL cannot store', async () => {
    const details = {
      rule: { anyOf: [{ group: 'Développeurs' }, { group: '開発チーム' }], note: null },
      path: '/files/naïve café/🚀?q=ü',
      'clé·ключ': ['עברית', 'العربية', '', 0, -1.5, 1e21, true, false, null],
      nested: { deep: { deeper: { list: [[], {}, ['x']] } } },
    }
    const written = await audit().append(entry({ at: at(9, 1), actor: 'user:zoë', details }))
    assert.deepEqual(written.details, details)
    const [read] = (await audit().list({ ...band(9), limit: 10 })).entries
    assert.deepEqual(read, written)
    assert.equal(read.actor, 'user:zoë')

    const repaired = await audit().append(entry({ at: at(9, 2), actor: 'user:a\u0000b', target: 'x\ud800', details: { 'k\u0000': ['v\udc00', 'ok'] } }))
    assert.deepEqual([repaired.actor, repaired.target, repaired.details], ['user:a\uFFFDb', 'x\uFFFD', { 'k\uFFFD': ['v\uFFFD', 'ok'] }])
    assert.deepEqual((await audit().list({ ...band(9), actor: 'user:a\u0000b', limit: 10 })).entries, [repaired])
  })

  it('appendMany writes all entries in order, or none', async () => {
    assert.deepEqual(await audit().appendMany([]), [])
    const inputs = Array.from({ length: 250 }, (_, i) => entry({ at: at(10, 0), target: `many:${i}` }))
    const records = await audit().appendMany(inputs)
    assert.deepEqual(records.map((r) => r.target), inputs.map((e) => e.target))
    assert.deepEqual([...records].sort((a, b) => (a.id < b.id ? -1 : 1)), records, 'ids grow in input order')
    assert.deepEqual(await allPages(band(10), 1000), [...records].reverse())
    await rejectsValidation(audit().appendMany([entry({ at: at(11, 0) }), entry({ at: at(11, 1), actor: '' })]))
    assert.deepEqual((await audit().list({ ...band(11), limit: 10 })).entries, [])
  })

  it('refuses entries with missing fields, unknown kinds or bad dates', async () => {
    const bad: AuditEntryInput[] = [
      entry({ actor: '' }), entry({ action: '' }), entry({ target: '' }),
      entry({ actorType: 'robot' as AuditEntryInput['actorType'] }), entry({ outcome: 'maybe' as AuditEntryInput['outcome'] }),
      entry({ at: new Date(Number.NaN) }), entry({ at: new Date(-1) }),
      entry({ details: [] as unknown as AuditEntryInput['details'] }),
    ]
    for (const e of bad) await rejectsValidation(audit().append(e))
  })

  it('prunes entries strictly older than the given instant', async () => {
    // The oldest band of the log, so the counts are exact whatever other tests appended; more
    // rows than one delete statement may take at once.
    const base = Date.UTC(2001, 0, 1)
    await audit().appendMany(Array.from({ length: 5010 }, (_, i) => entry({ at: new Date(base + (i < 5007 ? (i % 3) * 1000 : 3000)), target: `old:${i}` })))
    assert.equal(await audit().prune(new Date(base + 3000)), 5007)
    const left = (await audit().list({ since: new Date(base), until: new Date(base + DAY), limit: 1000 })).entries
    assert.deepEqual(left.map((r) => r.target), ['old:5009', 'old:5008', 'old:5007'])
    assert.equal(await audit().prune(new Date(base + 3000)), 0)
    assert.equal(await audit().prune(new Date(base + 3001)), 3)
    assert.equal((await audit().list({ ...band(1), limit: 1000 })).entries.length, 8, 'newer entries are kept')
  })
}
