// `npm run bench -- forward-auth [--quick] [--duration S] [--slices N] [--profile DIR]`: the forward-auth
// decision endpoint (Caddy contract) for a signed-in visitor whose session cookie passes a group
// policy, and for an API client presenting a JWT access token (Authorization: Bearer), at 1 and
// 64 keep-alive connections, interleaved with bare node:http from the same run. Data: 200
// generated applications with wildcard and exact hosts, and 1,000 live sessions in the store.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createSessionStore } from '../src/forwardauth/index.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import { assertAnswered, reportFigures, type Figure } from './lib/figures.ts'
import { runInterleaved, runLoad, type LoadResult } from './lib/http-load.ts'
import { freePort, startBareServer, startGatehouseServer } from './lib/servers.ts'
import { printTable, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, duration: { type: 'string' }, slices: { type: 'string', default: '5' }, profile: { type: 'string' } },
})
const duration = Number(opts.duration ?? (opts.quick ? 3 : 10))
const slices = Number(opts.slices)
const APPS = 200
const SESSIONS = 1000
/** The resource server whose tokens forward-auth accepts as bearer tokens. */
const API = 'https://api.bench.localhost'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-fa-'))
const port = await freePort()
const issuer = `http://id.bench.localhost:${port}`
const server = await startGatehouseServer(port, {
  GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ISSUER: issuer, GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: 'bench.localhost',
  GATEHOUSE_BOOTSTRAP_PASSWORD: 'bench-password-not-secret',
  GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: API, scopes: ['api'] }]), GATEHOUSE_FORWARD_AUTH_BEARER_AUDIENCES: API,
  ...(opts.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${opts.profile}` } : {}),
})
const bare = await startBareServer('')
const rows: Summary[] = []
const vs: Record<string, string> = {}
try {
  for (let i = 0; i < APPS; i++) {
    const body = {
      id: `app-${i}`,
      hosts: i % 2 === 0 ? [`app-${i}.bench.localhost`] : [`*.team-${i}.bench.localhost`],
      skipPaths: ['^/(health|static)/'],
      policy: { groups: { anyOf: [`group-${i % 50}`, 'eng'] } },
      rules: [{ pathPrefix: '/admin', policy: { groups: { allOf: ['eng', 'admins'] } } }],
    }
    const res = await fetch(`${server.url}/api/v1/forward-auth/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (res.status !== 201) throw new Error(`cannot create ${body.id}: ${res.status} ${await res.text()}`)
  }
  // Sessions are written straight into the server's store, as a sign-in would leave them.
  const store = await openSqliteStore({ path: join(dir, 'gatehouse.db') })
  const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 3600, maxSeconds: 86_400 })
  const tokens: string[] = []
  for (let i = 0; i < SESSIONS; i++) {
    const groups = Array.from({ length: 20 }, (_, g) => `group-${(i + g) % 50}`).concat(i % 2 === 0 ? ['eng'] : [])
    tokens.push((await sessions.create({ subject: `ext:user-${i}`, accountType: 'user', username: `user${i}`, email: `user${i}@bench.localhost`, name: `User ${i}`, groups })).token)
  }
  await store.close()

  // An API client: a confidential client's client_credentials JWT for the API, and an application
  // any authenticated caller may use.
  const created = await fetch(`${server.url}/api/v1/clients`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'bench-robot', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['api'] }),
  })
  if (created.status !== 201) throw new Error(`cannot create the client: ${created.status} ${await created.text()}`)
  const { secret } = (await created.json()) as { secret: string }
  const api = await fetch(`${server.url}/api/v1/forward-auth/applications`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'bench-api', hosts: ['api.bench.localhost'] }),
  })
  if (api.status !== 201) throw new Error(`cannot create the API application: ${api.status} ${await api.text()}`)
  const issued = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`bench-robot:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'api' }),
  })
  const { access_token: accessToken } = (await issued.json()) as { access_token: string }

  const url = `${server.url}/api/forward-auth/caddy`
  const forwarded = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' }
  const cases = {
    cookie: {
      ...forwarded, 'x-forwarded-host': 'app-42.bench.localhost', 'x-forwarded-uri': '/dashboard?from=now-6h', accept: 'text/html',
      cookie: `gatehouse_session=${tokens[0]}`,
    },
    bearer: { ...forwarded, 'x-forwarded-host': 'api.bench.localhost', 'x-forwarded-uri': '/v1/orders?limit=20', accept: 'application/json', authorization: `Bearer ${accessToken}` },
  }
  for (const [name, headers] of Object.entries(cases)) {
    const probe = await fetch(url, { headers })
    const expected = name === 'cookie' ? 'user0' : 'service:bench-robot'
    if (probe.status !== 200 || probe.headers.get('remote-user') !== expected) throw new Error(`the ${name} does not pass: ${probe.status}`)
    await runLoad({ label: 'warm-up', url, connections: 4, duration: Math.min(3, duration), headers })
  }
  for (const connections of [1, 64]) {
    const results = await runInterleaved([
      // Each case against bare node:http reading the very same request (a bearer token is ~600 bytes).
      { label: `bare node:http, cookie request, ${connections} conn`, url: bare.url, connections, duration, headers: cases.cookie },
      { label: `forward-auth allow (cookie), ${connections} conn`, url, connections, duration, headers: cases.cookie, verify: (_i, head) => head.toLowerCase().includes('\r\nremote-user: user0\r\n') },
      { label: `bare node:http, bearer request, ${connections} conn`, url: bare.url, connections, duration, headers: cases.bearer },
      { label: `forward-auth allow (bearer JWT), ${connections} conn`, url, connections, duration, headers: cases.bearer, verify: (_i, head) => head.toLowerCase().includes('\r\nremote-user: service:bench-robot\r\n') },
    ], slices)
    rows.push(...results)
    for (const i of [1, 3]) {
      const r = results[i]
      if (r.non2xx || r.errors) console.log(`!! ${r.label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
      vs[r.label] = results[i - 1].label
    }
  }
} finally {
  await server.stop()
  await bare.stop()
  rmSync(dir, { recursive: true, force: true })
}
printTable(`forward-auth decision (${APPS} applications, ${SESSIONS} sessions; ${duration} s per row in ${slices} interleaved turns)`, rows, vs)
assertAnswered(rows as LoadResult[])
const figures: Figure[] = []
for (const connections of [64, 1]) {
  for (const [kind, label] of [['bearer', 'bearer JWT'], ['cookie', 'cookie']] as const) {
    const r = rows.find((x) => x.label === `forward-auth allow (${label}), ${connections} conn`)!
    const base = rows.find((x) => x.label === `bare node:http, ${kind} request, ${connections} conn`)!
    const measured = connections === 64 && kind === 'bearer'
    figures.push({ bench: 'forward-auth', name: `${label}, ${connections} conn`, value: r.rate, unit: '/s', baseline: { name: 'bare node:http', value: base.rate }, ...(measured ? { target: { of: 'ratio', atLeast: 0.5 } } : {}) })
    if (measured) figures.push({ bench: 'forward-auth', name: `${label} p99, ${connections} conn`, value: r.p99Us, unit: 'µs', baseline: { name: 'bare node:http p99', value: base.p99Us }, target: { of: 'value', atMost: 5000 } })
  }
}
reportFigures(figures)
