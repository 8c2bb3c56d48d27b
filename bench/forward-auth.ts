// `npm run bench -- forward-auth [--quick] [--duration S]`: the forward-auth decision endpoint
// (Caddy contract) for a signed-in visitor whose session passes a group policy, at 1 and 64
// keep-alive connections, next to bare node:http from the same run. Data: 200 generated
// applications with wildcard and exact hosts, and 1,000 live sessions in the server's store.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createSessionStore } from '../src/forwardauth/index.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import { runLoad } from './lib/http-load.ts'
import { freePort, startBareServer, startGatehouseServer } from './lib/servers.ts'
import { printTable, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, duration: { type: 'string' } },
})
const duration = Number(opts.duration ?? (opts.quick ? 3 : 10))
const APPS = 200
const SESSIONS = 1000

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-fa-'))
const port = await freePort()
const issuer = `http://id.bench.localhost:${port}`
const server = await startGatehouseServer(port, {
  GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ISSUER: issuer, GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: 'bench.localhost',
  GATEHOUSE_BOOTSTRAP_PASSWORD: 'bench-password-not-secret',
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

  const url = `${server.url}/api/forward-auth/caddy`
  const headers = {
    'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app-42.bench.localhost',
    'x-forwarded-uri': '/dashboard?from=now-6h', 'x-forwarded-for': '203.0.113.7', accept: 'text/html', cookie: `gatehouse_session=${tokens[0]}`,
  }
  const probe = await fetch(url, { headers })
  if (probe.status !== 200 || probe.headers.get('remote-user') !== 'user0') throw new Error(`the session does not pass: ${probe.status}`)
  await runLoad({ label: 'warm-up', url, connections: 4, duration: Math.min(3, duration), headers })
  for (const connections of [1, 64]) {
    const base = await runLoad({ label: `bare node:http, ${connections} conn`, url: bare.url, connections, duration, headers })
    rows.push(base)
    const r = await runLoad({ label: `forward-auth allow, ${connections} conn`, url, connections, duration, headers })
    if (r.non2xx || r.errors) console.log(`!! ${r.label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
    rows.push(r)
    vs[r.label] = base.label
  }
} finally {
  await server.stop()
  await bare.stop()
  rmSync(dir, { recursive: true, force: true })
}
printTable(`forward-auth decision (${APPS} applications, ${SESSIONS} sessions; ${duration} s per row)`, rows, vs)
