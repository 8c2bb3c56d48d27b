// `gatehouse keys …` in-process against a SQLite file: list shows metadata only, stage publishes
// next keys, rotate promotes them (or creates and promotes at once, with a warning), prune drops
// retired keys once their tokens have expired, and a wrong secret key changes nothing.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, describe, it } from 'node:test'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { runCaptured } from '../../test/support/cli.ts'

const root = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'))
after(() => rmSync(root, { recursive: true, force: true }))

const run = (argv: string[], env: Record<string, string>) => runCaptured(argv, { GATEHOUSE_LOG_LEVEL: 'warn', ...env }, root)

/** The stored rows, read behind the command's back. */
async function stored(dataDir: string) {
  const store = await openSqliteStore({ path: join(dataDir, 'gatehouse.db') })
  try {
    return await store.signingKeys.list()
  } finally {
    await store.close()
  }
}

const byStatus = (rows: Array<{ kid: string; status: string }>, status: string) => rows.filter((k) => k.status === status).map((k) => k.kid).sort()

describe('gatehouse keys', () => {
  it('lists, stages, rotates and prunes signing keys, never printing key material', async () => {
    const dataDir = mkdtempSync(join(root, 'data-'))
    const env = { GATEHOUSE_DATA_DIR: dataDir }

    const empty = await run(['keys', 'list'], env)
    assert.equal(empty.code, 0, empty.stderr)
    assert.match(empty.stdout, /no signing keys yet/)

    const staged = await run(['keys', 'stage'], env)
    assert.equal(staged.code, 0, staged.stderr)
    const afterStage = await stored(dataDir)
    const active = byStatus(afterStage, 'active')
    const next = byStatus(afterStage, 'next')
    assert.equal(active.length, 2, 'active keys exist before anything is staged')
    assert.equal(next.length, 2)
    for (const kid of next) assert.ok(staged.stdout.includes(kid))
    assert.match(staged.stdout, /gatehouse keys rotate/)
    assert.match((await run(['keys', 'stage'], env)).stdout, /already staged/)
    assert.equal(byStatus(await stored(dataDir), 'next').length, 2)

    const list = await run(['keys', 'list'], env)
    assert.equal(list.code, 0, list.stderr)
    const lines = list.stdout.trim().split('\n')
    assert.match(lines[0]!, /^KID +ALG +STATUS +CREATED +ACTIVATED +RETIRED +EXPIRES$/)
    assert.equal(lines.length, 5)
    for (const k of afterStage) {
      const line = lines.find((l) => l.startsWith(k.kid))
      assert.ok(line, k.kid)
      assert.match(line, new RegExp(`^${k.kid} +${k.alg} +${k.status} +${k.createdAt.toISOString()} `))
      assert.ok(!list.stdout.includes(k.privateJwkCiphertext.slice(0, 24)))
    }
    assert.doesNotMatch(list.stdout, /"d"|"kty"/)

    const rotated = await run(['keys', 'rotate'], env)
    assert.equal(rotated.code, 0, rotated.stderr)
    assert.equal(rotated.stderr, '', 'staged keys rotate without a warning')
    const afterRotate = await stored(dataDir)
    assert.deepEqual(byStatus(afterRotate, 'active'), next)
    assert.deepEqual(byStatus(afterRotate, 'retired'), active)
    for (const kid of [...next, ...active]) assert.ok(rotated.stdout.includes(kid))

    const pruned = await run(['keys', 'prune'], env)
    assert.equal(pruned.code, 0, pruned.stderr)
    assert.match(pruned.stdout, /deleted 0 expired signing keys/)
    assert.equal((await stored(dataDir)).length, 4, 'retired keys stay while their tokens may be live')
  })

  it('rotates at once when nothing is staged, warns about it, and prunes once the tokens have expired', async () => {
    const dataDir = mkdtempSync(join(root, 'data-'))
    // Tokens live a second; a forward-auth session (whose sign-out carries its ID token) a minute.
    const env = {
      GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS: '1', GATEHOUSE_ID_TOKEN_TTL_SECONDS: '1', GATEHOUSE_REFRESH_TOKEN_TTL_SECONDS: '1',
      GATEHOUSE_FORWARD_AUTH_MAX_SECONDS: '60',
    }
    assert.equal((await run(['keys', 'rotate'], env)).code, 0)
    const first = byStatus(await stored(dataDir), 'active')
    const rotated = await run(['keys', 'rotate'], env)
    assert.equal(rotated.code, 0, rotated.stderr)
    assert.match(rotated.stderr, /No keys were staged/)
    const rows = await stored(dataDir)
    const retired = byStatus(rows, 'retired')
    assert.ok(first.every((kid) => retired.includes(kid)), 'the keys that were active are retired')
    assert.equal(byStatus(rows, 'active').length, 2)

    for (const k of rows.filter((k) => k.status === 'retired')) {
      const kept = k.expiresAt!.getTime() - k.retiredAt!.getTime()
      assert.ok(kept >= 60_000 && kept < 65_000, `a retired key stays published for the longest forward-auth session: ${kept} ms`)
    }
    const early = await run(['keys', 'prune'], env)
    assert.match(early.stdout, /deleted 0 expired signing keys/)
    // A minute later, as far as the keys know.
    const db = new DatabaseSync(join(dataDir, 'gatehouse.db'))
    db.prepare("UPDATE signing_keys SET expires_at = expires_at - 60000 WHERE status = 'retired'").run()
    db.close()
    const pruned = await run(['keys', 'prune'], env)
    assert.equal(pruned.code, 0, pruned.stderr)
    assert.match(pruned.stdout, new RegExp(`deleted ${retired.length} expired signing keys`))
    assert.deepEqual((await stored(dataDir)).map((k) => k.status), ['active', 'active'])
  })

  it('refuses to write keys under a secret key that cannot open the stored ones', async () => {
    const dataDir = mkdtempSync(join(root, 'data-'))
    assert.equal((await run(['keys', 'stage'], { GATEHOUSE_DATA_DIR: dataDir })).code, 0)
    const before = await stored(dataDir)
    const wrong = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRET_KEY: 'a-different-secret-key-0123456789abcdef' }
    for (const sub of ['stage', 'rotate']) {
      const res = await run(['keys', sub], wrong)
      assert.equal(res.code, 1, `${sub}: ${res.stdout}`)
      assert.match(res.stderr, /secret/i)
    }
    assert.deepEqual((await stored(dataDir)).map((k) => `${k.kid}:${k.status}`), before.map((k) => `${k.kid}:${k.status}`))
  })

  it('exits 2 on a missing or unknown subcommand, or an extra argument', async () => {
    const env = { GATEHOUSE_DATA_DIR: mkdtempSync(join(root, 'data-')) }
    for (const argv of [['keys'], ['keys', 'shred'], ['keys', 'list', 'extra']]) {
      const res = await run(argv, env)
      assert.equal(res.code, 2, argv.join(' '))
      assert.match(res.stderr, /keys/)
    }
    const memory = await run(['keys', 'list'], { GATEHOUSE_DATABASE_URL: 'sqlite::memory:' })
    assert.equal(memory.code, 2)
    assert.match(memory.stderr, /in-memory/)
  })
})
