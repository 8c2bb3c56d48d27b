// The tenancy admin API against a real server process on each store backend, with every kind of
// caller: the operator (preshared key), an organization administrator holding a JWT for the API's
// audience from a real local sign-in (its opaque access token may only read), a service client
// with client_credentials tokens (opaque: reads only; a JWT for the API's audience), and a user
// of a trusted external IdP known from its token alone.
// A service account's certificate-bound token (RFC 8705) works over the mTLS listener, where the
// certificate is presented, and is refused on the plain-HTTP port, where it cannot be.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createPublicKey, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createLocalAccounts } from '../../src/identity/index.ts'
import { formAction } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { freePort } from '../support/process.ts'
import { withServerStore } from '../support/server-store.ts'
import { listenLoopback, spaClient, spaRelyingParty } from '../support/upstream.ts'
import { jsonApi, type Reply } from '../support/json-api.ts'

const ISSUER = 'http://localhost:7452'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const PASSWORD = 'tenancy-api-password-0123'
const KEY = 'tenancy-api-preshared-key-0123456789'
const API = 'https://tenancy.gatehouse.test'

// The organization's own IdP, for trusted-issuer tokens: its keys served as JWKS.
const corp = await listenLoopback()
const pair = await generateKeyPair('ES256')
const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'corp-1', alg: 'ES256' }
corp.server.on('request', (_req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ keys: [jwk] }))
})
after(() => new Promise<void>((resolve) => corp.server.close(() => resolve())))
const corpToken = (sub: string, groups: string[]) => new SignJWT({ groups }).setProtectedHeader({ alg: 'ES256', kid: 'corp-1' })
  .setIssuer(corp.issuer).setAudience('gatehouse').setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(pair.privateKey)


for (const backend of BACKENDS) {
  describe(`tenancy API (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_ISSUER: ISSUER,
      GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD,
      GATEHOUSE_PRESHARED_KEYS: KEY,
      GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: API, scopes: ['tenancy'] }, { indicator: 'https://other.gatehouse.test', scopes: ['other'] }]),
      GATEHOUSE_API_AUDIENCES: API,
      GATEHOUSE_TRUSTED_ISSUERS: JSON.stringify([{ issuer: corp.issuer, audiences: ['gatehouse'], jwksUri: `${corp.issuer}/keys`, id: 'corp' }]),
    })
    const ids: Record<string, string> = {}
    let robotSecret = ''
    let olivia = ''

    const { call, expect } = jsonApi(() => server.current()!.url)

    /**
     * A real sign-in of a local account through the spa client: its opaque access token, or with
     * `resource` (RFC 8707, in the authorization request) a JWT for that API.
     */
    async function signIn(username: string, resource?: string): Promise<string> {
      const rp = await spaRelyingParty(ISSUER, () => server.current().url, RP)
      const b = rp.browser()
      const flow = await rp.begin({ redirect_uri: CALLBACK, scope: resource === undefined ? 'openid profile' : 'openid profile tenancy', ...(resource === undefined ? {} : { resource }) })
      const page = await b.browse(flow.url)
      const done = await b.browse(formAction(page.html, '/login'), { method: 'POST', form: { username, password: PASSWORD } })
      assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
      return (await flow.redeem(done.location)).access_token
    }

    async function robotToken(form: Record<string, string> = {}): Promise<string> {
      const res = await fetch(new URL('/token', server.current()!.url), {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`robot:${robotSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
      })
      const body = await res.text()
      assert.equal(res.status, 200, body)
      return (JSON.parse(body) as { access_token: string }).access_token
    }

    before(async () => {
      const current = server.current()
      if (!current) return
      await withServerStore(current, async (store) => {
        await store.oidcClients.upsert(spaClient(CALLBACK))
        await createLocalAccounts({ repo: store.localAccounts }).create({ username: 'olivia', password: PASSWORD })
      })
      const robot = await expect(call('POST', '/api/v1/clients', KEY, { id: 'robot', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['tenancy', 'other'] }), 201)
      robotSecret = robot.secret
    })

    it('answers 401 without a credential or with a bad one, and serves its OpenAPI document openly', async (t) => {
      await expect(call('GET', '/api/v1/organizations', undefined), 401, 'unauthenticated')
      await expect(call('GET', '/api/v1/organizations', 'not-a-token'), 401, 'unauthenticated')
      await expect(call('POST', '/api/v1/organizations', 'a.b.c', '{"broken"'), 401, 'unauthenticated')
      await expect(call('GET', '/api/v1/acl', `${KEY}x`), 401, 'unauthenticated')
      const document = await expect(call('GET', '/api/v1/openapi.json', undefined), 200)
      assert.equal(document.openapi, '3.1.0')
      assert.ok(document.paths['/api/v1/organizations/{org}/groups/{group}'].put)
    })

    it('lets the operator set up organizations, roles, groups, projects and service accounts', async (t) => {
      ids.acme = (await expect(call('POST', '/api/v1/organizations', KEY, { name: 'acme', displayName: 'Acme' }), 201)).id
      ids.globex = (await expect(call('POST', '/api/v1/organizations', KEY, { name: 'globex' }), 201)).id
      await expect(call('POST', '/api/v1/roles', KEY, { name: 'cluster-reader', scopes: { project: { 'kubernetes:clusters': ['read'] } } }), 201)
      await expect(call('POST', '/api/v1/organizations/acme/groups', KEY, { name: 'admins', members: [{ id: 'olivia', issuer: 'local' }], roleIds: ['administrator'] }), 201)
      await expect(call('POST', '/api/v1/organizations/acme/groups', KEY, { name: 'sre', upstreamGroups: ['corp:sre'], roleIds: ['reader'] }), 201)
      const sa = await expect(call('POST', '/api/v1/organizations/acme/serviceaccounts', KEY, { name: 'robot', clientId: 'robot' }), 201)
      await expect(call('POST', '/api/v1/organizations/acme/groups', KEY, { name: 'robots', serviceAccountIds: [sa.id], roleIds: ['reader'] }), 201)
      await expect(call('POST', '/api/v1/organizations/globex/groups', KEY, { name: 'devs', roleIds: ['cluster-reader'] }), 201)
      await expect(call('POST', '/api/v1/organizations/globex/projects', KEY, { name: 'web', groupIds: ['devs'] }), 201)
      const listed = await expect(call('GET', '/api/v1/organizations', KEY), 200)
      assert.deepEqual(listed.items.map((o: { name: string }) => o.name), ['acme', 'globex'])
    })

    it('lets an administrator signed in through Gatehouse manage its organization, and nothing else', async (t) => {
      // Her opaque token (any relying party she signs in to holds one) may read, never change.
      const opaque = await signIn('olivia')
      assert.equal(opaque.split('.').length, 1, 'an opaque access token')
      assert.equal((await expect(call('GET', '/api/v1/organizations/acme/acl', opaque), 200)).organization.id, ids.acme)
      const refused = await expect(call('POST', '/api/v1/organizations/acme/groups', opaque, { name: 'ops' }), 403, 'token_not_for_writes')
      assert.match(refused.message, /GATEHOUSE_API_AUDIENCES/)
      olivia = await signIn('olivia', API)
      assert.equal(olivia.split('.').length, 3, 'a JWT for the API')
      assert.deepEqual((await expect(call('GET', '/api/v1/organizations', olivia), 200)).items.map((o: { id: string }) => o.id), [ids.acme])
      await expect(call('POST', '/api/v1/organizations/acme/groups', olivia, { name: 'ops', members: [{ id: 'pat', issuer: 'local' }], roleIds: ['user'] }), 201)
      await expect(call('POST', `/api/v1/organizations/${ids.acme}/projects`, olivia, { name: 'shop', groupIds: ['ops'] }), 201)
      await expect(call('PUT', '/api/v1/organizations/acme/groups/ops', olivia, { name: 'ops', roleIds: ['user'] }), 200)
      await expect(call('PATCH', '/api/v1/organizations/acme', olivia, { description: 'Widgets' }), 200)
      await expect(call('GET', '/api/v1/organizations/globex', olivia), 403, 'organization_forbidden')
      await expect(call('POST', '/api/v1/organizations/globex/projects', olivia, { name: 'mine' }), 403, 'organization_forbidden')
      await expect(call('POST', '/api/v1/organizations', olivia, { name: 'initech' }), 403, 'permission_denied')
      await expect(call('PATCH', '/api/v1/organizations/acme', olivia, { domains: ['acme.test'] }), 403, 'permission_denied')
      await expect(call('PUT', '/api/v1/roles/cluster-reader', olivia, { name: 'cluster-reader', scopes: {} }), 403, 'permission_denied')
      await expect(call('GET', '/api/v1/organizations/acme/groups/nope', olivia), 404, 'group_not_found')
      await expect(call('DELETE', '/api/v1/organizations/acme/projects/nope', olivia), 404, 'project_not_found')
      await expect(call('POST', '/api/v1/organizations/acme/groups', olivia, { name: 'ops' }), 409, 'name_taken')
      for (const body of ['{"name":', { name: 'x', extra: true }, { name: ['x'] }, { name: 'x', members: 'olivia' }, [1, 2]]) {
        const reply = await expect(call('POST', '/api/v1/organizations/acme/groups', olivia, body), 400, 'validation_error')
        assert.equal(typeof reply.message, 'string')
      }
      await expect(call('DELETE', '/api/v1/organizations/acme/projects/shop', olivia), 204)
    })

    it('answers ACLs in Unikorn Identity\'s shape', async (t) => {
      const one = await expect(call('GET', '/api/v1/organizations/acme/acl', olivia), 200)
      assert.deepEqual(Object.keys(one), ['organization'])
      assert.deepEqual(Object.keys(one.organization), ['id', 'name', 'endpoints', 'projects'])
      assert.equal(one.organization.id, ids.acme)
      assert.deepEqual(one.organization.endpoints.find((e: { name: string }) => e.name === 'identity:organizations'), { name: 'identity:organizations', operations: ['read', 'update'] })
      const everywhere = await expect(call('GET', '/api/v1/acl', olivia), 200)
      assert.deepEqual(everywhere, { organizations: [one.organization] })
      const operator = await expect(call('GET', '/api/v1/acl', KEY), 200)
      assert.deepEqual(operator.organizations.map((o: { id: string }) => o.id), [ids.acme, ids.globex])
      assert.ok(Array.isArray(operator.global) && operator.global.length > 0)
    })

    it('shows the organization\'s audit entries, with who and from where', async (t) => {
      const page = await expect(call('GET', '/api/v1/organizations/acme/audit?limit=1000', olivia), 200)
      const actions = page.entries.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`)
      for (const expected of ['system organization.create', 'system group.create', 'local:olivia group.create', 'local:olivia project.create', 'local:olivia project.delete', 'local:olivia organization.update']) {
        assert.ok(actions.includes(expected), expected)
      }
      assert.ok(page.entries.every((e: { organizationId: string }) => e.organizationId === ids.acme))
      assert.ok(page.entries.find((e: { actor: string }) => e.actor === 'local:olivia').sourceIp)
      await expect(call('GET', '/api/v1/organizations/globex/audit', olivia), 403, 'organization_forbidden')
    })

    it('lets a service client act as its service account: reading with an opaque token or a JWT for the API, changing with the JWT only', async (t) => {
      const opaque = await robotToken()
      // Issued on the token fast path (the first request verified the secret): it must act as
      // the provider's own token does.
      const jwt = await robotToken({ resource: API, scope: 'tenancy' })
      assert.equal(jwt.split('.').length, 3)
      for (const token of [opaque, jwt]) {
        assert.deepEqual((await expect(call('GET', '/api/v1/organizations', token), 200)).items.map((o: { id: string }) => o.id), [ids.acme])
        await expect(call('GET', '/api/v1/organizations/acme/groups', token), 200)
        await expect(call('GET', '/api/v1/organizations/globex', token), 403, 'organization_forbidden')
      }
      await expect(call('POST', '/api/v1/organizations/acme/groups', opaque, { name: 'robot-made' }), 403, 'token_not_for_writes')
      await expect(call('POST', '/api/v1/organizations/acme/groups', jwt, { name: 'robot-made' }), 403, 'permission_denied')
      const elsewhere = await robotToken({ resource: 'https://other.gatehouse.test', scope: 'other' })
      await expect(call('GET', '/api/v1/organizations', elsewhere), 401, 'unauthenticated')
    })

    it('admits a trusted IdP\'s user through its qualified groups, with no stored user', async (t) => {
      const acl = await expect(call('GET', '/api/v1/acl', await corpToken('megan', ['sre'])), 200)
      assert.deepEqual(acl.organizations.map((o: { id: string }) => o.id), [ids.acme])
      await expect(call('GET', '/api/v1/organizations/acme/audit?limit=1', await corpToken('megan', ['sre'])), 200)
      // Its tokens are configured for Gatehouse explicitly: a write is up to the ACL (reader: no).
      await expect(call('POST', '/api/v1/organizations/acme/groups', await corpToken('megan', ['sre']), { name: 'megan-made' }), 403, 'permission_denied')
      await expect(call('GET', '/api/v1/organizations/acme', await corpToken('mallory', ['contractors'])), 403, 'organization_forbidden')
    })
  })
}

describe('tenancy API and certificate-bound tokens (sqlite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tenancy-mtls-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string) => join(dir, name)
  for (const [name, extra] of [['server', ['-addext', 'subjectAltName=IP:127.0.0.1']], ['svc', []], ['thief', []]] as const) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file(`${name}.key`),
      '-out', file(`${name}.crt`), '-days', '1', '-subj', `/CN=${name}`, ...extra], { stdio: 'ignore' })
  }
  const mtlsPort = await freePort()
  const server = serverPerSuite('sqlite', {
    GATEHOUSE_PRESHARED_KEYS: KEY, GATEHOUSE_MTLS_PORT: String(mtlsPort),
    GATEHOUSE_MTLS_CERT: file('server.crt'), GATEHOUSE_MTLS_KEY: file('server.key'),
    GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: API, scopes: ['tenancy'] }]), GATEHOUSE_API_AUDIENCES: API,
  })

  /** Over the mTLS listener, presenting the service's certificate (or another one). */
  const overMtls = (method: string, path: string, headers: Record<string, string>, body = '', as = 'svc') => new Promise<Reply>((resolve, reject) => {
    const req = request(`https://127.0.0.1:${mtlsPort}${path}`, {
      method, agent: false, ca: readFileSync(file('server.crt')), cert: readFileSync(file(`${as}.crt`)), key: readFileSync(file(`${as}.key`)),
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      let text = ''
      res.on('data', (d) => { text += String(d) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(body)
  })

  it('serves a service account its ACL over mTLS with its certificate-bound token, and refuses the token elsewhere', async () => {
    const cert = new X509Certificate(readFileSync(file('svc.crt')))
    const jwk = { ...createPublicKey(readFileSync(file('svc.key'))).export({ format: 'jwk' }), x5c: [cert.raw.toString('base64')] }
    await withServerStore(server.current()!, (store) => store.oidcClients.upsert({
      clientId: 'svc', secretHash: null, source: 'api',
      metadata: {
        grant_types: ['client_credentials'], response_types: [], redirect_uris: [], tls_client_certificate_bound_access_tokens: true,
        token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwk] },
      },
    }))
    const operator = async (path: string, body: unknown) => {
      const res = await fetch(new URL(path, server.current()!.url), { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      assert.equal(res.status, 201, path)
      return (await res.json()) as { id: string }
    }
    await operator('/api/v1/organizations', { name: 'acme' })
    await operator('/api/v1/organizations', { name: 'globex' })
    const sa = await operator('/api/v1/organizations/acme/serviceaccounts', { name: 'svc', clientId: 'svc' })
    const group = await operator('/api/v1/organizations/acme/groups', { name: 'robots', serviceAccountIds: [sa.id], roleIds: ['reader'] })
    await operator('/api/v1/organizations/acme/projects', { name: 'web', groupIds: [group.id] })

    const issued = await overMtls('POST', '/token', { 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials&client_id=svc')
    assert.equal(issued.status, 200, JSON.stringify(issued.body))
    const bearer = { authorization: `Bearer ${issued.body.access_token}` }

    const acl = await overMtls('GET', '/api/v1/organizations/acme/acl', bearer)
    assert.equal(acl.status, 200, JSON.stringify(acl.body))
    assert.deepEqual(acl.body.organization.projects.map((p: { name: string }) => p.name), ['web'])
    assert.ok(acl.body.organization.endpoints.every((e: { operations: string[] }) => e.operations.join() === 'read'))
    const elsewhere = await overMtls('GET', '/api/v1/organizations/globex/acl', bearer)
    assert.deepEqual([elsewhere.status, elsewhere.body.code], [403, 'organization_forbidden'])
    // Opaque, like every token asked for without `resource`: it may read, not change. A
    // certificate-bound JWT for the API may: the ACL decides (reader: no).
    const project = (headers: Record<string, string>) => overMtls('POST', '/api/v1/organizations/acme/projects', { ...headers, 'content-type': 'application/json' }, '{"name":"svc-made"}')
    const write = await project(bearer)
    assert.deepEqual([write.status, write.body.code], [403, 'token_not_for_writes'])
    const forApi = await overMtls('POST', '/token', { 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=client_credentials&client_id=svc&resource=${encodeURIComponent(API)}&scope=tenancy`)
    assert.equal(forApi.status, 200, JSON.stringify(forApi.body))
    assert.equal(forApi.body.access_token.split('.').length, 3)
    const jwtWrite = await project({ authorization: `Bearer ${forApi.body.access_token}` })
    assert.deepEqual([jwtWrite.status, jwtWrite.body.code], [403, 'permission_denied'])
    const jwtStolen = await overMtls('GET', '/api/v1/organizations/acme/acl', { authorization: `Bearer ${forApi.body.access_token}` }, '', 'thief')
    assert.deepEqual([jwtStolen.status, jwtStolen.body.code], [401, 'certificate_bound_token'])

    // The same token with another certificate, or on the plain-HTTP port, proves nothing.
    const stolen = await overMtls('GET', '/api/v1/organizations/acme/acl', bearer, '', 'thief')
    assert.deepEqual([stolen.status, stolen.body.code], [401, 'certificate_bound_token'])
    const res = await fetch(new URL('/api/v1/organizations/acme/acl', server.current()!.url), { headers: bearer })
    assert.equal(res.status, 401)
    assert.equal(((await res.json()) as { code: string }).code, 'certificate_bound_token')
    // Only the tenancy API is routed there: the OpenFGA API stays on the main port.
    assert.equal((await overMtls('GET', '/stores', { authorization: `Bearer ${KEY}` })).status, 404)
  })
})
