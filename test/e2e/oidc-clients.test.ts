// OIDC clients as managed resources, against a real server process on each backend: the admin
// API behind the preshared key, the declarative bootstrap file (applied again on restart without
// writing), and a client's own login page handing the browser back to start an upstream login.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import { apiClient, assertError } from '../support/api-probe.ts'
import { BACKENDS, backendSkip, startGatehouse, TEST_SECRET_KEY, type GatehouseProcess } from '../support/gatehouse.ts'
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts'

const KEY = 'clients-admin-key-0123456789abcdef'
const BOOT_SECRET = 'bootstrap-secret-0123456789abcdefghijkl'
const LOGIN_PAGE = 'https://login.example.com/signin'
const API = 'https://api.example.com'
const APP_ORIGIN = 'https://app.example.com'

/** The company IdP; only its discovery and authorization endpoint are reached here. */
async function startUpstream(): Promise<{ issuer: string; server: Server }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'gatehouse', client_secret: 'upstream-secret', redirect_uris: ['http://127.0.0.1/unused'] }],
    features: { devInteractions: { enabled: false } },
  })
  server.on('request', provider.callback())
  return { issuer, server }
}

async function clientCredentials(base: string, id: string, secret: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }).toString(),
  })
}

/** `name=value` pairs of every Set-Cookie, for the next request of the same browser. */
const cookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')

function bootstrapFile(upstreamIssuer: string): string {
  return [
    'clients:',
    '  - id: boot-svc',
    '    name: Declared service',
    '    type: confidential',
    '    grantTypes: [client_credentials]',
    `    secret: ${BOOT_SECRET}`,
    'upstreams:',
    '  - id: corp',
    '    kind: oidc',
    `    issuer: ${upstreamIssuer}`,
    '    clientId: gatehouse',
    '    clientSecret: upstream-secret',
    'resourceServers:',
    `  - indicator: ${API}`,
    '    scopes: [api:read, api:write]',
    '',
  ].join('\n')
}

for (const backend of BACKENDS) {
  describe(`OIDC clients: admin API, bootstrap file, login URI (${backend})`, { skip: await backendSkip(backend) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-clients-'))
    const file = join(dir, 'bootstrap.yaml')
    let upstream: { issuer: string; server: Server }
    let db: TestDatabase | undefined
    let server: GatehouseProcess | undefined
    let env: Record<string, string> = {}
    const send = () => apiClient(server!.url, KEY)

    before(async () => {
      if (backend === 'postgres') {
        db = await createTestDatabase()
      }
      upstream = await startUpstream()
      writeFileSync(file, bootstrapFile(upstream.issuer))
      env = {
        GATEHOUSE_PRESHARED_KEYS: KEY,
        GATEHOUSE_BOOTSTRAP_FILE: file,
        GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
        GATEHOUSE_LOG_LEVEL: 'info',
        GATEHOUSE_DATABASE_URL: db?.url ?? `sqlite://${join(dir, 'gatehouse.db')}`,
      }
      server = await startGatehouse(env)
    })
    after(async () => {
      await server?.close()
      await db?.drop()
      upstream?.server.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('creates a client through the admin API whose secret gets tokens, and rotation retires the old secret', async (t) => {
      const created = await send()('POST', '/api/v1/clients', { body: { id: 'svc-1', type: 'confidential', grantTypes: ['client_credentials'] } })
      assert.equal(created.status, 201, created.text)
      const first = created.body.secret as string
      assert.equal(typeof first, 'string')
      assert.equal(created.body.client.id, 'svc-1')
      assert.equal(created.body.client.source, 'api')

      const token = await clientCredentials(server!.url, 'svc-1', first)
      assert.equal(token.status, 200)
      assert.equal(typeof ((await token.json()) as { access_token?: unknown }).access_token, 'string')

      const read = await send()('GET', '/api/v1/clients/svc-1')
      assert.equal(read.status, 200)
      assert.ok(!read.text.includes(first) && !('secret' in read.body) && !read.text.includes('scrypt$'))
      const listed = await send()('GET', '/api/v1/clients')
      assert.ok(listed.body.items.some((c: { id: string }) => c.id === 'svc-1'))
      assert.deepEqual(listed.body.clients, listed.body.items, 'the old key, for one release')
      assert.ok(!listed.text.includes(first))

      const rotated = await send()('POST', '/api/v1/clients/svc-1/secret')
      assert.equal(rotated.status, 200, rotated.text)
      const second = rotated.body.secret as string
      assert.notEqual(second, first)
      assert.equal((await clientCredentials(server!.url, 'svc-1', first)).status, 401)
      assert.equal((await clientCredentials(server!.url, 'svc-1', second)).status, 200)

      const updated = await send()('PUT', '/api/v1/clients/svc-1', { body: { type: 'confidential', grantTypes: ['client_credentials'], name: 'Renamed' } })
      assert.equal(updated.status, 200, updated.text)
      assert.equal(updated.body.client.name, 'Renamed')
      assert.ok(!('secret' in updated.body))
      assert.equal((await clientCredentials(server!.url, 'svc-1', second)).status, 200, 'PUT keeps the secret')

      assert.equal((await send()('DELETE', '/api/v1/clients/svc-1')).status, 204)
      assert.equal((await clientCredentials(server!.url, 'svc-1', second)).status, 401)
    })

    it('answers 401 without the key, and 400/404/409 with stable codes', async (t) => {
      assertError(await send()('GET', '/api/v1/clients', { auth: false }), 401, 'bearer_token_missing')
      assertError(await send()('POST', '/api/v1/clients', { auth: false, body: { id: 'x', type: 'public' } }), 401, 'bearer_token_missing')
      assertError(await send()('POST', '/api/v1/clients', { body: { id: 'bad', type: 'public', redirectUris: ['javascript:x'] } }), 400, 'invalid_client_metadata')
      assertError(await send()('POST', '/api/v1/clients', { body: { id: 'bad', type: 'confidential', tokenEndpointAuthMethod: 'private_key_jwt', grantTypes: ['client_credentials'] } }), 400, 'invalid_client_metadata')
      assertError(await send()('POST', '/api/v1/clients', { body: '[1]' }), 400, 'invalid_client_metadata')
      assertError(await send()('GET', '/api/v1/clients/bad'), 404, 'client_not_found')
      assertError(await send()('GET', '/api/v1/clients/nope'), 404, 'client_not_found')
      assertError(await send()('DELETE', '/api/v1/clients/nope'), 404, 'client_not_found')
      assertError(await send()('POST', '/api/v1/clients/nope/secret'), 404, 'client_not_found')
      const body = { id: 'twice', type: 'public', redirectUris: ['http://127.0.0.1:9/cb'] }
      assert.equal((await send()('POST', '/api/v1/clients', { body })).status, 201)
      assertError(await send()('POST', '/api/v1/clients', { body }), 409, 'client_already_exists')
      assertError(await send()('DELETE', '/api/v1/clients/boot-svc'), 409, 'client_managed_by_bootstrap')
    })

    it('limits a client to its resource-server scopes and its CORS origins', async (t) => {
      const created = await send()('POST', '/api/v1/clients', {
        body: { id: 'reader', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['api:read'], corsOrigins: [APP_ORIGIN] },
      })
      assert.equal(created.status, 201, created.text)
      const secret = created.body.secret as string
      const token = await clientCredentials(server!.url, 'reader', secret, { resource: API, scope: 'api:read api:write' }, { origin: APP_ORIGIN })
      assert.equal(token.status, 200)
      assert.equal(token.headers.get('access-control-allow-origin'), APP_ORIGIN)
      assert.equal(((await token.json()) as { scope?: string }).scope, 'api:read')
      const elsewhere = await clientCredentials(server!.url, 'reader', secret, {}, { origin: 'https://evil.example.com' })
      assert.equal(elsewhere.headers.get('access-control-allow-origin'), null)
      assertError(await send()('POST', '/api/v1/clients', { body: { id: 'typo', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['api:raed'] } }),
        400, 'invalid_client_metadata')
    })

    it('serves the bootstrap file\'s client, and a restart with the same file changes nothing', async (t) => {
      assert.equal((await clientCredentials(server!.url, 'boot-svc', BOOT_SECRET)).status, 200)
      const before = await send()('GET', '/api/v1/clients/boot-svc')
      assert.equal(before.body.client.source, 'bootstrap')
      assert.equal(before.body.client.name, 'Declared service')

      await server!.close()
      server = await startGatehouse(env)
      const applied = server.output().split('\n').filter((l) => l.includes('bootstrap file applied')).map((l) => JSON.parse(l))
      assert.equal(applied.length, 1, server.output())
      assert.deepEqual({ created: applied[0].created, updated: applied[0].updated, deleted: applied[0].deleted, unchanged: applied[0].unchanged },
        { created: 0, updated: 0, deleted: 0, unchanged: 1 })
      const after = await send()('GET', '/api/v1/clients/boot-svc')
      assert.equal(after.body.client.updatedAt, before.body.client.updatedAt)
      assert.equal((await clientCredentials(server.url, 'boot-svc', BOOT_SECRET)).status, 200)
      assert.equal((await send()('GET', '/api/v1/clients/twice')).status, 200, 'API clients survive a restart with the file')
    })

    it('sends the login prompt to the client\'s login page, which hands back with a GET to start the upstream login', async (t) => {
      const redirectUri = 'http://127.0.0.1:9/cb'
      const created = await send()('POST', '/api/v1/clients', { body: { id: 'branded', type: 'public', redirectUris: [redirectUri], scopes: ['openid', 'email'], loginUri: LOGIN_PAGE } })
      assert.equal(created.status, 201, created.text)

      const authorize = new URL('/auth', server!.url)
      authorize.search = new URLSearchParams({
        client_id: 'branded', redirect_uri: redirectUri, response_type: 'code', scope: 'openid email', login_hint: 'anne@example.test',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      }).toString()
      const start = await fetch(authorize, { redirect: 'manual' })
      assert.equal(start.status, 303)
      const landing = new URL(start.headers.get('location')!)
      assert.equal(`${landing.origin}${landing.pathname}`, LOGIN_PAGE)
      assert.equal(landing.searchParams.get('client_id'), 'branded')
      assert.equal(landing.searchParams.get('login_hint'), 'anne@example.test')
      const interaction = new URL(landing.searchParams.get('interaction')!)
      assert.match(interaction.pathname, /^\/interaction\/[\w-]+$/)
      const jar = cookies(start)

      // The fallback: Gatehouse's own page still answers at the interaction URL.
      const own = await fetch(new URL(interaction.pathname, server!.url), { headers: { cookie: jar }, redirect: 'manual' })
      assert.equal(own.status, 200)
      assert.match(await own.text(), /corp/)

      const handBack = await fetch(new URL(`${interaction.pathname}/upstream?provider=corp`, server!.url), { headers: { cookie: jar }, redirect: 'manual' })
      assert.equal(handBack.status, 303, await handBack.text())
      const upstreamAuth = new URL(handBack.headers.get('location')!)
      assert.equal(upstreamAuth.origin, upstream.issuer)
      assert.equal(upstreamAuth.searchParams.get('client_id'), 'gatehouse')

      const noCookie = await fetch(new URL(`${interaction.pathname}/upstream?provider=corp`, server!.url), { redirect: 'manual' })
      assert.equal(noCookie.status, 400, 'without the interaction cookie nothing starts')
    })

    it('refuses to start with a bad bootstrap file, naming the file and the entry', async (t) => {
      const bad = join(dir, 'bad.yaml')
      writeFileSync(bad, 'clients:\n  - id: ok\n    type: public\n    redirectUris: ["https://app.example.com/cb"]\n  - id: broken\n    type: public\n    redirectUris: ["javascript:alert(1)"]\n')
      await assert.rejects(startGatehouse({ ...env, GATEHOUSE_BOOTSTRAP_FILE: bad }), (err: Error) =>
        /exited early \(code 2\)/.test(err.message) && err.message.includes(bad) && /clients\[1\]\.redirectUris\[0\]/.test(err.message))
    })
  })
}
