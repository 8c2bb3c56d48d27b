// client_credentials token requests over a real socket (the node:http fast path) must be answered
// as oidc-provider answers them through Fastify's mount (app.inject bypasses the fast path): the
// same status, headers and answer members, and a token with the same header and the same claims
// but for its own iat, exp and jti (with the same lifetime). Counting the requests the provider
// sees proves which side answered; whatever the fast path declines reaches the provider intact.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWK } from 'jose'
import { CLIENT_EXTRA_METADATA, GENERATED_SECRET_PARAMS, hashSecret } from '../identity/index.ts'
import { basic, FORM, form, ISSUER, NS, secretOf, startFastPathWorld, type Answer, type FastPathWorld } from '../../test/support/provider-fast-paths.ts'

const API = 'https://api.example.test'
const OTHER_API = 'https://other.example.test'
const RESERVED = 'https://reserved.example.test'
const PATH = '/token'
/** Differ per token by nature. */
const PER_TOKEN = new Set(['iat', 'exp', 'jti'])

interface Case { name: string; headers: Record<string, string>; body: string; fastPath: boolean }

const cc = (fields: Record<string, string> = {}) => form({ grant_type: 'client_credentials', ...fields })

/** A token answer with what differs per token taken out: the token's header, its other claims, its lifetime. */
function tokenShape(answer: Answer): Record<string, unknown> {
  const { access_token: token, ...rest } = JSON.parse(answer.body) as Record<string, unknown>
  const { 'content-length': _, ...headers } = answer.headers
  if (typeof token !== 'string') return { status: answer.status, headers, body: rest }
  if (token.split('.').length !== 3) return { status: answer.status, headers, body: rest, opaque: true }
  const claims = decodeJwt(token)
  const kept = Object.fromEntries(Object.entries(claims).filter(([name]) => !PER_TOKEN.has(name)))
  return { status: answer.status, headers, body: rest, header: decodeProtectedHeader(token), claims: kept, keys: Object.keys(claims), lifetime: claims.exp! - claims.iat! }
}

describe('client_credentials tokens on the fast path', () => {
  let world: FastPathWorld
  const granted: unknown[] = []
  const issuedEvents: { jti?: string; clientId?: string; aud?: unknown; scope?: string; expiresIn?: number }[] = []
  const inject = (url: string, headers: Record<string, string>, body: string) => world.inject(url, headers, body)
  const overSocket = (headers: Record<string, string>, body: string) => world.overSocket(PATH, headers, body)

  before(async () => {
    const scopes = { 'urn:gatehouse:resource_scopes': ['read', 'write'] }
    world = await startFastPathWorld({
      clients: [
        ['svc', scopes],
        ['readonly', { 'urn:gatehouse:resource_scopes': ['read'] }],
        ['noscopes', {}],
        ['defaulted', { ...scopes, 'urn:gatehouse:default_audience': 'other-api' }],
        ['stale-default', { ...scopes, 'urn:gatehouse:default_audience': 'gone' }],
        ['openid-only', { ...scopes, scope: 'openid' }],
        ['post', { ...scopes, token_endpoint_auth_method: 'client_secret_post' }],
        ['coder', { ...scopes, grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['https://app.example.test/cb'] }],
        ['dpop', { ...scopes, dpop_bound_access_tokens: true }],
        ['rs', { [CLIENT_EXTRA_METADATA.mayIntrospect]: true }],
        ['changing', scopes],
      ],
      resourceServers: [
        { indicator: API, scopes: ['read', 'write'] },
        { indicator: OTHER_API, scopes: ['read'], audience: 'other-api', accessTokenTtl: 120 },
        { indicator: RESERVED, scopes: ['read'], clients: ['rs'] },
      ],
      fast: { introspection: true, token: true },
    })
    world.provider.on('grant.success', (ctx) => granted.push(ctx.oidc.params?.grant_type))
    world.provider.on('client_credentials.issued', (token) => issuedEvents.push(token))
  })
  after(() => world.close())

  it('answers as oidc-provider does, and issues the plain requests itself', async () => {
    const svc = { authorization: basic('svc'), 'content-type': FORM }
    const as = (client: string) => ({ ...svc, authorization: basic(client) })
    // Each client's secret is verified once by the provider before the fast path may vouch for it.
    for (const client of ['readonly', 'noscopes', 'defaulted', 'stale-default', 'openid-only', 'post', 'coder', 'dpop']) {
      const before = world.seen.provider
      await overSocket(as(client), cc({ resource: API }))
      assert.equal(world.seen.provider - before, 1, `${client}: first use of its secret`)
    }
    const cases: Case[] = [
      { name: 'first use of a secret goes through scrypt at the provider', headers: svc, body: cc({ resource: API, scope: 'read' }), fastPath: false },
      { name: 'resource and scope', headers: svc, body: cc({ resource: API, scope: 'read' }), fastPath: true },
      { name: 'two scopes', headers: svc, body: cc({ resource: API, scope: 'read write' }), fastPath: true },
      { name: 'scopes in another order, one repeated', headers: svc, body: cc({ resource: API, scope: 'write read write' }), fastPath: true },
      { name: 'a scope the client may not have', headers: as('readonly'), body: cc({ resource: API, scope: 'read write' }), fastPath: true },
      { name: 'no scope the client may have', headers: as('noscopes'), body: cc({ resource: API, scope: 'read' }), fastPath: true },
      { name: 'a scope the resource server does not serve', headers: svc, body: cc({ resource: API, scope: 'delete' }), fastPath: true },
      { name: 'an OpenID scope', headers: svc, body: cc({ resource: API, scope: 'openid read' }), fastPath: true },
      { name: 'no scope', headers: svc, body: cc({ resource: API }), fastPath: true },
      { name: 'audience instead of resource', headers: svc, body: cc({ audience: 'other-api', scope: 'read' }), fastPath: true },
      { name: 'audience by indicator', headers: svc, body: cc({ audience: OTHER_API, scope: 'read' }), fastPath: true },
      { name: 'audience and matching resource', headers: svc, body: cc({ audience: 'other-api', resource: OTHER_API, scope: 'read' }), fastPath: true },
      { name: 'the client\'s default audience', headers: as('defaulted'), body: cc({ scope: 'read' }), fastPath: true },
      { name: 'resource over the default audience', headers: as('defaulted'), body: cc({ resource: API, scope: 'write' }), fastPath: true },
      { name: 'client_secret_post client over Basic', headers: as('post'), body: cc({ resource: API, scope: 'read' }), fastPath: true },
      { name: 'percent-encoded Basic credentials', headers: { ...svc, authorization: `Basic ${Buffer.from(`s%76c:${secretOf('svc')}`).toString('base64')}` }, body: cc({ resource: API }), fastPath: true },
      { name: 'an OpenID scope the client is registered without', headers: as('openid-only'), body: cc({ resource: API, scope: 'openid read' }), fastPath: true },
      { name: 'an OpenID scope the client is not registered for', headers: as('openid-only'), body: cc({ resource: API, scope: 'email read' }), fastPath: false },
      { name: 'opaque token (no resource)', headers: svc, body: cc({ scope: 'read' }), fastPath: false },
      { name: 'opaque token, no scope', headers: svc, body: cc(), fastPath: false },
      { name: 'unknown resource', headers: svc, body: cc({ resource: 'https://nowhere.example.test' }), fastPath: false },
      { name: 'resource that is no URI', headers: svc, body: cc({ resource: 'not a uri' }), fastPath: false },
      { name: 'resource with a fragment', headers: svc, body: cc({ resource: `${API}#x` }), fastPath: false },
      { name: 'reserved resource', headers: svc, body: cc({ resource: RESERVED }), fastPath: false },
      { name: 'unknown audience', headers: svc, body: cc({ audience: 'nowhere' }), fastPath: false },
      { name: 'audience not matching the resource', headers: svc, body: cc({ audience: 'other-api', resource: API }), fastPath: false },
      { name: 'stale default audience', headers: as('stale-default'), body: cc(), fastPath: false },
      { name: 'two resources', headers: svc, body: form([['grant_type', 'client_credentials'], ['resource', API], ['resource', OTHER_API]]), fastPath: false },
      { name: 'scope twice', headers: svc, body: form([['grant_type', 'client_credentials'], ['resource', API], ['scope', 'read'], ['scope', 'read']]), fastPath: false },
      { name: 'an empty scope', headers: svc, body: cc({ resource: API, scope: '' }), fastPath: false },
      { name: 'a scope with invalid characters', headers: svc, body: cc({ resource: API, scope: 'read  write' }), fastPath: false },
      { name: 'unknown parameter', headers: svc, body: cc({ resource: API, extra: '1' }), fastPath: false },
      { name: 'client_id next to Basic', headers: svc, body: cc({ resource: API, client_id: 'svc' }), fastPath: false },
      { name: 'authorization details', headers: svc, body: cc({ resource: API, authorization_details: '[]' }), fastPath: false },
      { name: 'grant not allowed', headers: as('coder'), body: cc({ resource: API }), fastPath: false },
      { name: 'another grant type', headers: svc, body: form({ grant_type: 'refresh_token', refresh_token: 'x' }), fastPath: false },
      { name: 'no grant type', headers: svc, body: form({ resource: API }), fastPath: false },
      { name: 'a client bound to DPoP', headers: as('dpop'), body: cc({ resource: API }), fastPath: false },
      { name: 'a DPoP proof', headers: { ...svc, dpop: 'x.y.z' }, body: cc({ resource: API }), fastPath: false },
      { name: 'wrong secret', headers: { ...svc, authorization: basic('svc', 'wrong-secret-0123456789') }, body: cc({ resource: API }), fastPath: false },
      { name: 'unknown client', headers: { ...svc, authorization: basic('nobody') }, body: cc({ resource: API }), fastPath: false },
      { name: 'malformed Basic', headers: { ...svc, authorization: 'Basic !!!' }, body: cc({ resource: API }), fastPath: false },
      { name: 'Bearer instead of Basic', headers: { ...svc, authorization: 'Bearer x' }, body: cc({ resource: API }), fastPath: false },
      { name: 'no client authentication', headers: { 'content-type': FORM }, body: cc({ resource: API }), fastPath: false },
      { name: 'client_secret_post', headers: { 'content-type': FORM }, body: cc({ resource: API, client_id: 'post', client_secret: secretOf('post') }), fastPath: false },
      { name: 'client assertion', headers: { 'content-type': FORM }, body: cc({ resource: API, client_assertion: 'a.b.c', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' }), fastPath: false },
      { name: 'CORS request', headers: { ...svc, origin: 'https://app.example.test' }, body: cc({ resource: API }), fastPath: false },
      { name: 'charset in the type', headers: { ...svc, 'content-type': `${FORM}; charset=utf-8` }, body: cc({ resource: API }), fastPath: false },
    ]
    const fastAnswers = new Map<string, Record<string, unknown>>()
    for (const c of cases) {
      const before = world.seen.provider
      const fast = await overSocket(c.headers, c.body)
      assert.equal(world.seen.provider - before, c.fastPath ? 0 : 1, `${c.name}: answered by ${world.seen.provider > before ? 'the provider' : 'the fast path'}`)
      const slow = await inject(PATH, c.headers, c.body)
      if (fast.status === 200) fastAnswers.set(c.name, tokenShape(fast))
      assert.deepEqual(tokenShape(fast), tokenShape(slow), c.name)
      if (fast.status !== 200) assert.equal(fast.body, slow.body, c.name)
      // The answer's members in the provider's order.
      assert.deepEqual(Object.keys(JSON.parse(fast.body)), Object.keys(JSON.parse(slow.body)), c.name)
    }
    // The cases cover both answers, not only the same ones.
    const shape = (name: string) => fastAnswers.get(name) as { body: Record<string, unknown>; claims: Record<string, unknown>; header: Record<string, unknown>; lifetime: number }
    assert.deepEqual(shape('two scopes').claims, { sub: 'svc', scope: 'read write', client_id: 'svc', iss: ISSUER, aud: API, [NS]: { acctype: 'service' } })
    assert.deepEqual(shape('two scopes').header, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    assert.deepEqual(shape('a scope the client may not have').body, { expires_in: 600, scope: 'read', token_type: 'Bearer' })
    assert.deepEqual(shape('no scope the client may have').body, { expires_in: 600, token_type: 'Bearer', scope: '' })
    assert.equal(shape('audience instead of resource').claims.aud, 'other-api')
    assert.equal(shape('audience instead of resource').lifetime, 120)
    assert.equal(shape('the client\'s default audience').claims.aud, 'other-api')
    assert.equal(shape('resource over the default audience').claims.scope, 'write')
  })

  it('issues tokens that verify with the discovery keys, introspect as active and can be revoked', async () => {
    const headers = { authorization: basic('svc'), 'content-type': FORM }
    await overSocket(headers, cc({ resource: API, scope: 'read' }))
    const before = world.seen.provider
    const issued = granted.length
    const events = issuedEvents.length
    const answer = await overSocket(headers, cc({ resource: API, scope: 'read' }))
    assert.equal(world.seen.provider, before, 'answered by the fast path')
    assert.deepEqual(granted.slice(issued), ['client_credentials'], 'grant.success emitted once')
    const token = JSON.parse(answer.body).access_token as string
    // The provider's client_credentials.issued, with its token model as the provider leaves it after a save.
    assert.equal(issuedEvents.length, events + 1, 'client_credentials.issued emitted once')
    const event = issuedEvents[events]
    assert.deepEqual({ jti: event.jti, clientId: event.clientId, aud: event.aud, scope: event.scope, expiresIn: event.expiresIn },
      { jti: decodeJwt(token).jti, clientId: 'svc', aud: API, scope: 'read', expiresIn: 600 })
    const jwks = JSON.parse((await world.app.inject({ method: 'GET', url: '/jwks' })).body) as { keys: JWK[] }
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: API, typ: 'at+jwt', algorithms: ['ES256'] })
    assert.equal(payload.client_id, 'svc')
    const rs = { authorization: basic('rs'), 'content-type': FORM }
    const introspected = JSON.parse((await inject('/token/introspection', rs, form({ token }))).body) as Record<string, unknown>
    assert.deepEqual({ active: introspected.active, client_id: introspected.client_id, scope: introspected.scope, aud: introspected.aud, [NS]: introspected[NS] },
      { active: true, client_id: 'svc', scope: 'read', aud: API, [NS]: { acctype: 'service' } })
    assert.equal((await inject('/token/revocation', headers, form({ token }))).status, 200)
    assert.deepEqual(JSON.parse((await inject('/token/introspection', rs, form({ token }))).body), { active: false })
  })

  it('takes a change of the client through the clients repository at once', async () => {
    const headers = { authorization: basic('changing'), 'content-type': FORM }
    const body = cc({ resource: API, scope: 'read write' })
    const scopeOf = (answer: Answer) => JSON.parse(answer.body).scope as unknown
    await overSocket(headers, body)
    const before = world.seen.provider
    assert.equal(scopeOf(await overSocket(headers, body)), 'read write')
    assert.equal(scopeOf(await overSocket(headers, body)), 'read write')
    assert.equal(world.seen.provider, before, 'answered by the fast path')
    const clients = world.core.store.oidcClients
    const record = (await clients.get('changing'))!
    await clients.upsert({ clientId: 'changing', metadata: { ...record.metadata, 'urn:gatehouse:resource_scopes': ['read'] }, source: 'api', secretHash: record.secretHash })
    assert.equal(scopeOf(await overSocket(headers, body)), 'read', 'the narrowed client, on the fast path')
    assert.equal(world.seen.provider, before)
    await clients.upsert({ clientId: 'changing', metadata: record.metadata, source: 'api', secretHash: await hashSecret('a-new-secret-0123456789abcdef', GENERATED_SECRET_PARAMS) })
    assert.equal((await overSocket(headers, body)).status, 401, 'the old secret, refused by the provider')
    assert.equal(world.seen.provider, before + 1)
    assert.equal((await overSocket({ ...headers, authorization: basic('changing', 'a-new-secret-0123456789abcdef') }, body)).status, 200)
    await clients.delete('changing')
    assert.equal((await overSocket({ ...headers, authorization: basic('changing', 'a-new-secret-0123456789abcdef') }, body)).status, 401, 'a deleted client')
  })

  it('counts issued tokens under the route pattern', async () => {
    const metrics = (await world.app.inject({ method: 'GET', url: '/metrics' })).body
    for (const status of [200, 400, 401]) {
      assert.match(metrics, new RegExp(`^http_request_duration_seconds_count\\{method="POST",route="\\/token",status_code="${status}"\\} \\d+$`, 'm'))
    }
  })
})
