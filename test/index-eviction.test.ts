// A store larger than the in-memory budget (indexMaxTuples) is evicted when another store is
// used and loaded again on its next query: the answers after the reload are the answers before.
// 100,000 tuples: nested groups, folders, documents, conditional viewers.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { modelFromDsl, openGatehouse, type Gatehouse } from '../src/index.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import type { Store, TupleKey } from '../src/store/types.ts'

const MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define viewer: [user, group#member]
type doc
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, user with not_expired, group#member] or owner or viewer from parent

condition not_expired(now: timestamp, expires_at: timestamp) {
  now < expires_at
}
`
const TUPLES = 100_000
const CONTEXT = { now: '2026-06-01T00:00:00Z' }

/** A fixed pseudo-random sequence (the same data on every run). */
function sequence(seed: number): (n: number) => number {
  let a = seed >>> 0
  return (n) => {
    a = (a * 1664525 + 1013904223) >>> 0
    return a % n
  }
}

function dataset(): TupleKey[] {
  const next = sequence(11)
  const out: TupleKey[] = []
  for (let g = 1; g < 200; g++) out.push({ object: `group:g${Math.floor(g / 2)}`, relation: 'member', user: `group:g${g}#member` })
  for (let i = 0; i < 4000; i++) out.push({ object: `group:g${next(200)}`, relation: 'member', user: `user:u${next(2000)}` })
  for (let f = 0; f < 1000; f++) {
    out.push({ object: `folder:f${f}`, relation: 'viewer', user: `user:u${next(2000)}` })
    out.push({ object: `folder:f${f}`, relation: 'viewer', user: `group:g${next(200)}#member` })
  }
  for (let d = 0; out.length < TUPLES; d++) {
    out.push({ object: `doc:d${d}`, relation: 'parent', user: `folder:f${next(1000)}` })
    out.push({ object: `doc:d${d}`, relation: 'owner', user: `user:u${next(2000)}` })
    const expires = next(2) ? '2027-01-01T00:00:00Z' : '2026-01-01T00:00:00Z'
    out.push({ object: `doc:d${d}`, relation: 'viewer', user: `user:u${next(2000)}`, condition: { name: 'not_expired', context: { expires_at: expires } } })
  }
  // Duplicates the generator may have drawn are written once.
  const seen = new Set<string>()
  return out.filter((t) => {
    const k = `${t.object}#${t.relation}@${t.user}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

describe('index eviction past indexMaxTuples', () => {
  let dir: string
  let gh: Gatehouse
  let writer: Store
  let big: string
  let small: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-evict-'))
    const path = join(dir, 'db.sqlite')
    // Polling off: the only way this process sees the second handle's write is a reload.
    gh = await openGatehouse({ databaseUrl: `sqlite://${path}`, indexMaxTuples: 50_000, indexPollIntervalMs: 0, logLevel: 'error' })
    const model = modelFromDsl(MODEL)
    big = (await gh.createStore({ name: 'big' })).id
    small = (await gh.createStore({ name: 'small' })).id
    await gh.writeAuthorizationModel(big, model)
    await gh.writeAuthorizationModel(small, model)
    // A second handle on the file stands for another process: its writes are not announced here.
    writer = await openSqliteStore({ path })
    const tuples = dataset()
    for (let i = 0; i < tuples.length; i += 5000) {
      await writer.tuples.write(big, { writes: tuples.slice(i, i + 5000), deletes: [], onDuplicate: 'error', onMissing: 'error' })
    }
    await writer.tuples.write(small, { writes: [{ object: 'doc:x', relation: 'owner', user: 'user:u1' }], deletes: [], onDuplicate: 'error', onMissing: 'error' })
  })
  after(async () => {
    await gh.close()
    await writer.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function answers(): Promise<unknown[]> {
    const next = sequence(5)
    const out: unknown[] = []
    for (let i = 0; i < 300; i++) {
      const body = { tuple_key: { object: `doc:d${next(30_000)}`, relation: 'viewer', user: `user:u${next(2000)}` }, context: CONTEXT }
      out.push((await gh.check(big, body)).allowed)
    }
    for (const user of ['user:u3', 'user:u500', 'user:u1999']) {
      const listed = await gh.listObjects(big, { type: 'folder', relation: 'viewer', user, context: CONTEXT }) as { objects: string[] }
      out.push([...listed.objects].sort())
      const docs = await gh.listObjects(big, { type: 'doc', relation: 'viewer', user, context: CONTEXT }) as { objects: string[] }
      out.push(docs.objects.length)
    }
    for (const object of ['doc:d1', 'doc:d2000', 'folder:f7']) {
      const users = await gh.listUsers(big, {
        object: { type: object.split(':')[0], id: object.split(':')[1] }, relation: 'viewer', user_filters: [{ type: 'user' }], context: CONTEXT,
      }) as { users: { object: { id: string } }[] }
      out.push(users.users.map((u) => u.object.id).sort())
    }
    return out
  }

  it('answers the same after the store was evicted and loaded again', async () => {
    const before = await answers()
    assert.ok(before.slice(0, 300).includes(true) && before.slice(0, 300).includes(false), 'the checks cover both answers')
    const probe = { tuple_key: { object: 'doc:d0', relation: 'owner', user: 'user:probe' } }
    await writer.tuples.write(big, { writes: [probe.tuple_key], deletes: [], onDuplicate: 'error', onMissing: 'error' })
    assert.equal((await gh.check(big, probe)).allowed, false, 'the loaded index has not heard of the write')

    // Using the small store pushes the big one out of the budget; its next query loads it again.
    assert.equal((await gh.check(small, { tuple_key: { object: 'doc:x', relation: 'viewer', user: 'user:u1' }, context: CONTEXT })).allowed, true)
    assert.equal((await gh.check(big, probe)).allowed, true, 'the big store was read again')
    assert.deepEqual(await answers(), before)
  })
})
