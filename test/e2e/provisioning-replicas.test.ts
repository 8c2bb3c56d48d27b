// Provisioning on PostgreSQL with two replicas sharing one database: sign-ins land on either
// replica, both run delivery workers, and every event reaches the webhook receiver exactly once
// (one attempt each, no duplicate ids). Also: rules and targets that cannot work stop the start
// with an error naming the rule and field.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateWebhookSecret, verifyWebhook } from '../../src/provisioning/webhook.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { repoRoot, startGatehouse, TEST_SECRET_KEY, type GatehouseProcess } from '../support/gatehouse.ts'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres.ts'
import { CALLBACK, companyUpstream, federatedSignIn, startCompanyIdp, type CompanyIdp } from '../support/sign-in-world.ts'
import { runCaptured } from '../support/cli.ts'
import { spaClient } from '../support/upstream.ts'

const ISSUER = 'http://localhost:7453'
const KEY = 'provisioning-replicas-preshared-key-0123456789'

describe('provisioning with two replicas on PostgreSQL', { skip: await postgresSkipReason() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-replicas-'))
  const secret = generateWebhookSecret()
  const received = new Map<string, number>()
  const problems: string[] = []
  const hooks = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      const verdict = verifyWebhook([secret], req.headers as Record<string, string>, body)
      if (verdict.ok) received.set(verdict.id, (received.get(verdict.id) ?? 0) + 1)
      else problems.push(verdict.reason)
      res.writeHead(verdict.ok ? 204 : 400).end()
    })
  })
  let db: TestDatabase
  let idp: CompanyIdp
  const replicas: GatehouseProcess[] = []

  before(async () => {
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve))
    writeFileSync(join(dir, 'webhook.secret'), secret)
    db = await createTestDatabase()
    idp = await startCompanyIdp(`${ISSUER}/login/callback`)
    const provisioning = {
      delivery: { pollIntervalMs: 50, concurrency: 2 },
      targets: [{ id: 'billing', kind: 'webhook', url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`, secretFile: join(dir, 'webhook.secret') }],
      rules: [{ id: 'notify', on: ['user.signed_in'], webhook: { target: 'billing' } }],
    }
    const env = {
      GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_DATABASE_URL: db.url, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_PRESHARED_KEYS: KEY,
      GATEHOUSE_UPSTREAMS: JSON.stringify([companyUpstream(idp)]), GATEHOUSE_PROVISIONING: JSON.stringify(provisioning),
    }
    replicas.push(await startGatehouse(env))
    replicas.push(await startGatehouse(env))
    const store = await openPostgresStore({ connectionString: db.url })
    await store.oidcClients.upsert(spaClient(CALLBACK))
    await store.close()
  })
  after(async () => {
    await Promise.all(replicas.map((r) => r.close()))
    await idp?.close()
    await db?.drop()
    await new Promise<void>((resolve) => hooks.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('delivers every event exactly once while both replicas sign users in and deliver', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `user${i}`)
    for (const name of names) idp.groups[name] = ['staff']
    await Promise.all(names.map((name, i) => federatedSignIn(ISSUER, () => replicas[i % 2]!.url, `${name}@acme.test`)))
    const api = (path: string) => fetch(new URL(path, replicas[0]!.url), { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.json() as Promise<any>)
    for (let i = 0; (await api('/api/v1/provisioning/stats')).pending > 0; i++) {
      assert.ok(i < 200, 'events still pending')
      await new Promise((r) => setTimeout(r, 50))
    }
    const events = (await api('/api/v1/provisioning/events?limit=100')).items
    assert.equal(events.length, names.length)
    assert.ok(events.every((e: any) => e.state === 'done' && e.attempts === 1), JSON.stringify(events))
    assert.deepEqual(problems, [])
    assert.equal(received.size, names.length)
    assert.deepEqual([...new Set(received.values())], [1], 'no event reached the receiver twice')
  })
})

describe('disabling a local account', () => {
  it('sends user.disabled to the rules in the same transaction, and nothing when enabling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-disable-'))
    writeFileSync(join(dir, 'hook.secret'), generateWebhookSecret())
    const env = {
      GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'silent', GATEHOUSE_NEW_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_PROVISIONING: JSON.stringify({
        targets: [{ id: 'hook', kind: 'webhook', url: 'https://hooks.example/', secretFile: join(dir, 'hook.secret') }],
        rules: [{ id: 'lab', on: ['user.signed_in', 'user.disabled'], tuples: { store: 's', writes: [{ user: 'user:{{ user.username }}', relation: 'owner', object: 'box:{{ user.username }}' }] } }],
      }),
    }
    try {
      assert.equal((await runCaptured(['accounts', 'create', 'robin'], env, dir)).code, 0)
      assert.equal((await runCaptured(['accounts', 'disable', 'robin'], env, dir)).code, 0)
      assert.equal((await runCaptured(['accounts', 'enable', 'robin'], env, dir)).code, 0)
      const events = await runCaptured(['provisioning', 'events'], env, dir)
      assert.equal(events.code, 0, events.stderr)
      assert.deepEqual(events.json.items.map((e: any) => [e.type, e.subject, e.action, e.target]), [['user.disabled', 'local:robin', 'lab.tuples', 'store:s']])
      assert.notEqual((await runCaptured(['accounts', 'disable', 'nobody'], env, dir)).code, 0)
      assert.equal((await runCaptured(['provisioning', 'events'], env, dir)).json.items.length, 1, 'no event for an account that does not exist')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('provisioning configuration that cannot work', () => {
  const serve = (provisioning: unknown) => spawnSync(process.execPath, [join(repoRoot, 'src/main.ts'), 'serve'], {
    cwd: repoRoot, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, GATEHOUSE_PORT: '0', GATEHOUSE_DATABASE_URL: 'sqlite::memory:', GATEHOUSE_LOG_LEVEL: 'silent', GATEHOUSE_PROVISIONING: JSON.stringify(provisioning) },
  })
  const webhook = { id: 'hook', kind: 'webhook', url: 'https://hooks.example/', secretFile: '/nonexistent/secret' }

  it('stops the start naming the rule and field of an unknown target, a bad template and an unreadable secret', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ rules: [{ id: 'r1', on: ['user.signed_in'], webhook: { target: 'nope' } }] }, /provisioning\.rules\[0\] \(r1\)\.webhook\.target: no target nope is declared/],
      [{ targets: [webhook], rules: [{ id: 'r2', on: ['user.signed_in'], tuples: { store: 's', writes: [{ user: 'user:{{ user.nmae }}', relation: 'viewer', object: 'doc:x' }] } }] }, /rules\[0\] \(r2\)\.tuples\.writes\[0\]\.user/],
      [{ targets: [webhook], rules: [{ id: 'r3', on: ['user.signed_in'], webhook: { target: 'hook' } }] }, /targets\[0\] \(hook\)\.secretFile: cannot read \/nonexistent\/secret/],
      [{ rules: [{ id: 'Bad Id', on: ['user.signed_in'] }] }, /rule id must be/],
    ]
    for (const [config, message] of cases) {
      const run = serve(config)
      assert.notEqual(run.status, 0, `started with ${JSON.stringify(config)}`)
      assert.match(run.stderr, message)
    }
  })
})
