// Provisioning end to end against a real incusd: users sign in through an upstream IdP to a
// Gatehouse server whose bootstrap file declares an Incus target, a webhook and rules; their
// personal projects appear in Incus with the templated config, follow template changes while
// keeping keys set by hand, never touch projects Gatehouse did not create, and survive an Incus
// outage and a kill -9 of Gatehouse. Group sync and tuples land in a Gatehouse store; a webhook
// receiver checks every signature and answers the first attempts with 500.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { modelFromDsl } from '../../src/authz/index.ts'
import { incusProjectName } from '../../src/provisioning/incus/index.ts'
import { generateWebhookSecret, verifyWebhook } from '../../src/provisioning/webhook.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { incusSkipReason, startIncus, type TestIncus } from '../support/incus.ts'
import { runCaptured } from '../support/cli.ts'
import { CALLBACK, companyUpstream, federatedSignIn, LAB_MODEL, startCompanyIdp, type CompanyIdp } from '../support/sign-in-world.ts'
import { spaClient } from '../support/upstream.ts'

const ISSUER = 'http://localhost:7452'
const KEY = 'provisioning-e2e-preshared-key-0123456789'
const LAB_STORE = '01JKAB00000000000000000000'

/** A webhook receiver that verifies every delivery and fails the first `failures` attempts of each message. */
async function startReceiver(secret: string, failures: number) {
  const attempts = new Map<string, number>()
  const accepted: Array<{ id: string; body: any }> = []
  const problems: string[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      const verdict = verifyWebhook([secret], req.headers as Record<string, string>, body)
      if (!verdict.ok) {
        problems.push(verdict.reason)
        res.writeHead(400).end()
        return
      }
      const n = (attempts.get(verdict.id) ?? 0) + 1
      attempts.set(verdict.id, n)
      if (n <= failures) {
        res.writeHead(500).end('not now')
        return
      }
      accepted.push({ id: verdict.id, body: JSON.parse(body) })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, attempts, accepted, problems, close: () => new Promise<void>((r) => server.close(() => r())) }
}

function bootstrap(dir: string, incus: TestIncus, hookUrl: string, memory: string): string {
  return `
provisioning:
  delivery: { initialBackoffSeconds: 0.2, maxBackoffSeconds: 1, pollIntervalMs: 100, maxAttempts: 1000 }
  targets:
    - id: lab
      kind: incus
      url: ${incus.url}
      clientCertificate: { certFile: client.crt, keyFile: client.key }
      serverCertificate: { fingerprint: "${incus.serverFingerprint}" }
      timeoutSeconds: 5
    - id: billing
      kind: webhook
      url: ${hookUrl}
      secretFile: webhook.secret
  rules:
    - id: personal
      on: [user.signed_in]
      when: { groups: { anyOf: [students, staff] } }
      incusProject:
        target: lab
        name: "{{ user.username }}"
        description: "Personal project of {{ user.email }}"
        config:
          features.images: "false"
          features.profiles: "true"
          limits.cpu: "4"
          limits.memory: ${memory}
          restricted: "true"
          restricted.containers.nesting: allow
        overrides:
          - when: { groups: { anyOf: [gpu] } }
            config: { restricted.devices.gpu: allow }
      tuples:
        store: ${LAB_STORE}
        writes: [{ user: "user:{{ user.username }}", relation: operator, object: "project:{{ user.username }}" }]
      groupSync: { store: ${LAB_STORE}, object: "group:{{ group }}", relation: member, user: "user:{{ user.username }}" }
      webhook: { target: billing }
    - id: named
      on: [user.signed_in]
      when: { groups: { anyOf: [named] } }
      incusProject: { target: lab, name: "{{ user.email | localpart }}" }
`.replace(/^\n/, '').replaceAll('client.crt', join(dir, 'client.crt')).replaceAll('client.key', join(dir, 'client.key'))
}

const skip = await incusSkipReason()

describe('provisioning to a real Incus (SQLite)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-provisioning-'))
  const secret = generateWebhookSecret()
  let incus: TestIncus
  let idp: CompanyIdp
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let server: GatehouseProcess | undefined
  const users: Record<string, string> = {}

  async function start(memory: string): Promise<void> {
    writeFileSync(join(dir, 'bootstrap.yaml'), bootstrap(dir, incus, receiver.url, memory))
    server = await startGatehouse({
      GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_PRESHARED_KEYS: KEY,
      GATEHOUSE_BOOTSTRAP_FILE: join(dir, 'bootstrap.yaml'), GATEHOUSE_UPSTREAMS: JSON.stringify([companyUpstream(idp)]),
    })
  }
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, server!.url), { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...init.headers } })
    return { status: res.status, json: res.status === 204 ? undefined : await res.json() as any }
  }
  /** Signs `name@acme.test` in with these upstream groups; resolves to the user's Incus project name. */
  async function signIn(name: string, groups: string[]): Promise<string> {
    idp.groups[name] = groups
    const tokens = await federatedSignIn(ISSUER, () => server!.url, `${name}@acme.test`)
    const subject = tokens.claims()!.sub
    const { json } = await api(`/api/v1/provisioning/events?subject=${encodeURIComponent(subject)}&limit=1`)
    const { json: detail } = await api(`/api/v1/provisioning/events/${json.items[0].id}`)
    users[name] = detail.event.payload.data.user.username
    return incusProjectName(users[name]!)
  }
  async function settled(): Promise<any> {
    for (let i = 0; ; i++) {
      const { json } = await api('/api/v1/provisioning/stats')
      if (json.pending === 0) return json
      assert.ok(i < 300, `events still pending: ${JSON.stringify(json)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const project = async (name: string) => JSON.parse(await incus.incus('query', `/1.0/projects/${name}`)) as { config: Record<string, string>; description: string }
  const projectNames = async () => (JSON.parse(await incus.incus('query', '/1.0/projects?recursion=1')) as Array<{ name: string }>).map((p) => p.name).sort()

  before(async () => {
    incus = await startIncus()
    writeFileSync(join(dir, 'client.crt'), incus.client.cert)
    writeFileSync(join(dir, 'client.key'), incus.client.key, { mode: 0o600 })
    writeFileSync(join(dir, 'webhook.secret'), `${secret}\n`)
    await incus.incus('project', 'create', 'research', '-c', 'limits.cpu=1')
    idp = await startCompanyIdp(`${ISSUER}/login/callback`)
    receiver = await startReceiver(secret, 2)
    // The relationship store the rules write to exists before the server reads its rules.
    const seed = await openSqliteStore({ path: join(dir, 'gatehouse.db') })
    await seed.migrate()
    await seed.stores.create({ id: LAB_STORE, name: 'lab' })
    await seed.models.write(LAB_STORE, '01JKAB00000000000000000001', modelFromDsl(LAB_MODEL))
    await seed.oidcClients.upsert(spaClient(CALLBACK))
    await seed.close()
    await start('8GiB')
  })
  after(async () => {
    await server?.close()
    await receiver?.close()
    await idp?.close()
    await incus?.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates each user\'s project with the templated config; the gpu override only for the gpu group', async () => {
    const pat = await signIn('pat', ['students', 'gpu'])
    const alex = await signIn('alex', ['students'])
    await settled()
    const p = await project(pat)
    assert.equal(p.config['limits.memory'], '8GiB')
    assert.equal(p.config['limits.cpu'], '4')
    assert.equal(p.config['restricted.devices.gpu'], 'allow')
    assert.equal(p.description, 'Personal project of pat@acme.test')
    const a = await project(alex)
    assert.equal(a.config['restricted.devices.gpu'], undefined)
    assert.equal(a.config['restricted'], 'true')
  })

  it('keeps memberships and the operator tuple in the store in step with the IdP groups', async () => {
    const read = async () => {
      const { json } = await api(`/stores/${LAB_STORE}/read`, { method: 'POST', body: JSON.stringify({ tuple_key: { user: `user:${users.alex}`, relation: 'member', object: 'group:' } }) })
      assert.ok(Array.isArray(json.tuples), JSON.stringify(json))
      return json.tuples.map((t: any) => t.key.object).sort()
    }
    assert.deepEqual(await read(), ['group:students'])
    // An operator's own tuple for a group alex joins later: never claimed, so never removed.
    const hand = { user: `user:${users.alex}`, relation: 'member', object: 'group:staff' }
    assert.equal((await api(`/stores/${LAB_STORE}/write`, { method: 'POST', body: JSON.stringify({ writes: { tuple_keys: [hand] } }) })).status, 200)
    await signIn('alex', ['students', 'staff', 'chess'])
    await settled()
    assert.deepEqual(await read(), ['group:chess', 'group:staff', 'group:students'])
    await signIn('alex', ['staff'])
    await settled()
    assert.deepEqual(await read(), ['group:staff'])
    const { json } = await api(`/stores/${LAB_STORE}/check`, { method: 'POST', body: JSON.stringify({ tuple_key: { user: `user:${users.pat}`, relation: 'operator', object: `project:${users.pat}` } }) })
    assert.equal(json.allowed, true)
  })

  it('applies a changed template at the next sign-in and keeps a key set by hand in Incus', async () => {
    const pat = incusProjectName(users.pat!)
    await incus.incus('project', 'set', pat, 'user.note=set-by-hand')
    await server!.close()
    await start('16GiB')
    await signIn('pat', ['students', 'gpu'])
    await settled()
    const p = await project(pat)
    assert.equal(p.config['limits.memory'], '16GiB')
    assert.equal(p.config['user.note'], 'set-by-hand')
  })

  it('never touches default or a project it did not create, and says why in the dead letters', async () => {
    const before = await project('research')
    await signIn('default', ['named'])
    await signIn('research', ['named'])
    await settled()
    const { json } = await api('/api/v1/provisioning/events?state=dead&target=lab')
    const dead = json.items.filter((e: any) => e.action === 'named.incusProject')
    assert.equal(dead.length, 2)
    for (const e of dead) assert.match(e.last_error, /not|own/i)
    assert.deepEqual(await project('research'), before)
    assert.equal((await project('default')).config['user.gatehouse.owner'], undefined)
  })

  it('shows, replays and previews through the admin API and the command line, and counts in the metrics', async () => {
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_BOOTSTRAP_FILE: join(dir, 'bootstrap.yaml'), GATEHOUSE_UPSTREAMS: JSON.stringify([companyUpstream(idp)]), GATEHOUSE_LOG_LEVEL: 'silent' }
    const cli = await runCaptured(['provisioning', 'events', '--state', 'dead', '--target', 'lab'], env, dir)
    assert.equal(cli.code, 0, cli.stderr)
    const named = cli.json.items.filter((e: any) => e.action === 'named.incusProject')
    const shownAll = await Promise.all(named.map((e: any) => runCaptured(['provisioning', 'show', String(e.id)], env, dir)))
    const shown = shownAll.find((r) => r.json.event.payload.data.user.email === 'research@acme.test')!
    const dead = shown.json.event
    assert.deepEqual(dead.history.map((h: any) => h.outcome), ['dead'])
    // Once the foreign project is gone, a replay creates the user's own.
    await incus.incus('project', 'delete', 'research')
    const replayed = await api(`/api/v1/provisioning/events/${dead.id}/replay`, { method: 'POST', body: '{}' })
    assert.equal(replayed.status, 200)
    await settled()
    const after = (await api(`/api/v1/provisioning/events/${dead.id}`)).json.event
    assert.equal(after.state, 'done')
    assert.deepEqual(after.history.map((h: any) => h.outcome), ['dead', 'done'])
    assert.equal((await project('research')).config['user.gatehouse.owner'], 'gatehouse/named')
    assert.equal((await api('/api/v1/provisioning/events/abc')).status, 400)
    assert.equal((await api('/api/v1/provisioning/events/999999')).status, 404)
    assert.equal((await api('/api/v1/provisioning/events?state=lost')).status, 400)
    const preview = await api('/api/v1/provisioning/preview', { method: 'POST', body: JSON.stringify({ username: 'robin', email: 'robin@acme.test', groups: ['staff', 'gpu'] }) })
    assert.equal(preview.status, 200)
    const personal = preview.json.rules.find((r: any) => r.rule === 'personal')
    assert.equal(personal.incusProject.name, 'robin')
    assert.equal(personal.incusProject.config['restricted.devices.gpu'], 'allow')
    assert.deepEqual(personal.groupSync.tuples.map((t: any) => t.object).sort(), ['group:gpu', 'group:staff'])
    assert.equal(preview.json.rules.find((r: any) => r.rule === 'named').matches, false)
    assert.equal((await api('/api/v1/provisioning/preview', { method: 'POST', body: '{"groups":"x"}' })).status, 400)
    const metrics = await (await fetch(new URL('/metrics', server!.url))).text()
    assert.match(metrics, /gatehouse_provisioning_deliveries_total\{target="lab",action="incusProject",outcome="done"\} \d+/)
    assert.match(metrics, /gatehouse_provisioning_queue_depth\{state="pending"\} 0/)
  })

  it('delivers the webhook after its 500s, signed every time, once per event', async () => {
    await settled()
    assert.deepEqual(receiver.problems, [])
    assert.ok(receiver.accepted.length >= 2)
    for (const { id } of receiver.accepted) assert.equal(receiver.attempts.get(id), 3)
    assert.equal(new Set(receiver.accepted.map((a) => a.id)).size, receiver.accepted.length)
    const first = receiver.accepted.find((a) => a.body.data.user.username === users.pat)
    assert.equal(first?.body.type, 'user.signed_in')
    assert.deepEqual(first?.body.data.user.groups.sort(), ['gpu', 'students'])
  })

  it('holds events while incusd is down, survives kill -9, and delivers each exactly once after both come back', async () => {
    await incus.stop()
    const names = [await signIn('sam', ['students']), await signIn('kim', ['staff']), await signIn('lee', ['students'])]
    for (let i = 0; ; i++) {
      const { json } = await api('/api/v1/provisioning/events?state=pending&target=lab')
      const personal = json.items.filter((e: any) => e.action === 'personal.incusProject')
      // Retried with backoff; the same users' later rows for this target wait behind them.
      if (personal.length === 3 && personal.every((e: any) => e.attempts >= 2 && /ECONNREFUSED/.test(e.last_error))) break
      if (i >= 100) assert.fail(JSON.stringify((await api('/api/v1/provisioning/events?target=lab&limit=10')).json.items))
      await new Promise((r) => setTimeout(r, 100))
    }
    await server!.stop('SIGKILL')
    await incus.restart()
    await start('16GiB')
    await settled()
    const present = await projectNames()
    for (const name of names) assert.ok(present.includes(name), `${name} in ${present}`)
    // Each project was created once: one audit record of its creation.
    for (const name of names) {
      const { json } = await api(`/api/v1/audit?action=provisioning.incusProject&target=${encodeURIComponent(`incus:lab/${name}`)}`)
      assert.deepEqual(json.entries.map((e: any) => e.details.result), [`project created`], name)
    }
  })
})
