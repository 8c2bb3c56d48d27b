// kill -9 during concurrent writes, and right after an import's answer, on SQLite and on
// PostgreSQL: after a restart on the same data, every write the server acknowledged is there.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { BACKENDS, backendSkip, startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts'

/** The objects of every tuple a store holds, read page by page. */
async function storedObjects(base: string, store: string): Promise<Set<string>> {
  const stored = new Set<string>()
  let token = ''
  do {
    const res = await fetch(new URL(`/stores/${store}/read`, base), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page_size: 100, continuation_token: token }),
    })
    const page = await res.json() as { tuples: Array<{ key: { object: string } }>; continuation_token: string }
    for (const t of page.tuples) stored.add(t.key.object)
    token = page.continuation_token
  } while (token !== '')
  return stored
}

const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } } },
  ],
}

for (const backend of BACKENDS) {
  describe(`acknowledged writes survive kill -9 (${backend})`, { skip: await backendSkip(backend) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'))
    let db: TestDatabase | undefined
    let server: GatehouseProcess | undefined
    after(async () => {
      await server?.close()
      await db?.drop()
      rmSync(dir, { recursive: true, force: true })
    })

    it('keeps every acknowledged tuple after the server is killed mid-write and restarted', async () => {
      if (backend === 'postgres') db = await createTestDatabase()
      const env = { GATEHOUSE_DATA_DIR: dir, ...(db ? { GATEHOUSE_DATABASE_URL: db.url } : {}) }
      server = await startGatehouse(env)
      const post = (path: string, body: unknown) => fetch(new URL(path, server!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const { id: store } = await (await post('/stores', { name: 'crash' })).json() as { id: string }
      assert.equal((await post(`/stores/${store}/authorization-models`, MODEL)).status, 201)

      const acknowledged: string[] = []
      let stop = false
      let n = 0
      const writer = async () => {
        while (!stop) {
          const object = `doc:${n++}`
          try {
            const res = await post(`/stores/${store}/write`, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object }] } })
            if (res.status === 200) acknowledged.push(object)
          } catch {
            return // the server is gone
          }
        }
      }
      const writers = Array.from({ length: 8 }, writer)
      while (acknowledged.length < 200) await new Promise((r) => setTimeout(r, 20))
      await server.stop('SIGKILL')
      stop = true
      await Promise.all(writers)
      await server.close()

      server = await startGatehouse(env)
      const stored = await storedObjects(server.url, store)
      const lost = acknowledged.filter((o) => !stored.has(o))
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost`)
    })

    it('keeps every tuple of an acknowledged import after the server is killed right after answering', async () => {
      const importDb = backend === 'postgres' ? await createTestDatabase() : undefined
      const importDir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-import-'))
      const env = { GATEHOUSE_DATA_DIR: importDir, ...(importDb ? { GATEHOUSE_DATABASE_URL: importDb.url } : {}) }
      let gh = await startGatehouse(env)
      try {
        const post = (path: string, body: unknown) => fetch(new URL(path, gh.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        const { id: store } = await (await post('/stores', { name: 'crash-import' })).json() as { id: string }
        assert.equal((await post(`/stores/${store}/authorization-models`, MODEL)).status, 201)
        const objects = Array.from({ length: 12_000 }, (_, i) => `doc:${i}`)
        const res = await fetch(new URL(`/stores/${store}/import?batch_size=5000`, gh.url), {
          method: 'POST', headers: { 'content-type': 'application/x-ndjson' },
          body: objects.map((object, i) => JSON.stringify({ user: `user:u${i % 50}`, relation: 'viewer', object })).join('\n'),
        })
        assert.deepEqual(await res.json(), { imported: 12_000, skipped: 0, batches: 3 })
        await gh.stop('SIGKILL')
        await gh.close()

        gh = await startGatehouse(env)
        const stored = await storedObjects(gh.url, store)
        assert.equal(objects.filter((o) => !stored.has(o)).length, 0)
      } finally {
        await gh.close()
        await importDb?.drop()
        rmSync(importDir, { recursive: true, force: true })
      }
    })
  })
}
