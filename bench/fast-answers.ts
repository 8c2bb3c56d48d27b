// `npm run bench -- fast-answers [--quick] [--count N] [--rounds N]`: the CPU time of one
// client_credentials JWT, one JWT introspection and one opaque-token introspection as the
// node:http fast paths decide them, in process (no HTTP, no load generator), next to raw ES256
// signing with a bare KeyObject in the same process. CPU time (process.cpuUsage) over a tight
// loop is far steadier on a shared machine than request rates over HTTP; each figure is the
// median of its rounds, and the rounds of every case are interleaved.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import { CLIENT_EXTRA_METADATA, fastIntrospectionOf, fastTokenOf } from '../src/identity/index.ts'
import { derToJose } from '../src/identity/node-signing-key.ts'
import { basic, FORM, form, ISSUER, startFastPathWorld } from '../test/support/provider-fast-paths.ts'
import { reportFigures } from './lib/figures.ts'
import { median } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, count: { type: 'string' }, rounds: { type: 'string', default: '5' } },
})
const count = Number(opts.count ?? (opts.quick ? 2000 : 5000))
const rounds = Number(opts.rounds)
const API = 'https://api.bench.example'

const world = await startFastPathWorld({
  clients: [['svc', { 'urn:gatehouse:resource_scopes': ['read'] }], ['rs', { [CLIENT_EXTRA_METADATA.mayIntrospect]: true }]],
  resourceServers: [{ indicator: API, scopes: ['read'] }],
  fast: { introspection: true, token: true },
})
try {
  const token = fastTokenOf(world.provider)!
  const introspect = fastIntrospectionOf(world.provider)!
  const svc = basic('svc')
  const rs = basic('rs')
  const jwtForm = new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'read' }).toString()
  // The provider verifies each secret once (scrypt) and issues the opaque token; after that the fast paths answer.
  await world.inject('/token', { authorization: svc, 'content-type': FORM }, jwtForm)
  const opaque = JSON.parse((await world.inject('/token', { authorization: svc, 'content-type': FORM }, form({ grant_type: 'client_credentials', scope: 'read' }))).body).access_token as string
  await world.inject('/token/introspection', { authorization: rs, 'content-type': FORM }, form({ token: opaque }))

  // Every answer timed below is checked: tokens by their start, introspections against an answer verified once.
  const first = await token(svc, jwtForm)
  const jwt = first === undefined ? undefined : (JSON.parse(first) as { access_token?: string }).access_token
  if (jwt === undefined) throw new Error('the fast path declined the token request')
  const jwks = JSON.parse((await world.app.inject({ method: 'GET', url: '/jwks' })).body) as { keys: JWK[] }
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: ISSUER, audience: API, typ: 'at+jwt' })
  if (payload.client_id !== 'svc' || payload.scope !== 'read') throw new Error(`unexpected claims: ${JSON.stringify(payload)}`)
  const jwtBody = form({ token: jwt })
  const opaqueBody = form({ token: opaque })
  const activeJwt = await introspect(rs, jwtBody)
  const activeOpaque = await introspect(rs, opaqueBody)
  for (const answer of [activeJwt, activeOpaque]) if ((JSON.parse(answer ?? '{}') as { active?: unknown }).active !== true) throw new Error(`not active: ${answer}`)

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-key' })).toString('base64url')
  const rawSign = (key: KeyObject) => {
    const iat = Math.floor(Date.now() / 1000)
    const claims = { 'https://gatehouse.dev/claims': { acctype: 'service' }, jti: randomBytes(32).toString('base64url'), sub: 'svc', iat, exp: iat + 600, scope: 'read', client_id: 'svc', iss: ISSUER, aud: API }
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    return `${input}.${derToJose(sign('sha256', Buffer.from(input), key), 32).toString('base64url')}`
  }

  let wrong = 0
  const cases: { name: string; run: () => Promise<unknown> | unknown }[] = [
    { name: 'raw ES256 signing (node:crypto)', run: () => rawSign(privateKey) },
    { name: 'client_credentials JWT', run: async () => { if (!(await token(svc, jwtForm))?.startsWith('{"access_token":"eyJ')) wrong++ } },
    { name: 'introspection, JWT', run: async () => { if ((await introspect(rs, jwtBody)) !== activeJwt) wrong++ } },
    { name: 'introspection, opaque', run: async () => { if ((await introspect(rs, opaqueBody)) !== activeOpaque) wrong++ } },
  ]
  const perRound = cases.map((): number[] => [])
  for (let round = -1; round < rounds; round++) {
    for (const [i, c] of cases.entries()) {
      const start = process.cpuUsage()
      for (let n = 0; n < count; n++) await c.run()
      const used = process.cpuUsage(start)
      // Round -1 warms up (JIT, caches) and is not counted.
      if (round >= 0) perRound[i].push((used.user + used.system) / count)
    }
  }
  const us = perRound.map(median)
  console.log(`\nfast answers in process (CPU µs per answer; median of ${rounds} interleaved rounds of ${count})`)
  for (const [i, c] of cases.entries()) {
    console.log(`${c.name.padEnd(34)} ${us[i].toFixed(1).padStart(7)} µs   rounds ${perRound[i].map((x) => x.toFixed(1)).join(' ')}`)
  }
  if (wrong > 0) {
    console.log(`!! ${wrong} wrong answers`)
    process.exitCode = 1
  }
  const raw = { name: 'raw ES256 signing', value: us[0] }
  reportFigures([
    { bench: 'fast-answers', name: 'client_credentials JWT', value: us[1], unit: 'µs', baseline: raw },
    { bench: 'fast-answers', name: 'introspection, JWT', value: us[2], unit: 'µs' },
    { bench: 'fast-answers', name: 'introspection, opaque', value: us[3], unit: 'µs' },
  ])
} finally {
  await world.close()
}
