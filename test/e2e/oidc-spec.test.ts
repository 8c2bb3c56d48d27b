// The letter of the specs that foreign relying parties (Authlib, PyJWT, jwcrypto, oidc-client-ts)
// check, against a real server process: token response headers and scope reporting, client
// authentication errors, unregistered grant types, redirect_uri on every code round, discovery,
// revocation's answer, DPoP-bound JWTs in introspection, and refresh with the original scope.
// Protocol behaviour does not depend on the store: SQLite only.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose'
import * as oidc from 'openid-client'
import { authorize, basic, CALLBACK, createClient, discover, passwordSignIn, postForm } from '../support/foreign-rp.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'

const PASSWORD = 'correct horse battery staple'
const API = 'https://api.example.com'
const SVC_SECRET = 'svc-secret-0123456789abcdefghijklmnop'
const WEB_SECRET = 'web-secret-0123456789abcdefghijklmnop'

describe('OpenID Connect as foreign relying parties read it', () => {
  let server: GatehouseProcess
  let base: string
  let web: oidc.Configuration
  const svcAuth = basic('svc', SVC_SECRET)

  before(async () => {
    server = await startGatehouse({
      GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD,
      GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: API, scopes: ['orders:read', 'orders:write'] }]),
    })
    base = server.url
    await createClient(base, { id: 'svc', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], secret: SVC_SECRET })
    await createClient(base, {
      id: 'web', type: 'confidential', firstParty: true, redirectUris: [CALLBACK], grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'], secret: WEB_SECRET,
    })
    web = await discover(base, 'web', WEB_SECRET)
  })
  after(async () => { await server?.close() })

  it('token responses carry Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1)', async () => {
    const res = await postForm(base, '/token', { grant_type: 'client_credentials' }, svcAuth)
    assert.equal(res.status, 200, res.text)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(res.headers.get('pragma'), 'no-cache')
    const refused = await postForm(base, '/token', { grant_type: 'client_credentials', resource: 'https://nope.example.com' }, svcAuth)
    assert.equal(refused.headers.get('pragma'), 'no-cache')
  })

  for (const path of ['/token', '/token/introspection', '/token/revocation']) {
    it(`${path} without client authentication is 401 invalid_client with a challenge`, async () => {
      const res = await postForm(base, path, { grant_type: 'client_credentials', token: 'abc' })
      assert.equal(res.status, 401, res.text)
      assert.equal(res.body.error, 'invalid_client')
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/)
    })
  }

  it('a wrong secret in the Authorization header is 401 invalid_client with a challenge', async () => {
    const res = await postForm(base, '/token', { grant_type: 'client_credentials' }, basic('svc', 'not-the-secret-0123456789abcdefghijk'))
    assert.equal(res.status, 401)
    assert.equal(res.body.error, 'invalid_client')
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
  })

  it('a grant type the client is not registered for is unauthorized_client', async () => {
    const res = await postForm(base, '/token', { grant_type: 'refresh_token', refresh_token: 'whatever' }, svcAuth)
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'unauthorized_client')
  })

  it('an authorization request without redirect_uri is refused although one URI is registered', async () => {
    const url = new URL('/auth', base)
    url.search = new URLSearchParams({
      client_id: 'web', response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString()
    const res = await fetch(url, { redirect: 'manual' })
    assert.equal(res.status, 400, 'an error page, no redirect')
    assert.match(await res.text(), /redirect_uri/)
  })

  it('a code redeemed without redirect_uri is refused', async () => {
    const { callback, verifier } = await authorize(web, base, { password: PASSWORD })
    const code = callback.searchParams.get('code')!
    const res = await postForm(base, '/token', { grant_type: 'authorization_code', code, code_verifier: verifier }, basic('web', WEB_SECRET))
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.error, 'invalid_request')
    assert.match(res.body.error_description, /redirect_uri/)
  })

  it('reports a narrowed scope, also when nothing of it was granted; JWT access tokens carry scope', async () => {
    const narrowed = await postForm(base, '/token', { grant_type: 'client_credentials', resource: API, scope: 'orders:read orders:write' }, svcAuth)
    assert.equal(narrowed.body.scope, 'orders:read')
    assert.equal(decodeJwt(narrowed.body.access_token).scope, 'orders:read')
    const none = await postForm(base, '/token', { grant_type: 'client_credentials', resource: API, scope: 'orders:write' }, svcAuth)
    assert.equal(none.status, 200, none.text)
    assert.equal(none.body.scope, '', 'reported as granted: nothing')
    assert.equal(decodeJwt(none.body.access_token).scope, '')
    const opaque = await postForm(base, '/token', { grant_type: 'client_credentials', scope: 'orders:read' }, svcAuth)
    assert.equal(opaque.body.scope, '')
  })

  it('gives a client only the resource-server scopes it is registered for: none by default', async () => {
    // A first-party client registered for OpenID scopes only names the API and asks for its scope.
    const { tokens } = await passwordSignIn(web, base, { password: PASSWORD, params: { scope: 'openid orders:write', resource: API } })
    const claims = decodeJwt(tokens.access_token)
    assert.equal(claims.aud, API)
    assert.equal(claims.scope, '', 'orders:write is not the client\'s to get')
    assert.equal(tokens.scope, '')
    await createClient(base, { id: 'bare', type: 'confidential', grantTypes: ['client_credentials'], secret: SVC_SECRET })
    const bare = await postForm(base, '/token', { grant_type: 'client_credentials', resource: API, scope: 'orders:read orders:write' }, basic('bare', SVC_SECRET))
    assert.equal(bare.status, 200, bare.text)
    assert.equal(bare.body.scope, '')
    assert.equal(decodeJwt(bare.body.access_token).scope, '')
  })

  it('accepts a private_key_jwt assertion that lives minutes, refuses one that lives a year', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    await createClient(base, {
      id: 'signer', type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'k1' }] },
    })
    const now = Math.floor(Date.now() / 1000)
    const assertion = (claims: { iat?: number; exp: number }) => {
      const jwt = new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('signer').setSubject('signer').setAudience(`${base}/token`).setExpirationTime(claims.exp)
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat)
      return jwt.sign(privateKey)
    }
    const tokenWith = async (claims: { iat?: number; exp: number }) => postForm(base, '/token', {
      grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(claims),
    })
    const year = await tokenWith({ iat: now, exp: now + 365 * 86400 })
    assert.equal(year.status, 401, year.text)
    assert.equal(year.body.error, 'invalid_client')
    assert.equal((await tokenWith({ exp: now + 365 * 86400 })).status, 401, 'without iat too')
    const fresh = await tokenWith({ iat: now, exp: now + 60 })
    assert.equal(fresh.status, 200, fresh.text)
  })

  it('puts email and groups in the ID tokens of clients registered for them, as kube-apiserver and Argo CD read them', async () => {
    await withServerStore(server, (store) => store.localAccounts.setProfile('admin', { email: 'admin@example.com', groups: ['kube-admins', 'argocd-admins'] }))
    await createClient(base, {
      id: 'kube', type: 'public', firstParty: true, redirectUris: [CALLBACK], scopes: ['openid', 'email', 'groups', 'profile'], idTokenClaims: ['email', 'groups'],
    })
    const kube = await discover(base, 'kube')
    const { tokens } = await passwordSignIn(kube, base, { password: PASSWORD, params: { scope: 'openid email groups profile' } })
    const id = tokens.claims()!
    assert.equal(id.email, 'admin@example.com')
    assert.equal(id.email_verified, true)
    assert.deepEqual(id.groups, ['kube-admins', 'argocd-admins'])
    assert.equal(id.name, undefined, 'profile claims stay in userinfo: not listed in idTokenClaims')
    assert.equal(typeof id.sid, 'string')
    assert.deepEqual(id.amr, ['pwd'])
    assert.equal(id.acr, 'urn:gatehouse:acr:password')
    // Without the scope, no claim, whatever the client lists.
    const narrow = (await passwordSignIn(kube, base, { password: PASSWORD, params: { scope: 'openid' } })).tokens.claims()!
    assert.equal(narrow.email, undefined)
    assert.equal(narrow.groups, undefined)

    // A client not registered for them: userinfo only, unless the claims parameter asks.
    const plain = (await passwordSignIn(web, base, { password: PASSWORD, params: { scope: 'openid email groups' } })).tokens
    assert.equal(plain.claims()!.email, undefined)
    assert.equal(typeof plain.claims()!.sid, 'string')
    const info = await oidc.fetchUserInfo(web, plain.access_token, plain.claims()!.sub)
    assert.deepEqual([info.email, info.groups], ['admin@example.com', ['kube-admins', 'argocd-admins']])
    const asked = (await passwordSignIn(web, base, { password: PASSWORD, params: { scope: 'openid email', claims: JSON.stringify({ id_token: { email: null } }) } })).tokens
    assert.equal(asked.claims()!.email, 'admin@example.com')
    const doc = await (await fetch(`${base}/.well-known/openid-configuration`)).json() as Record<string, unknown>
    assert.equal(doc.claims_parameter_supported, true)
  })

  it('refuses idTokenClaims that are not identity claims', async () => {
    const res = await fetch(`${base}/api/v1/clients`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'odd', type: 'public', redirectUris: [CALLBACK], idTokenClaims: ['sub'] }),
    })
    assert.equal(res.status, 400)
    assert.match(await res.text(), /idTokenClaims/)
  })

  it('discovery lists the client authentication methods of introspection and revocation', async () => {
    const doc = await (await fetch(`${base}/.well-known/openid-configuration`)).json() as Record<string, unknown>
    assert.deepEqual(doc.introspection_endpoint_auth_methods_supported, doc.token_endpoint_auth_methods_supported)
    assert.deepEqual(doc.revocation_endpoint_auth_methods_supported, doc.token_endpoint_auth_methods_supported)
    const rfc8414 = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>
    assert.ok(Array.isArray(rfc8414.revocation_endpoint_auth_methods_supported))
  })

  it('revocation answers 200 with a JSON body that oidc-client-ts and openid-client accept', async () => {
    const token = (await postForm(base, '/token', { grant_type: 'client_credentials' }, svcAuth)).body.access_token as string
    const res = await postForm(base, '/token/revocation', { token, token_type_hint: 'access_token' }, svcAuth, { accept: 'application/json' })
    assert.equal(res.status, 200)
    // oidc-client-ts (JsonService.postForm) refuses any Content-Type but application/json.
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(JSON.parse(res.text), {})
    const svc = await discover(base, 'svc', SVC_SECRET)
    await oidc.tokenRevocation(svc, token)
    // A JWT access token, revoked through the same answer.
    const jwt = (await postForm(base, '/token', { grant_type: 'client_credentials', resource: API, scope: 'orders:read' }, svcAuth)).body.access_token as string
    const revoked = await postForm(base, '/token/revocation', { token: jwt }, svcAuth)
    assert.match(revoked.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal((await postForm(base, '/token/introspection', { token: jwt }, svcAuth)).body.active, false)
  })

  it('a DPoP-bound JWT access token introspects as token_type DPoP with its key thumbprint', async () => {
    const svc = await discover(base, 'svc', SVC_SECRET)
    const keyPair = await oidc.randomDPoPKeyPair()
    const dpop = oidc.getDPoPHandle(svc, keyPair)
    const tokens = await oidc.clientCredentialsGrant(svc, { resource: API, scope: 'orders:read' }, { DPoP: dpop })
    assert.equal(tokens.token_type.toLowerCase(), 'dpop')
    const info = await postForm(base, '/token/introspection', { token: tokens.access_token }, svcAuth)
    assert.equal(info.body.active, true)
    assert.equal(info.body.token_type, 'DPoP')
    assert.equal(typeof info.body.cnf?.jkt, 'string')
  })

  it('refreshes with the original scope sent again, as Authlib does, for a first-party confidential client', async () => {
    const scope = 'openid profile email groups offline_access'
    const { tokens } = await passwordSignIn(web, base, { password: PASSWORD, params: { scope } })
    assert.ok(tokens.refresh_token)
    const res = await postForm(base, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope }, basic('web', WEB_SECRET))
    assert.equal(res.status, 200, res.text)
    assert.ok(res.body.access_token && res.body.refresh_token && res.body.id_token)
    assert.notEqual(res.body.refresh_token, tokens.refresh_token)
    // And the same through openid-client, with the rotated token.
    const again = await oidc.refreshTokenGrant(web, res.body.refresh_token, { scope })
    assert.ok(again.access_token)
  })
})
