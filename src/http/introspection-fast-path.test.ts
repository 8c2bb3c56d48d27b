// Introspection over a real socket (the node:http fast path) must answer exactly what
// oidc-provider answers through Fastify's mount (app.inject bypasses the fast path): status, body
// and every header but the date and the request id. Counting the requests the provider sees
// proves which side answered; whatever the fast path declines must reach the provider intact,
// and token and revocation requests, handed to the provider without Fastify, must be answered
// as through Fastify's mount.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import { CLIENT_EXTRA_METADATA } from '../identity/index.ts'
import { basic, FORM, form, ISSUER, NS, secretOf, startFastPathWorld, type FastPathWorld } from '../../test/support/provider-fast-paths.ts'

const API = 'https://api.example.test'
const PATH = '/token/introspection'

interface Case { name: string; headers: Record<string, string>; body: string; fastPath: boolean }

describe('OpenID Connect fast paths: introspection, token and revocation', () => {
  let world: FastPathWorld
  const inject = (url: string, headers: Record<string, string>, body: string) => world.inject(url, headers, body)
  const overSocket = (headers: Record<string, string>, body: string, pauseMs?: number, path = PATH) => world.overSocket(path, headers, body, pauseMs)
  const tokenFor = async (client: string, resource?: string): Promise<string> => {
    const res = await inject('/token', { authorization: basic(client), 'content-type': FORM },
      form(resource ? { grant_type: 'client_credentials', resource, scope: 'read' } : { grant_type: 'client_credentials' }))
    assert.equal(res.status, 200, res.body)
    return JSON.parse(res.body).access_token as string
  }
  const sign = async (claims: Record<string, unknown>, typ = 'at+jwt', jwk = world.privateJwk) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ, kid: jwk.kid }).sign(await importJWK(jwk, 'ES256'))

  before(async () => {
    const scopes = { 'urn:gatehouse:resource_scopes': ['read'] }
    world = await startFastPathWorld({
      clients: [
        ['svc', scopes], ['other', scopes], ['rs', { [CLIENT_EXTRA_METADATA.mayIntrospect]: true }],
        ['post', { ...scopes, token_endpoint_auth_method: 'client_secret_post' }],
      ],
      resourceServers: [{ indicator: API, scopes: ['read'] }],
      fast: { introspection: true },
    })
  })
  after(() => world.close())

  it('answers as oidc-provider does, and answers introspection of JWTs and access tokens itself', async () => {
    const jwt = await tokenFor('svc', API)
    const revoked = await tokenFor('svc', API)
    assert.equal((await inject('/token/revocation', { authorization: basic('svc'), 'content-type': FORM }, form({ token: revoked }))).status, 200)
    const opaque = await tokenFor('svc')
    const revokedOpaque = await tokenFor('svc')
    assert.equal((await inject('/token/revocation', { authorization: basic('svc'), 'content-type': FORM }, form({ token: revokedOpaque }))).status, 200)
    await tokenFor('other')
    // Access tokens of a signed-in user, made with the provider's own models: one on a live
    // grant, one whose grant is gone.
    type Model = new (fields: Record<string, unknown>) => { save(): Promise<string>; addOIDCScope?(scope: string): void; destroy?(): Promise<void> }
    const models = world.provider as unknown as Record<'AccessToken' | 'Grant', Model>
    const svcClient = await world.provider.Client.find('svc')
    const userToken = async (live: boolean) => {
      const grant = new models.Grant({ accountId: 'user-1', clientId: 'svc' })
      grant.addOIDCScope!('openid')
      const grantId = await grant.save()
      const value = await new models.AccessToken({ accountId: 'user-1', client: svcClient, grantId, gty: 'authorization_code', scope: 'openid', sid: 'session-1' }).save()
      if (!live) await grant.destroy!()
      return value
    }
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: ISSUER, sub: 'svc', client_id: 'svc', aud: API, jti: 'forged-1', iat: now, exp: now + 600, scope: 'read' }
    const { privateKey: otherKey } = await generateKeyPair('ES256', { extractable: true })
    const otherJwk = { ...(await exportJWK(otherKey)), kid: 'k1', alg: 'ES256' }
    const rs = { authorization: basic('rs'), 'content-type': FORM }
    const cases: Case[] = [
      { name: 'first use of a secret goes through scrypt at the provider', headers: rs, body: form({ token: jwt }), fastPath: false },
      { name: 'the same secret again', headers: rs, body: form({ token: jwt }), fastPath: true },
      { name: 'own token', headers: { ...rs, authorization: basic('svc') }, body: form({ token: jwt }), fastPath: true },
      { name: 'with a type hint', headers: rs, body: form({ token: jwt, token_type_hint: 'access_token' }), fastPath: true },
      { name: 'another client\'s token', headers: { ...rs, authorization: basic('other') }, body: form({ token: jwt }), fastPath: true },
      { name: 'revoked', headers: rs, body: form({ token: revoked }), fastPath: true },
      { name: 'expired', headers: rs, body: form({ token: await sign({ ...claims, iat: now - 1200, exp: now - 600 }) }), fastPath: true },
      { name: 'signed by another key', headers: rs, body: form({ token: await sign(claims, 'at+jwt', otherJwk) }), fastPath: true },
      { name: 'an ID token', headers: rs, body: form({ token: await sign(claims, 'JWT') }), fastPath: true },
      { name: 'client_secret_post client over Basic, first use', headers: { ...rs, authorization: basic('post') }, body: form({ token: jwt }), fastPath: false },
      { name: 'client_secret_post client over Basic', headers: { ...rs, authorization: basic('post') }, body: form({ token: jwt }), fastPath: true },
      { name: 'percent-encoded Basic credentials', headers: { ...rs, authorization: `Basic ${Buffer.from(`s%76c:${secretOf('svc')}`).toString('base64')}` }, body: form({ token: jwt }), fastPath: true },
      { name: 'wrong secret', headers: { ...rs, authorization: basic('rs', 'wrong-secret-0123456789') }, body: form({ token: jwt }), fastPath: false },
      { name: 'unknown client', headers: { ...rs, authorization: basic('nobody') }, body: form({ token: jwt }), fastPath: false },
      { name: 'malformed Basic', headers: { ...rs, authorization: 'Basic !!!' }, body: form({ token: jwt }), fastPath: false },
      { name: 'Bearer instead of Basic', headers: { ...rs, authorization: 'Bearer x' }, body: form({ token: jwt }), fastPath: false },
      { name: 'no client authentication', headers: { 'content-type': FORM }, body: form({ token: jwt }), fastPath: false },
      { name: 'client_secret_post', headers: { 'content-type': FORM }, body: form({ token: jwt, client_id: 'post', client_secret: secretOf('post') }), fastPath: false },
      { name: 'two mechanisms', headers: rs, body: form({ token: jwt, client_id: 'rs', client_secret: secretOf('rs') }), fastPath: false },
      { name: 'client assertion', headers: { 'content-type': FORM }, body: form({ token: jwt, client_assertion: 'a.b.c', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' }), fastPath: false },
      { name: 'opaque token', headers: rs, body: form({ token: opaque }), fastPath: true },
      { name: 'opaque token, own client', headers: { ...rs, authorization: basic('svc') }, body: form({ token: opaque }), fastPath: true },
      { name: 'opaque token, another client', headers: { ...rs, authorization: basic('other') }, body: form({ token: opaque }), fastPath: true },
      { name: 'opaque token, access token hint', headers: rs, body: form({ token: opaque, token_type_hint: 'access_token' }), fastPath: true },
      { name: 'opaque token, refresh token hint', headers: rs, body: form({ token: opaque, token_type_hint: 'refresh_token' }), fastPath: false },
      { name: 'opaque token, revoked', headers: rs, body: form({ token: revokedOpaque }), fastPath: false },
      { name: 'unknown opaque token', headers: rs, body: form({ token: 'no-such-token-0123456789' }), fastPath: false },
      { name: 'a user\'s access token', headers: rs, body: form({ token: await userToken(true) }), fastPath: true },
      { name: 'a user\'s access token, grant gone', headers: rs, body: form({ token: await userToken(false) }), fastPath: true },
      { name: 'a readable JOSE header, two parts', headers: rs, body: form({ token: `${jwt.split('.')[0]}.x` }), fastPath: false },
      { name: 'no token', headers: rs, body: form({ token_type_hint: 'access_token' }), fastPath: false },
      { name: 'token twice', headers: rs, body: form([['token', jwt], ['token', jwt]]), fastPath: false },
      { name: 'unknown parameter', headers: rs, body: form({ token: jwt, extra: '1' }), fastPath: false },
      { name: 'five-part token', headers: rs, body: form({ token: `${jwt}.x.y` }), fastPath: false },
      { name: 'CORS request', headers: { ...rs, origin: 'https://app.example.test' }, body: form({ token: jwt }), fastPath: false },
      { name: 'charset in the type', headers: { ...rs, 'content-type': `${FORM}; charset=utf-8` }, body: form({ token: jwt }), fastPath: false },
      { name: 'JSON body', headers: { ...rs, 'content-type': 'application/json' }, body: JSON.stringify({ token: jwt }), fastPath: false },
    ]
    const answers = new Map<string, Record<string, unknown>>()
    for (const c of cases) {
      const before = world.seen.provider
      const fast = await overSocket(c.headers, c.body)
      if (fast.status === 200) answers.set(c.name, JSON.parse(fast.body))
      assert.equal(world.seen.provider - before, c.fastPath ? 0 : 1, `${c.name}: answered by ${world.seen.provider > before ? 'the provider' : 'the fast path'}`)
      const slow = await inject(PATH, c.headers, c.body)
      assert.equal(fast.status, slow.status, c.name)
      assert.equal(fast.body, slow.body, c.name)
      assert.deepEqual(fast.headers, slow.headers, c.name)
    }
    // The cases cover both answers, not only the same ones.
    assert.equal(answers.get('own token')?.active, true)
    assert.deepEqual(answers.get('revoked'), { active: false })
    assert.equal(answers.get('opaque token')?.[NS] !== undefined, true)
    assert.deepEqual(answers.get('opaque token, another client'), { active: false })
    assert.equal(answers.get('a user\'s access token')?.sub, 'user-1')
    assert.deepEqual(answers.get('a user\'s access token, grant gone'), { active: false })
  })

  it('stops answering active as soon as a token is revoked', async () => {
    const jwt = await tokenFor('svc', API)
    const headers = { authorization: basic('rs'), 'content-type': FORM }
    assert.equal(JSON.parse((await overSocket(headers, form({ token: jwt }))).body).active, true)
    await inject('/token/revocation', { authorization: basic('svc'), 'content-type': FORM }, form({ token: jwt }))
    assert.deepEqual(JSON.parse((await overSocket(headers, form({ token: jwt }))).body), { active: false })
  })

  it('keeps answering a client-credentials token itself until it is revoked, then as the provider', async () => {
    const opaque = await tokenFor('svc')
    const headers = { authorization: basic('rs'), 'content-type': FORM }
    const body = form({ token: opaque })
    const provider = world.seen.provider
    const first = await overSocket(headers, body)
    const again = await overSocket(headers, body)
    assert.equal(world.seen.provider, provider, 'answered by the fast path')
    assert.equal(JSON.parse(first.body).active, true)
    assert.equal(again.body, first.body)
    assert.equal(again.body, (await inject(PATH, headers, body)).body)

    await inject('/token/revocation', { authorization: basic('svc'), 'content-type': FORM }, body)
    const revoked = await overSocket(headers, body)
    assert.deepEqual(JSON.parse(revoked.body), { active: false })
    assert.equal(revoked.body, (await inject(PATH, headers, body)).body)
  })

  it('reads a body that arrives in parts, and hands it on intact when declining', async () => {
    const jwt = await tokenFor('svc', API)
    const body = form({ token: jwt })
    for (const [authorization, fastPath] of [[basic('rs'), true], [basic('rs', 'wrong-secret-0123456789'), false]] as const) {
      const headers = { authorization, 'content-type': FORM }
      const before = world.seen.provider
      const fast = await overSocket(headers, body, 30)
      assert.equal(world.seen.provider - before, fastPath ? 0 : 1)
      const slow = await inject(PATH, headers, body)
      assert.deepEqual(fast, slow)
    }
  })

  it('hands token and revocation requests to the provider without Fastify, with the same answers', async () => {
    const svc = { authorization: basic('svc'), 'content-type': FORM }
    const jwt = await tokenFor('svc', API)
    const cases: { name: string; path: string; headers: Record<string, string>; body: string; tokens?: boolean }[] = [
      { name: 'JWT', path: '/token', headers: svc, body: form({ grant_type: 'client_credentials', resource: API, scope: 'read' }), tokens: true },
      { name: 'opaque', path: '/token', headers: svc, body: form({ grant_type: 'client_credentials' }), tokens: true },
      { name: 'with a charset', path: '/token', headers: { ...svc, 'content-type': `${FORM}; charset=utf-8` }, body: form({ grant_type: 'client_credentials' }), tokens: true },
      { name: 'wrong secret', path: '/token', headers: { ...svc, authorization: basic('svc', 'wrong-secret-0123456789') }, body: form({ grant_type: 'client_credentials' }) },
      { name: 'no client authentication', path: '/token', headers: { 'content-type': FORM }, body: form({ grant_type: 'client_credentials' }) },
      { name: 'grant not allowed', path: '/token', headers: svc, body: form({ grant_type: 'authorization_code', code: 'x', redirect_uri: 'https://app.example.test/cb' }) },
      { name: 'a scope not granted', path: '/token', headers: svc, body: form({ grant_type: 'client_credentials', resource: API, scope: 'write' }), tokens: true },
      { name: 'revocation', path: '/token/revocation', headers: svc, body: form({ token: 'not-a-token' }) },
      { name: 'revocation of a JWT', path: '/token/revocation', headers: svc, body: form({ token: jwt }) },
    ]
    for (const c of cases) {
      const beforeFastify = world.seen.fastify
      const beforeProvider = world.seen.provider
      const fast = await overSocket(c.headers, c.body, undefined, c.path)
      assert.equal(world.seen.fastify - beforeFastify, 0, `${c.name}: through Fastify`)
      assert.equal(world.seen.provider - beforeProvider, 1, `${c.name}: not answered by the provider`)
      const slow = await inject(c.path, c.headers, c.body)
      assert.equal(fast.status, slow.status, c.name)
      if (c.tokens) {
        // Each answer carries a new token: the same fields, and a token of the same kind.
        const [a, b] = [JSON.parse(fast.body), JSON.parse(slow.body)]
        assert.deepEqual(Object.keys(a), Object.keys(b), c.name)
        assert.deepEqual({ ...a, access_token: a.access_token.split('.').length }, { ...b, access_token: b.access_token.split('.').length }, c.name)
        const { 'content-length': _a, ...fastHeaders } = fast.headers
        const { 'content-length': _b, ...slowHeaders } = slow.headers
        assert.deepEqual(fastHeaders, slowHeaders, c.name)
      } else {
        assert.equal(fast.body, slow.body, c.name)
        assert.deepEqual(fast.headers, slow.headers, c.name)
      }
    }
  })

  it('counts answers under the route pattern', async () => {
    const metrics = (await world.app.inject({ method: 'GET', url: '/metrics' })).body
    for (const [route, status] of [['/token/introspection', 200], ['/token/introspection', 401], ['/token', 200], ['/token', 401], ['/token/revocation', 200]] as const) {
      assert.match(metrics, new RegExp(`^http_request_duration_seconds_count\\{method="POST",route="${route.replaceAll('/', '\\/')}",status_code="${status}"\\} \\d+$`, 'm'))
    }
  })
})
