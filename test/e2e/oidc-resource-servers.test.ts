// JWT access tokens for registered resource servers, against a real server process on each
// backend: a client_credentials token requested with `resource` is an ES256 JWT for that
// audience, verifiable with the published JWKS; a resource server introspects it (RFC 7662), its
// client revokes it (RFC 7009), and tokens Gatehouse did not sign, or that expired, are inactive.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createRemoteJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { GENERATED_SECRET_PARAMS, hashSecret } from '../../src/identity/index.ts'
import type { Store } from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { BACKENDS, backendSkip, startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { createTestDatabase } from '../support/postgres.ts'

const API = 'https://api.example.com'
const SHORT = 'https://short-lived.example.com'
const NS = 'https://gatehouse.dev/claims'
const secretOf = (id: string) => `${id}-secret-0123456789abcdef`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Reply { status: number; body: Record<string, unknown> }

for (const backend of BACKENDS) {
  describe(`JWT access tokens for resource servers (${backend})`, { skip: await backendSkip(backend) }, () => {
    let server: GatehouseProcess | undefined
    let dropDb: (() => Promise<void>) | undefined

    async function post(path: string, client: string, form: Record<string, string>): Promise<Reply> {
      const res = await fetch(`${server!.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client}:${secretOf(client)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(form),
      })
      const text = await res.text()
      return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }
    }
    async function accessToken(form: Record<string, string> = { resource: API, scope: 'orders:read' }): Promise<string> {
      const res = await post('/token', 'svc', { grant_type: 'client_credentials', ...form })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return res.body.access_token as string
    }
    const introspect = (by: string, token: string) => post('/token/introspection', by, { token })

    before(async () => {
      const env: Record<string, string> = {
        GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([
          { indicator: API, scopes: ['orders:read', 'orders:write'] },
          { indicator: SHORT, scopes: ['ping'], accessTokenTtlSeconds: 1 },
        ]),
      }
      if (backend === 'postgres') {
        const db = await createTestDatabase()
        dropDb = db.drop
        env.GATEHOUSE_DATABASE_URL = db.url
      }
      server = await startGatehouse(env)
      const store: Store = env.GATEHOUSE_DATABASE_URL
        ? await openPostgresStore({ connectionString: env.GATEHOUSE_DATABASE_URL, poolSize: 1 })
        : await openSqliteStore({ path: join(server.dataDir, 'gatehouse.db') })
      try {
        const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }
        const clients: Array<[string, Record<string, unknown>]> = [
          ['svc', { 'urn:gatehouse:resource_scopes': ['orders:read', 'orders:write', 'ping'] }],
          ['other', {}],
          ['orders-api', { 'urn:gatehouse:may_introspect': true }],
        ]
        for (const [clientId, extra] of clients) {
          await store.oidcClients.upsert({
            clientId, metadata: { ...common, ...extra }, source: 'api', secretHash: await hashSecret(secretOf(clientId), GENERATED_SECRET_PARAMS),
          })
        }
      } finally {
        await store.close()
      }
    })
    after(async () => {
      await server?.close()
      await dropDb?.()
    })

    it('issues an ES256 JWT for the resource server that verifies against /jwks', async (t) => {
      const token = await accessToken()
      assert.equal(decodeProtectedHeader(token).alg, 'ES256')
      const jwks = createRemoteJWKSet(new URL(`${server!.url}/jwks`))
      const { payload } = await jwtVerify(token, jwks, { issuer: server!.url, audience: API, typ: 'at+jwt' })
      assert.equal(payload.client_id, 'svc')
      assert.equal(payload.scope, 'orders:read')
    })

    it('lets the resource server introspect it: active, with the RFC 7662 fields', async (t) => {
      const token = await accessToken()
      const { status, body } = await introspect('orders-api', token)
      assert.equal(status, 200)
      assert.equal(body.active, true)
      assert.equal(body.client_id, 'svc')
      assert.equal(body.sub, 'svc')
      assert.equal(body.aud, API)
      assert.equal(body.iss, server!.url)
      assert.equal(body.scope, 'orders:read')
      assert.equal(body.token_type, 'Bearer')
      assert.equal(typeof body.jti, 'string')
      assert.ok(typeof body.exp === 'number' && typeof body.iat === 'number' && body.exp > body.iat)
      assert.deepEqual(body[NS], { acctype: 'service' })
    })

    it('answers inactive to a client that did not get the token and may not introspect', async (t) => {
      assert.deepEqual((await introspect('other', await accessToken())).body, { active: false })
    })

    it('reports a token inactive once its client revoked it', async (t) => {
      const token = await accessToken()
      assert.equal((await post('/token/revocation', 'other', { token })).status, 200)
      assert.equal((await introspect('orders-api', token)).body.active, true, 'another client cannot revoke it')
      assert.equal((await post('/token/revocation', 'svc', { token })).status, 200)
      assert.deepEqual((await introspect('orders-api', token)).body, { active: false })
    })

    it('answers inactive for a JWT signed by someone else and for an expired one', async (t) => {
      const genuine = await accessToken()
      const { privateKey } = await generateKeyPair('ES256')
      const now = Math.floor(Date.now() / 1000)
      const forged = await new SignJWT({ client_id: 'svc', sub: 'svc', scope: 'orders:write', jti: 'forged-1' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: decodeProtectedHeader(genuine).kid })
        .setIssuer(server!.url).setAudience(API).setIssuedAt(now).setExpirationTime(now + 600)
        .sign(privateKey)
      assert.deepEqual((await introspect('orders-api', forged)).body, { active: false })

      const shortLived = await accessToken({ resource: SHORT, scope: 'ping' })
      assert.equal((await introspect('orders-api', shortLived)).body.active, true)
      // One-second lifetime: wait until it has certainly passed.
      await sleep(2100)
      assert.deepEqual((await introspect('orders-api', shortLived)).body, { active: false })
    })

    it('refuses an unknown resource with invalid_target', async (t) => {
      const res = await post('/token', 'svc', { grant_type: 'client_credentials', resource: 'https://unknown.example.com' })
      assert.equal(res.status, 400)
      assert.equal(res.body.error, 'invalid_target')
    })

    it('still issues and introspects opaque tokens without a resource', async (t) => {
      const token = await accessToken({})
      assert.notEqual(token.split('.').length, 3, 'opaque, not a JWT')
      const { body } = await introspect('orders-api', token)
      assert.equal(body.active, true)
      assert.equal(body.client_id, 'svc')
      assert.equal(body.token_type, 'Bearer')
      assert.deepEqual((await introspect('other', token)).body, { active: false })
      assert.equal((await post('/token/revocation', 'svc', { token })).status, 200)
      assert.deepEqual((await introspect('orders-api', token)).body, { active: false })
    })
  })
}
