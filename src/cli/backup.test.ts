import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCaptured } from '../../test/support/cli.ts'
import { createLogger, startServer } from '../app/index.ts'
import { loadConfig } from '../config/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-backup-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const live = `sqlite://${join(dir, 'live.db')}`
const run = (argv: string[], databaseUrl = live) => runCaptured(argv, { GATEHOUSE_DATABASE_URL: databaseUrl, GATEHOUSE_LOG_LEVEL: 'silent' }, dir)

describe('gatehouse backup', () => {
  it('copies the SQLite database while a server keeps writing to it, and the copy opens with everything committed before', async () => {
    const { config } = loadConfig({ env: {}, overrides: { port: 0, logLevel: 'silent', databaseUrl: live } })
    const server = await startServer(config, { banner: null, logger: createLogger('silent') })
    const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    let writing = true
    let written = 0
    let store = ''
    try {
      store = ((await (await post('/stores', { name: 'backed-up' })).json()) as { id: string }).id
      await post(`/stores/${store}/authorization-models`, { schema_version: '1.1', type_definitions: [{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } } }] })
      const writer = (async () => {
        while (writing) {
          const res = await post(`/stores/${store}/write`, { writes: { tuple_keys: [{ user: `user:u${written}`, relation: 'viewer', object: 'doc:1' }] } })
          assert.equal(res.status, 200)
          written++
        }
      })()
      while (written < 20) await new Promise((r) => setTimeout(r, 5))
      const before = written
      const res = await run(['backup', 'copy.db'])
      writing = false
      await writer
      assert.equal(res.code, 0, res.stderr)
      assert.match(res.stdout, /^backed up .*live\.db to .*copy\.db \(\d+ bytes\)/)
      assert.ok(!existsSync(join(dir, 'copy.db.partial')))
      assert.match(res.stderr, /keep .*secret\.key with your backups/)

      const copied = await run(['tuples', 'read', '--store', store], `sqlite://${join(dir, 'copy.db')}`)
      assert.equal(copied.code, 0, copied.stderr)
      const n = copied.json.tuples.length
      assert.ok(n >= before && n <= written, `copy holds ${n} tuples; ${before} were committed before the backup, ${written} after`)
    } finally {
      writing = false
      await server.close()
    }
  })

  it('never overwrites a file, and refuses an in-memory database', async () => {
    const again = await run(['backup', 'copy.db'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /copy\.db exists/)
    const memory = await run(['backup', 'm.db'], 'sqlite::memory:')
    assert.equal(memory.code, 1)
    assert.match(memory.stderr, /in memory/)
    assert.equal((await run(['backup'])).code, 2)
  })

  it('on PostgreSQL names the pg_dump command instead, without the password', async () => {
    const res = await run(['backup', 'gh.dump'], 'postgres://gatehouse:s3cret@db.internal:5432/gatehouse')
    assert.equal(res.code, 1)
    assert.match(res.stderr, /pg_dump --format=custom --file='.*gh\.dump' 'postgres:\/\/gatehouse@db\.internal:5432\/gatehouse'/)
    assert.doesNotMatch(res.stderr, /s3cret/)
  })
})
