// A Gatehouse HTTP server with an oidc-provider mounted behind the node:http fast paths, for
// tests that compare the fast paths' answers (over a real socket) with the provider's answers
// through Fastify's mount (app.inject bypasses the fast paths), counting which side answered.
import type { AddressInfo } from 'node:net'
import { request as httpRequest } from 'node:http'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { createLogger, openCore, type Core } from '../../src/app/index.ts'
import { loadConfig } from '../../src/config/index.ts'
import {
  createOidcProvider, fastIntrospectionOf, fastTokenOf, GENERATED_SECRET_PARAMS, hashSecret, OIDC_MOUNTS, type ResourceServerEntry,
} from '../../src/identity/index.ts'
import { buildHttpServer, type HttpServer } from '../../src/http/index.ts'

export const ISSUER = 'https://id.example.test'
export const NS = 'https://gatehouse.dev/claims'
export const FORM = 'application/x-www-form-urlencoded'
/** Differ per request by nature, or are the transport's (app.inject has no keep-alive). */
const UNCOMPARED = new Set(['date', 'x-request-id', 'keep-alive'])

export interface Answer { status: number; body: string; headers: Record<string, string> }

export const secretOf = (id: string) => `${id}-secret-0123456789abcdef`
export const basic = (id: string, secret = secretOf(id)) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
export const form = (fields: Record<string, string> | [string, string][]) => new URLSearchParams(fields).toString()

function compared(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !UNCOMPARED.has(name)).map(([name, value]) => [name, String(value)]))
}

export interface FastPathWorld {
  app: HttpServer
  core: Core
  provider: ReturnType<typeof createOidcProvider>
  privateJwk: JWK
  /** Requests that reached Fastify / the provider so far. */
  seen: { fastify: number; provider: number }
  /** Over a real socket, through the fast paths. `pauseMs`: the body is sent in two parts, the second after a pause. */
  overSocket(path: string, headers: Record<string, string>, body: string, pauseMs?: number): Promise<Answer>
  /** Through Fastify's mount (app.inject). */
  inject(path: string, headers: Record<string, string>, body: string): Promise<Answer>
  close(): Promise<void>
}

export interface FastPathWorldOptions {
  /** Client id and metadata beyond a client_secret_basic client_credentials client; the secret is secretOf(id). */
  clients: [string, Record<string, unknown>][]
  resourceServers: ResourceServerEntry[]
  /** Which fast answers the server gets. */
  fast: { introspection?: boolean; token?: boolean }
}

export async function startFastPathWorld(options: FastPathWorldOptions): Promise<FastPathWorld> {
  const { config } = loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', logLevel: 'silent' } })
  const logger = createLogger('silent')
  const core = await openCore(config, logger)
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }
  for (const [id, extra] of options.clients) {
    await core.store.oidcClients.upsert({
      clientId: id, metadata: { ...common, ...extra }, source: 'api', secretHash: await hashSecret(secretOf(id), GENERATED_SECRET_PARAMS),
    })
  }
  const provider = createOidcProvider({
    issuer: ISSUER, jwks: { keys: [privateJwk] }, store: { oidc: core.store.oidc, oidcClients: core.store.oidcClients },
    secretKey: 'unit-test-secret-key-0123456789abcdef', ttl: { accessToken: 600, idToken: 600, refreshToken: 3600, session: 3600 },
    claimNamespace: NS, findAccount: async () => undefined, resourceServers: options.resourceServers,
  })
  const seen = { fastify: 0, provider: 0 }
  const callback = provider.callback()
  const app = buildHttpServer({
    config, authz: core.authz, store: core.store, logger,
    oidc: {
      handler: (req, res) => { seen.provider++; void callback(req, res) }, issuer: ISSUER, routes: OIDC_MOUNTS,
      fastIntrospect: options.fast.introspection ? fastIntrospectionOf(provider) : undefined,
      fastToken: options.fast.token ? fastTokenOf(provider) : undefined,
    },
  })
  app.addHook('onRequest', (_request, _reply, done) => { seen.fastify++; done() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port

  return {
    app, core, provider, privateJwk, seen,
    overSocket: (path, headers, body, pauseMs) => new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: compared(res.headers) }))
      })
      req.on('error', reject)
      if (pauseMs === undefined) return req.end(body)
      req.flushHeaders()
      req.write(body.slice(0, 10))
      setTimeout(() => req.end(body.slice(10)), pauseMs)
    }),
    async inject(path, headers, body) {
      const res = await app.inject({ method: 'POST', url: path, headers, payload: body })
      return { status: res.statusCode, body: res.body, headers: compared(res.headers) }
    },
    async close() {
      await app.close()
      await core.close()
    },
  }
}
