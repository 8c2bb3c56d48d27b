// Import through the engine on both backends: what is committed when a tuple is bad, duplicates
// under on_duplicate error/ignore, model and condition checks as Write makes them, and the
// in-memory index seeing imported tuples.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { isAppError } from '../lib/index.ts'
import { describeEachBackend, type OpenedStore } from '../../test/support/backends.ts'
import { Authz, modelFromDsl, type ImportItem } from './index.ts'

const DSL = `model
  schema 1.1
type user
type group
  relations
    define member: [user]
type document
  relations
    define viewer: [user, group#member, user with ip_ok]
condition ip_ok(ip: ipaddress) {
  ip.in_cidr("10.0.0.0/8")
}`

const items = (tuples: unknown[]): ImportItem[] => tuples.map((tuple, i) => ({ tuple, line: i + 1 }))
const viewer = (doc: number, user: string) => ({ object: `document:${doc}`, relation: 'viewer', user })

async function failsWith(p: Promise<unknown>, expected: { code: string; status: number; details: Record<string, unknown>; message?: RegExp }): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(isAppError(err), String(err))
    assert.equal(err.code, expected.code)
    assert.equal(err.status, expected.status)
    assert.deepEqual(err.details, expected.details)
    if (expected.message) assert.match(err.message, expected.message)
    return true
  })
}

await describeEachBackend('import', (open) => {
  let opened: OpenedStore
  let authz: Authz
  before(async () => {
    opened = await open()
    authz = new Authz({ store: opened.store, limits: { indexPollIntervalMs: 0 } })
  })
  after(async () => {
    await authz.close()
    await opened.close()
  })
  async function newStore(): Promise<string> {
    const { id } = await authz.createStore({ name: 'import' })
    await authz.writeAuthorizationModel(id, modelFromDsl(DSL))
    return id
  }
  async function count(storeId: string): Promise<number> {
    let n = 0
    let token = ''
    do {
      const page = await authz.read(storeId, { page_size: 100, continuation_token: token }) as { tuples: unknown[]; continuation_token: string }
      n += page.tuples.length
      token = page.continuation_token
    } while (token !== '')
    return n
  }

  it('writes every tuple in batches, one revision each, and checks see them at once', async () => {
    const storeId = await newStore()
    // Load the index first, so the import must update it rather than the first check build it.
    assert.deepEqual(await authz.check(storeId, { tuple_key: viewer(0, 'user:u0') }), { allowed: false, resolution: '' })
    const tuples = Array.from({ length: 250 }, (_, i) => viewer(i % 40, `user:u${i}`))
    tuples.push({ ...viewer(1, 'user:cond'), condition: { name: 'ip_ok' } } as never, viewer(2, 'group:eng#member'))
    const result = await authz.importTuples(storeId, items(tuples), { batchSize: 100 })
    assert.deepEqual(result, { imported: 252, skipped: 0, batches: 3 })
    assert.equal(await count(storeId), 252)
    assert.deepEqual(await authz.check(storeId, { tuple_key: viewer(0, 'user:u0') }), { allowed: true, resolution: '' })
    assert.deepEqual(await authz.check(storeId, { tuple_key: viewer(9, 'user:u249') }), { allowed: true, resolution: '' })
    const changes = await authz.readChanges(storeId, { page_size: '100' }) as { changes: unknown[] }
    assert.equal(changes.changes.length, 100, 'every imported tuple is a change')
  })

  it('a bad tuple mid-stream: earlier batches stay, its batch writes nothing, the error names its line', async () => {
    const storeId = await newStore()
    const tuples: unknown[] = Array.from({ length: 25 }, (_, i) => viewer(i, 'user:a'))
    tuples[22] = viewer(22, 'organization:x') // not a type of the model
    await failsWith(authz.importTuples(storeId, items(tuples), { batchSize: 10 }), {
      code: 'validation_error', status: 400, message: /^line 23: Invalid tuple/,
      details: { index: 22, line: 23, imported: 20, skipped: 0, batches: 2 },
    })
    assert.equal(await count(storeId), 20)
    // An unreadable line, a wrong shape and an unknown condition are refused the same way.
    for (const [bad, code] of [[{ error: 'not valid JSON' }, 'validation_error'], [{ tuple: { object: 'document:1' } }, 'validation_error'],
      [{ tuple: { ...viewer(1, 'user:b'), condition: { name: 'nope' } } }, 'validation_error']] as const) {
      await failsWith(authz.importTuples(storeId, [{ tuple: viewer(30, 'user:b') }, bad]), {
        code, status: 400, details: { index: 1, imported: 0, skipped: 0, batches: 0 },
      })
    }
    assert.equal(await count(storeId), 20)
    // Resuming the same input with on_duplicate ignore, once fixed, completes it.
    tuples[22] = viewer(22, 'user:a')
    assert.deepEqual(await authz.importTuples(storeId, items(tuples), { batchSize: 10, onDuplicate: 'ignore' }), { imported: 5, skipped: 20, batches: 3 })
    assert.equal(await count(storeId), 25)
  })

  it('on_duplicate error refuses a stored or repeated tuple at its line; ignore skips identical ones', async () => {
    const storeId = await newStore()
    await authz.write(storeId, { writes: { tuple_keys: [viewer(1, 'user:a')] } })
    await failsWith(authz.importTuples(storeId, items([viewer(2, 'user:a'), viewer(3, 'user:a'), viewer(1, 'user:a')]), { batchSize: 2 }), {
      code: 'write_failed_due_to_invalid_input', status: 400, message: /^line 3: cannot write a tuple which already exists/,
      details: { index: 2, line: 3, imported: 2, skipped: 0, batches: 1 },
    })
    await failsWith(authz.importTuples(storeId, items([viewer(4, 'user:a'), viewer(4, 'user:a')])), {
      code: 'write_failed_due_to_invalid_input', status: 400, details: { index: 1, line: 2, imported: 0, skipped: 0, batches: 0 },
    })
    const result = await authz.importTuples(storeId, items([viewer(1, 'user:a'), viewer(5, 'user:a'), viewer(5, 'user:a'), viewer(2, 'user:a')]), { onDuplicate: 'ignore' })
    assert.deepEqual(result, { imported: 1, skipped: 3, batches: 1 })
    // Ignore still refuses the same key with another condition (as Write does: 409 Aborted).
    await failsWith(authz.importTuples(storeId, items([viewer(6, 'user:a'), { ...viewer(1, 'user:a'), condition: { name: 'ip_ok' } }]), { onDuplicate: 'ignore' }), {
      code: 'Aborted', status: 409, details: { index: 1, line: 2, imported: 0, skipped: 0, batches: 0 },
    })
    assert.equal(await count(storeId), 4)
  })

  it('a batch the store refuses is reported, not a bad tuple read after it; later batches write nothing', async () => {
    const storeId = await newStore()
    await authz.write(storeId, { writes: { tuple_keys: [viewer(1, 'user:a')] } })
    const tuples: unknown[] = [viewer(7, 'user:a'), viewer(8, 'user:a'), viewer(2, 'user:a'), viewer(1, 'user:a'), viewer(3, 'user:a'), viewer(4, 'organization:x')]
    await failsWith(authz.importTuples(storeId, items(tuples), { batchSize: 2 }), {
      code: 'write_failed_due_to_invalid_input', status: 400, message: /^line 4: cannot write a tuple which already exists/,
      details: { index: 3, line: 4, imported: 2, skipped: 0, batches: 1 },
    })
    assert.equal(await count(storeId), 3)
  })

  it('refuses bad options and an unknown store before writing anything', async () => {
    const storeId = await newStore()
    await failsWith(authz.importTuples(storeId, [], { onDuplicate: 'sometimes' }), { code: 'validation_error', status: 400, details: { imported: 0, skipped: 0, batches: 0 } })
    await failsWith(authz.importTuples(storeId, [], { batchSize: 0 }), { code: 'validation_error', status: 400, details: { imported: 0, skipped: 0, batches: 0 } })
    await assert.rejects(authz.importTuples('01ARZ3NDEKTSV4RRFFQ69G5FAV', items([viewer(1, 'user:a')])), (err) => isAppError(err) && err.status === 404)
    assert.deepEqual(await authz.importTuples(storeId, []), { imported: 0, skipped: 0, batches: 0 })
  })
})
