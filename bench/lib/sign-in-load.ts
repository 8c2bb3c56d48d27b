// Full federated sign-ins (relying party → Gatehouse → company IdP → back, code + PKCE redeemed)
// against two Gatehouse server processes on SQLite, one without provisioning rules and one whose
// rules enqueue four actions per sign-in: tuples and group sync into a Gatehouse store created
// beforehand, and two signed webhooks to a local receiver. The two alternate in rounds, so load
// from elsewhere on the machine weighs on both alike; deliveries run in the server while it
// answers sign-ins, as they would in production. Every token is validated by the relying party,
// each user keeps one subject across sign-ins and servers, and afterwards every outbox row must
// be done, every webhook received and every tuple present.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { modelFromDsl } from '../../src/authz/index.ts'
import { signInUsername } from '../../src/app/provisioning.ts'
import { generateWebhookSecret } from '../../src/provisioning/webhook.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { startGatehouse, type GatehouseProcess } from '../../test/support/gatehouse.ts'
import { CALLBACK, companyUpstream, federatedSignIn, LAB_MODEL, startCompanyIdp } from '../../test/support/sign-in-world.ts'
import { spaClient } from '../../test/support/upstream.ts'
import { seeded } from './random.ts'
import { summarize, type Summary } from './stats.ts'
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts'

export interface SignInBenchOptions {
  /** Timed sign-ins per server. */
  signIns: number
  concurrency: number
  dir: string
  /** Writes the servers' CPU profiles here. */
  profileDir?: string
}

export interface SignInBenchResult {
  rows: Summary[]
  vs: Record<string, string>
  /** How much lower the sign-in rate is with rules, in per cent (negative: higher). */
  slowerPercent: number
  enqueued: number
  webhooks: number
  tuples: number
  /** CPU of each server process per timed sign-in (ms; NaN where /proc is not there), deliveries during the rounds included. */
  serverCpuMs: { plain: number; rules: number }
}

const ISSUER = 'http://localhost:7461'
const KEY = 'bench-provisioning-preshared-key-0123456789'
const LAB_STORE = '01JKBENCH00000000000000000'
/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux everywhere that matters). */
const CLOCK_TICKS = 100
const USERS = 50
const ROUNDS = 4
const WARM_UP = 8
const GROUPS = ['students', 'staff', 'gpu', 'research', 'lab-a', 'lab-b']

export async function benchSignIns(o: SignInBenchOptions): Promise<SignInBenchResult> {
  const secret = generateWebhookSecret()
  const secretFile = join(o.dir, 'sign-in-webhook.secret')
  writeFileSync(secretFile, `${secret}\n`)
  const receiver = await startWebhookReceiver(secret)
  const idp = await startCompanyIdp(`${ISSUER}/login/callback`)
  const rand = seeded(23)
  const names = Array.from({ length: USERS }, (_, i) => `member${String(i).padStart(3, '0')}`)
  for (const name of names) idp.groups[name] = GROUPS.filter(() => rand() < 0.4)

  const provisioning = {
    targets: [{ id: 'hooks', kind: 'webhook', url: receiver.url, secretFile }],
    rules: [
      {
        id: 'lab', on: ['user.signed_in'],
        tuples: { store: LAB_STORE, writes: [{ user: 'user:{{ user.username }}', relation: 'operator', object: 'project:{{ user.username }}' }] },
        groupSync: { store: LAB_STORE, object: 'group:{{ group }}', relation: 'member', user: 'user:{{ user.username }}' },
        webhook: { target: 'hooks' },
      },
      { id: 'audit', on: ['user.signed_in'], webhook: { target: 'hooks' } },
    ],
  }
  const servers: Record<'plain' | 'rules', GatehouseProcess | undefined> = { plain: undefined, rules: undefined }
  try {
    const upstreams = JSON.stringify([companyUpstream(idp)])
    servers.plain = await startServer(o, 'plain', { GATEHOUSE_UPSTREAMS: upstreams })
    servers.rules = await startServer(o, 'rules', { GATEHOUSE_UPSTREAMS: upstreams, GATEHOUSE_PROVISIONING: JSON.stringify(provisioning) })
    const label = { plain: 'sign-ins, no provisioning rules', rules: 'sign-ins, rules enqueueing 4 actions' }
    const timed = { plain: { latencies: [] as bigint[], ns: 0n, cpuMs: 0 }, rules: { latencies: [] as bigint[], ns: 0n, cpuMs: 0 } }
    let next = 0
    /** Subjects of the users signed in on the server with rules. */
    const provisioned = new Map<string, string>()
    const subjects = new Map<string, string>()
    const owners = new Map<string, string>()
    const run = async (kind: 'plain' | 'rules', count: number) => {
      const server = servers[kind]!
      const latencies: bigint[] = []
      let left = count
      const start = process.hrtime.bigint()
      await Promise.all(Array.from({ length: o.concurrency }, async () => {
        while (left-- > 0) {
          const name = names[next++ % names.length]
          const t0 = process.hrtime.bigint()
          const tokens = await federatedSignIn(ISSUER, () => server.url, `${name}@acme.test`)
          latencies.push(process.hrtime.bigint() - t0)
          // The relying party validated the ID token; its subject must be this user's, on both servers.
          const sub = tokens.claims()?.sub
          assert.ok(sub, 'no subject in the ID token')
          if (!subjects.has(name)) {
            assert.ok(!owners.has(sub), `${name} got the subject of ${owners.get(sub)}`)
            subjects.set(name, sub)
            owners.set(sub, name)
          }
          assert.equal(sub, subjects.get(name), `${name} signed in as another subject`)
          if (kind === 'rules') provisioned.set(name, sub)
        }
      }))
      return { latencies, ns: process.hrtime.bigint() - start }
    }
    await run('plain', WARM_UP)
    await run('rules', WARM_UP)
    const perRound = Math.ceil(o.signIns / ROUNDS)
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? ['plain', 'rules'] as const : ['rules', 'plain'] as const) {
        const cpu = serverCpuMs(servers[kind]!)
        const r = await run(kind, perRound)
        timed[kind].cpuMs += serverCpuMs(servers[kind]!) - cpu
        timed[kind].latencies.push(...r.latencies)
        timed[kind].ns += r.ns
      }
    }
    const plain = summarize(label.plain, timed.plain.latencies, timed.plain.ns)
    const rules = summarize(label.rules, timed.rules.latencies, timed.rules.ns)
    const checked = await verifyProvisioning(servers.rules, provisioned, idp.groups, WARM_UP + perRound * ROUNDS, receiver)
    return {
      rows: [plain, rules], vs: { [rules.label]: plain.label }, slowerPercent: (plain.rate / rules.rate - 1) * 100, ...checked,
      serverCpuMs: { plain: timed.plain.cpuMs / plain.count, rules: timed.rules.cpuMs / rules.count },
    }
  } finally {
    await servers.plain?.close()
    await servers.rules?.close()
    await idp.close()
    await receiver.close()
  }
}

/** User + system CPU time of a server process so far, from /proc (Linux). */
function serverCpuMs(server: GatehouseProcess): number {
  try {
    const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/** A server on its own SQLite file, seeded with the relying party and the tuples' store. */
async function startServer(o: SignInBenchOptions, name: string, env: Record<string, string>): Promise<GatehouseProcess> {
  const dataDir = join(o.dir, name)
  mkdirSync(dataDir, { recursive: true })
  const seed = await openSqliteStore({ path: join(dataDir, 'gatehouse.db') })
  try {
    await seed.migrate()
    await seed.oidcClients.upsert(spaClient(CALLBACK))
    await seed.stores.create({ id: LAB_STORE, name: 'lab' })
    await seed.models.write(LAB_STORE, '01JKBENCH00000000000000001', modelFromDsl(LAB_MODEL))
  } finally {
    await seed.close()
  }
  return startGatehouse({
    GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PRESHARED_KEYS: KEY,
    ...(o.profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${o.profileDir}` } : {}),
    ...env,
  })
}

/**
 * Waits for the server with rules to deliver everything, then checks the outcome: four done rows
 * per sign-in and none dead, both webhooks of every event received, and exactly the tuples the
 * rules want for the users who signed in (an operator tuple each, one membership per group).
 */
async function verifyProvisioning(server: GatehouseProcess, subjects: Map<string, string>, groups: Record<string, string[]>, signIns: number, receiver: WebhookReceiver) {
  const api = async (path: string, body?: unknown): Promise<any> => {
    const res = await fetch(new URL(path, server.url), {
      method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const json = await res.json()
    assert.ok(res.ok, `${path} answered ${res.status}: ${JSON.stringify(json)}`)
    return json
  }
  let stats: { pending: number; done: number; dead: number }
  for (let i = 0; ; i++) {
    stats = await api('/api/v1/provisioning/stats')
    if (stats.pending === 0) break
    assert.ok(i < 600, `provisioning still pending after a minute: ${JSON.stringify(stats)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.deepEqual({ done: stats.done, dead: stats.dead }, { done: 4 * signIns, dead: 0 }, 'outbox rows of the sign-ins with rules')
  assert.deepEqual(receiver.problems, [], 'the receiver refused signatures')
  assert.equal(receiver.seen.size, signIns, 'webhook events received')
  for (const [id, n] of receiver.seen) assert.equal(n, 2, `event ${id}: both rules' webhooks`)

  const expected = new Set<string>()
  for (const [name, subject] of subjects) {
    const user = `user:${signInUsername(subject, { preferredUsername: name, email: `${name}@acme.test` })}`
    expected.add(`project:${user.slice(5)}#operator@${user}`)
    for (const g of groups[name] ?? []) expected.add(`group:${g}#member@${user}`)
  }
  const found = new Set<string>()
  let token = ''
  do {
    const page = await api(`/stores/${LAB_STORE}/read`, { page_size: 100, ...(token ? { continuation_token: token } : {}) })
    for (const t of page.tuples) found.add(`${t.key.object}#${t.key.relation}@${t.key.user}`)
    token = page.continuation_token
  } while (token)
  assert.deepEqual([...found].sort(), [...expected].sort(), 'tuples written by the rules')
  return { enqueued: stats.done, webhooks: [...receiver.seen.values()].reduce((a, b) => a + b, 0), tuples: found.size }
}
