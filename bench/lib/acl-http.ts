// The HTTP side of `bench/acl.ts`: the tenancy API served by the real Fastify server (in this
// process, over the bench's store and tenancy service), callers resolved the claims-only way —
// a JWT from a trusted external issuer whose JWKS a tiny local node:http server serves — and the
// load client in a worker thread, so load and server do not share one event loop.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Worker } from 'node:worker_threads'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createLogger } from '../../src/app/logger.ts'
import { createCallerResolver } from '../../src/app/tenancy-callers.ts'
import { Authz } from '../../src/authz/index.ts'
import { loadConfig } from '../../src/config/index.ts'
import { buildHttpServer } from '../../src/http/index.ts'
import { createTrustedIssuers } from '../../src/identity/index.ts'
import type { Store } from '../../src/store/index.ts'
import { SYSTEM_STORE_ID, type Acl, type Tenancy } from '../../src/tenancy/index.ts'
import type { LoadOptions, LoadResult } from './http-load.ts'
import { startBareServer } from './servers.ts'
import type { Summary } from './stats.ts'

const AUDIENCE = 'https://gatehouse.bench.example/api'

/** `runLoad` in a worker thread: the server under test keeps this thread's event loop to itself. */
export function runLoadInWorker(options: LoadOptions): Promise<LoadResult> {
  const code = `const { parentPort, workerData } = require('node:worker_threads')
    import(workerData.module).then((m) => m.runLoad(workerData.options)).then((r) => parentPort.postMessage(r))`
  const worker = new Worker(code, { eval: true, workerData: { module: new URL('./http-load.ts', import.meta.url).href, options } })
  return new Promise((resolve, reject) => {
    worker.once('message', (r: LoadResult) => { resolve(r); void worker.terminate() })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the load worker exited (${code}) without a result`)))
  })
}

/** An external issuer: one ES256 key, its JWKS on 127.0.0.1, and tokens for the bench's audience. */
async function startIssuer(issuer: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' }] })
  let fetches = 0
  const server = createServer((_req, res) => {
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    fetches: () => fetches,
    sign: (sub: string, groups: string[]) => new SignJWT({ groups }).setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'at+jwt' })
      .setIssuer(issuer).setSubject(sub).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1d').sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export interface AclHttpOptions {
  store: Store
  tenancy: Tenancy
  /** The issuer the world's users come from: their subjects are `externalSubject(issuer, sub)`. */
  issuer: string
  /** Qualifies the token's groups (`<prefix>:<group>`), as the world's groups name upstream groups. */
  groupPrefix: string
  sub: string
  /** The user's upstream groups, unqualified, as the issuer puts them in the token. */
  groups: string[]
  organization: string
  /** What the in-process ACL answers: the HTTP answer must be the same. */
  expected: Acl
  /** Seconds per row. */
  duration: number
  connections: readonly number[]
}

export interface AclHttpResult {
  rows: Summary[]
  vs: Record<string, string>
  bodyBytes: number
  jwksFetches: number
  /** Non-2xx answers or socket errors under load. */
  failures: string[]
}

export async function benchAclHttp(o: AclHttpOptions): Promise<AclHttpResult> {
  const idp = await startIssuer(o.issuer)
  const { config } = loadConfig({
    env: {},
    overrides: {
      databaseUrl: 'sqlite::memory:', logLevel: 'silent', presharedKeys: ['bench-operator-key-0123456789'],
      trustedIssuers: [{ issuer: o.issuer, audiences: [AUDIENCE], jwksUri: idp.jwksUri, groupsClaim: 'groups', id: o.groupPrefix }],
    },
  })
  const logger = createLogger('silent')
  const issuerErrors: unknown[] = []
  const trusted = createTrustedIssuers({ issuers: config.trustedIssuers, onError: (err) => { issuerErrors.push(err) } })
  // No Gatehouse access tokens here: with no apiAudiences (the default) the identity side turns a
  // JWT away before any lookup, exactly as this does, and the trusted issuer decides.
  const resolveCaller = createCallerResolver({ config: () => config, tenancy: o.tenancy, signedIn: { accessToken: async () => undefined }, trusted })
  const authz = new Authz({ store: o.store, readOnlyStores: [SYSTEM_STORE_ID] })
  const app = buildHttpServer({ config, authz, store: o.store, logger, tenancy: { service: o.tenancy, resolveCaller } })
  const result: AclHttpResult = { rows: [], vs: {}, bodyBytes: 0, jwksFetches: 0, failures: [] }
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined
  try {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/organizations/${o.organization}/acl`
    const headers = { authorization: `Bearer ${await idp.sign(o.sub, o.groups)}` }

    // Once, before any timing: the answer over HTTP is the in-process ACL, and nobody else's.
    const res = await fetch(url, { headers })
    const body = await res.text()
    assert.equal(res.status, 200, `GET ${url} answered ${res.status}: ${body.slice(0, 300)}`)
    assert.deepEqual(JSON.parse(body), JSON.parse(JSON.stringify(o.expected)), 'the ACL over HTTP differs from the in-process ACL')
    const stranger = await fetch(url, { headers: { authorization: `Bearer ${await idp.sign('stranger', [])}` } })
    assert.notEqual(await stranger.text(), body, 'a user in no group got the measured user\'s ACL')
    result.bodyBytes = Buffer.byteLength(body)

    // The baseline answers the very bytes Gatehouse does.
    bare = await startBareServer(body)
    await runLoadInWorker({ label: 'warm-up', url, connections: 4, duration: Math.min(3, o.duration), headers })
    for (const connections of o.connections) {
      const base = await runLoadInWorker({ label: `bare node:http, ${connections} conn`, url: bare.url, connections, duration: o.duration, headers })
      const acl = await runLoadInWorker({ label: `GET …/acl (trusted-issuer JWT), ${connections} conn`, url, connections, duration: o.duration, headers })
      for (const r of [base, acl]) if (r.non2xx || r.errors) result.failures.push(`${r.label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
      result.rows.push(base, acl)
      result.vs[acl.label] = base.label
    }
    result.jwksFetches = idp.fetches()
    for (const err of issuerErrors) result.failures.push(`trusted issuer: ${String(err)}`)
    return result
  } finally {
    await bare?.stop()
    await app.close()
    await authz.close()
    await idp.close()
  }
}
