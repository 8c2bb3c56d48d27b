// `npm run bench -- introspect [--quick] [--duration S] [--slices N] [--profile DIR]`: token
// introspection (RFC 7662) by a resource server client over HTTP at 1 and 16 keep-alive
// connections, for ES256 JWT access tokens and for opaque tokens, next to bare node:http
// answering a fixed introspection body, each row in N turns interleaved with its baseline.
// `--profile DIR` writes the server's CPU profile there.
import { parseArgs } from 'node:util'
import { assertAnswered, reportFigures, type Figure } from './lib/figures.ts'
import { runInterleaved, runLoad, type LoadResult } from './lib/http-load.ts'
import { fetchToken, FORM, RESOURCE, startOidcBenchServer } from './lib/oidc-server.ts'
import { startBareServer } from './lib/servers.ts'
import { printTable, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, duration: { type: 'string' }, slices: { type: 'string', default: '5' }, profile: { type: 'string' } },
})
const duration = Number(opts.duration ?? (opts.quick ? 3 : 10))
const slices = Number(opts.slices)
const ACTIVE = Buffer.from('"active":true')

const oidc = await startOidcBenchServer(opts.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${opts.profile}` } : {})
const bare = await startBareServer('{"active":true,"client_id":"bench-service","token_type":"Bearer"}')
const url = `${oidc.server.url}/token/introspection`
const headers = { 'content-type': FORM, authorization: oidc.resourceServer.authorization }
const rows: Summary[] = []
const vs: Record<string, string> = {}
try {
  const tokens = {
    JWT: await fetchToken(oidc.server.url, oidc.service, RESOURCE),
    opaque: await fetchToken(oidc.server.url, oidc.service),
  }
  const bodies = Object.fromEntries(Object.entries(tokens).map(([kind, token]) => [kind, [new URLSearchParams({ token }).toString()]]))
  for (const kind of Object.keys(tokens)) {
    const probe = await fetch(url, { method: 'POST', headers, body: bodies[kind][0] })
    const answer = (await probe.json()) as { active?: boolean }
    if (answer.active !== true) throw new Error(`${kind} token does not introspect as active: ${JSON.stringify(answer)}`)
  }
  await runLoad({ label: 'warm-up', url, connections: 4, duration: Math.min(3, duration), headers, bodies: [...bodies.JWT, ...bodies.opaque] })
  for (const connections of [1, 16]) {
    const [base, ...cases] = await runInterleaved([
      { label: `bare node:http, ${connections} conn`, url: bare.url, connections, duration, headers, bodies: bodies.JWT },
      ...['JWT', 'opaque'].map((kind) => ({
        label: `${kind} introspection, ${connections} conn`, url, connections, duration, headers, bodies: bodies[kind],
        verify: (_i: number, _h: string, answer: Buffer) => answer.includes(ACTIVE),
      })),
    ], slices)
    rows.push(base)
    for (const r of cases) {
      if (r.non2xx || r.errors) console.log(`!! ${r.label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
      rows.push(r)
      vs[r.label] = base.label
    }
  }
} finally {
  await oidc.stop()
  await bare.stop()
}
printTable(`token introspection (${duration} s per row in ${slices} interleaved turns)`, rows, vs)
assertAnswered(rows as LoadResult[])
const figures: Figure[] = []
for (const connections of [1, 16]) {
  const base = rows.find((r) => r.label === `bare node:http, ${connections} conn`)!
  for (const kind of ['JWT', 'opaque']) {
    const r = rows.find((x) => x.label === `${kind} introspection, ${connections} conn`)!
    figures.push({ bench: 'introspect', name: `${kind}, ${connections} conn`, value: r.rate, unit: '/s', baseline: { name: 'bare node:http', value: base.rate }, target: { of: 'ratio', atLeast: 0.4 } })
  }
}
reportFigures(figures)
