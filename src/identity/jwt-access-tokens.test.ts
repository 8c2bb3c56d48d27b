// The provider with the JWT access token middleware, served by node:http on a private SQLite
// store: what a resource server sees when it introspects or a client revokes a JWT.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import { openSqliteStore } from '../store/sqlite/index.ts'
import type { Store } from '../store/index.ts'
import { CLIENT_EXTRA_METADATA, createOidcProvider } from './provider.ts'
import { createJwtAccessTokenVerifier, REVOKED_JWT_MODEL } from './jwt-access-tokens.ts'
import { GENERATED_SECRET_PARAMS, hashSecret } from './secrets.ts'

const NS = 'https://gatehouse.dev/claims'
const API = 'https://api.example.com'

describe('JWT access tokens: introspection and revocation', () => {
  let store: Store
  let server: Server
  let issuer: string
  let privateJwk: JWK

  const basic = (id: string) => `Basic ${Buffer.from(`${id}:${id}-secret-0123456789`).toString('base64')}`
  async function post(path: string, client: string, form: Record<string, string>) {
    const res = await fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form),
    })
    const text = await res.text()
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> }
  }
  const token = async (client = 'svc') => {
    const res = await post('/token', client, { grant_type: 'client_credentials', resource: API, scope: 'read' })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.access_token as string
  }
  const introspect = (by: string, value: string) => post('/token/introspection', by, { token: value })
  const sign = (claims: Record<string, unknown>, typ = 'at+jwt') =>
    importJWK(privateJwk, 'ES256').then((key) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ, kid: privateJwk.kid }).sign(key))

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }
    const resourceScopes = { 'urn:gatehouse:resource_scopes': ['read', 'write'] }
    for (const [id, extra] of [['svc', resourceScopes], ['other', resourceScopes], ['rs', { [CLIENT_EXTRA_METADATA.mayIntrospect]: true }]] as const) {
      await store.oidcClients.upsert({
        clientId: id, metadata: { ...common, ...extra }, source: 'api',
        secretHash: await hashSecret(`${id}-secret-0123456789`, GENERATED_SECRET_PARAMS),
      })
    }
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const provider = createOidcProvider({
      issuer,
      jwks: { keys: [privateJwk] },
      store: { oidc: store.oidc, oidcClients: store.oidcClients },
      secretKey: 'unit-test-secret-key-0123456789abcdef',
      ttl: { accessToken: 600, idToken: 600, refreshToken: 3600, session: 3600 },
      claimNamespace: NS,
      findAccount: async () => undefined,
      resourceServers: [{ indicator: API, scopes: ['read', 'write'] }],
    })
    server.on('request', provider.callback())
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await store.close()
  })

  it('answers active with the RFC 7662 fields to the token\'s own client and to a resource server', async () => {
    const jwt = await token()
    assert.equal(jwt.split('.').length, 3)
    for (const by of ['svc', 'rs']) {
      const { status, body } = await introspect(by, jwt)
      assert.equal(status, 200)
      assert.equal(body.active, true, by)
      assert.equal(body.client_id, 'svc')
      assert.equal(body.sub, 'svc')
      assert.equal(body.aud, API)
      assert.equal(body.iss, issuer)
      assert.equal(body.scope, 'read')
      assert.equal(body.token_type, 'Bearer')
      assert.equal(typeof body.jti, 'string')
      assert.ok(typeof body.exp === 'number' && typeof body.iat === 'number' && body.exp > body.iat)
      assert.deepEqual(body[NS], { acctype: 'service' })
    }
  })

  it('answers inactive to a client that is neither the token\'s nor allowed to introspect', async () => {
    assert.deepEqual((await introspect('other', await token())).body, { active: false })
  })

  it('does not accept a JWT signed by our key that is not an access token, is expired, or names another issuer', async () => {
    const now = Math.floor(Date.now() / 1000)
    const claims = { jti: 'x1', client_id: 'svc', sub: 'svc', aud: API, iss: issuer, iat: now, exp: now + 600 }
    assert.equal((await introspect('rs', await sign(claims))).body.active, true, 'the control token must pass')
    assert.deepEqual((await introspect('rs', await sign(claims, 'JWT'))).body, { active: false })
    assert.deepEqual((await introspect('rs', await sign({ ...claims, iat: now - 700, exp: now - 100 }))).body, { active: false })
    assert.deepEqual((await introspect('rs', await sign({ ...claims, iss: 'https://elsewhere.example' }))).body, { active: false })
    const { privateKey } = await generateKeyPair('ES256')
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: privateJwk.kid }).sign(privateKey)
    assert.deepEqual((await introspect('rs', foreign)).body, { active: false })
  })

  it('revokes a JWT for its own client only, until it expires', async () => {
    const jwt = await token()
    const jti = (await introspect('rs', jwt)).body.jti as string
    const byOther = await post('/token/revocation', 'other', { token: jwt })
    assert.equal(byOther.status, 200)
    assert.equal((await introspect('rs', jwt)).body.active, true, 'another client cannot revoke it')
    const byOwner = await post('/token/revocation', 'svc', { token: jwt })
    assert.equal(byOwner.status, 200)
    assert.deepEqual((await introspect('rs', jwt)).body, { active: false })
    assert.deepEqual((await introspect('svc', jwt)).body, { active: false })
    assert.ok(await store.oidc.find(REVOKED_JWT_MODEL, jti), 'kept in the artefact store')
  })

  it('stops accepting a remembered token once it expires', async () => {
    let clock = Math.floor(Date.now() / 1000)
    const verify = createJwtAccessTokenVerifier({ issuer, jwks: { keys: [privateJwk] }, now: () => clock })
    const jwt = await sign({ jti: 'x2', client_id: 'svc', aud: API, iss: issuer, iat: clock, exp: clock + 60 })
    assert.equal((await verify(jwt))?.jti, 'x2')
    assert.equal((await verify(jwt))?.jti, 'x2')
    clock += 60
    assert.equal(await verify(jwt), undefined)
    clock -= 30
    assert.equal((await verify(jwt))?.jti, 'x2', 'verified afresh, not remembered as bad')
  })

  it('still rejects an unauthenticated caller', async () => {
    const jwt = await token()
    const res = await fetch(`${issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('rs:wrong').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: jwt }),
    })
    assert.equal(res.status, 401)
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client')
  })
})
