// `npm run bench -- token [--quick] [--duration S] [--slices N] [--profile DIR]`: client_credentials
// token issuance over HTTP at 1 and 16 keep-alive connections — ES256 JWT access tokens for a
// resource server, and opaque (stored) tokens — next to two baselines from the same run: raw
// node:crypto ES256 signing of a comparable JWT on one core of this process (the floor any JWT
// issuer pays per token), and bare node:http answering a token-sized body. Each row runs in N
// turns interleaved with its baselines. `--profile DIR` writes the server's CPU profile there.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { derToJose } from '../src/identity/node-signing-key.ts'
import { parseArgs } from 'node:util'
import { assertAnswered, reportFigures } from './lib/figures.ts'
import { runInterleaved, runLoad, type LoadResult } from './lib/http-load.ts'
import { startBareServer } from './lib/servers.ts'
import { fetchToken, FORM, RESOURCE, SCOPE, startOidcBenchServer, tokenForm } from './lib/oidc-server.ts'
import { printTable, summarize, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, duration: { type: 'string' }, slices: { type: 'string', default: '5' }, profile: { type: 'string' } },
})
const duration = Number(opts.duration ?? (opts.quick ? 3 : 10))
const slices = Number(opts.slices)

/**
 * The JWTs timed below come from the node:http fast path once the warm-up has verified the
 * client's secret: one of them must verify with the discovery keys and introspect as active,
 * as a token from oidc-provider does.
 */
async function checkJwt(base: string, oidc: Awaited<ReturnType<typeof startOidcBenchServer>>): Promise<void> {
  const token = await fetchToken(base, oidc.service, RESOURCE)
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${base}/jwks`)), { issuer: base, audience: RESOURCE, typ: 'at+jwt' })
  if (payload.client_id !== oidc.service.id || payload.scope !== SCOPE) throw new Error(`unexpected token claims: ${JSON.stringify(payload)}`)
  const res = await fetch(`${base}/token/introspection`, {
    method: 'POST', headers: { authorization: oidc.resourceServer.authorization, 'content-type': FORM }, body: new URLSearchParams({ token }),
  })
  const answer = (await res.json()) as { active?: unknown }
  if (answer.active !== true) throw new Error(`issued token not active at introspection: ${JSON.stringify(answer)}`)
}

/** Signs JWTs shaped like Gatehouse's access tokens for `seconds`, one after another, adding each one's time to `latencies`. */
function rawSigning(key: KeyObject, seconds: number, latencies: bigint[]): bigint {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = b64({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-key' })
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  for (let now = start; now < end; now = process.hrtime.bigint()) {
    const iat = Math.floor(Date.now() / 1000)
    const payload = b64({
      'https://gatehouse.dev/claims': { acctype: 'service' }, jti: randomBytes(16).toString('base64url'), sub: 'bench-service', iat, exp: iat + 600,
      scope: SCOPE, client_id: 'bench-service', iss: 'http://127.0.0.1:1234', aud: RESOURCE,
    })
    const input = `${header}.${payload}`
    // A bare KeyObject: an options object ({ key, dsaEncoding }) makes sign() throw and catch
    // internally on Node 24, which would make the floor look ~1.8x higher than it is.
    const signature = derToJose(sign('sha256', Buffer.from(input), key), 32).toString('base64url')
    if (signature.length === 0) throw new Error('empty signature')
    latencies.push(process.hrtime.bigint() - now)
  }
  return process.hrtime.bigint() - start
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const oidc = await startOidcBenchServer(opts.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${opts.profile}` } : {})
const url = `${oidc.server.url}/token`
const headers = { 'content-type': FORM, authorization: oidc.service.authorization }
const rows: Summary[] = []
const vs: Record<string, string> = {}
let raw: Summary | undefined
// What a token answer looks like on the wire, for the bare node:http baseline.
const bare = await startBareServer(JSON.stringify({ access_token: 'x'.repeat(560), expires_in: 3600, token_type: 'Bearer', scope: SCOPE }))
try {
  await runLoad({ label: 'warm-up', url, connections: 4, duration: Math.min(3, duration), headers, bodies: [tokenForm(RESOURCE), tokenForm()] })
  await checkJwt(oidc.server.url, oidc)
  // Raw signing takes a turn before each turn of the HTTP rows, so every ratio below compares
  // figures taken under the same background load.
  const signed: bigint[] = []
  let signingNs = 0n
  const signTurn = () => { signingNs += rawSigning(privateKey, duration / slices, signed) }
  const bodies = { JWT: tokenForm(RESOURCE), opaque: tokenForm() }
  const issued = { JWT: Buffer.from('"access_token":"eyJ'), opaque: Buffer.from('"access_token":"') }
  const cases = (connections: number) => (['JWT', 'opaque'] as const).map((kind) => ({
    label: `${kind} access tokens, ${connections} conn`, url, connections, duration, headers, bodies: [bodies[kind]],
    verify: (_i: number, _h: string, answer: Buffer) => answer.includes(issued[kind]),
  }))
  const [base, ...single] = await runInterleaved([
    { label: 'bare node:http, 1 conn', url: bare.url, connections: 1, duration, headers, bodies: [bodies.JWT] }, ...cases(1),
  ], slices, signTurn)
  const multi = await runInterleaved(cases(16), slices, signTurn)
  raw = summarize('raw ES256 signing (node:crypto)', signed, signingNs)
  rows.push(raw, base)
  for (const r of [...single, ...multi]) {
    if (r.non2xx || r.errors) console.log(`!! ${r.label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
    rows.push(r)
    vs[r.label] = raw.label
    if (single.includes(r)) {
      const againstHttp = { ...r, label: `${r.label} (vs bare node:http)` }
      rows.push(againstHttp)
      vs[againstHttp.label] = base.label
    }
  }
} finally {
  await oidc.stop()
  await bare.stop()
}
printTable(`client_credentials issuance (${duration} s per row in ${slices} interleaved turns; raw signing on one core of this process)`, rows, vs)
assertAnswered(rows.filter((r): r is LoadResult => 'non2xx' in r))
const tokenRow = (label: string) => rows.find((r) => r.label === label)!
const bareRow = tokenRow('bare node:http, 1 conn')
reportFigures([
  { bench: 'token', name: 'JWT, 16 conn', value: tokenRow('JWT access tokens, 16 conn').rate, unit: '/s', baseline: { name: 'raw ES256 signing', value: raw!.rate }, target: { of: 'ratio', atLeast: 0.3 } },
  { bench: 'token', name: 'JWT, 1 conn', value: tokenRow('JWT access tokens, 1 conn').rate, unit: '/s', baseline: { name: 'bare node:http, 1 conn', value: bareRow.rate }, target: { of: 'ratio', atLeast: 0.3 } },
  { bench: 'token', name: 'opaque, 16 conn', value: tokenRow('opaque access tokens, 16 conn').rate, unit: '/s', baseline: { name: 'raw ES256 signing', value: raw!.rate } },
])
