import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import Provider, { errors } from 'oidc-provider'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createAdapterFactory } from './adapter.ts'
import { createSigningKeys } from './keys.ts'

describe('oidc-provider adapter', () => {
  let store: Store
  let provider: Provider

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    const keys = createSigningKeys({ repo: store.signingKeys, secret: 's'.repeat(40), maxTokenLifetimeSeconds: 3600 })
    await keys.ensureKeys()
    provider = new Provider('http://localhost:3000', {
      adapter: createAdapterFactory({ repo: store.oidc }),
      jwks: await keys.jwks(),
      clients: [{ client_id: 'app', client_secret: 'a-client-secret-long-enough', redirect_uris: ['http://localhost/cb'], grant_types: ['authorization_code', 'refresh_token'] }],
      features: { devInteractions: { enabled: false } },
      ttl: { Grant: 3600, Session: 3600, AuthorizationCode: 60, RefreshToken: 3600, AccessToken: 600 },
    })
  })
  after(() => store.close())

  async function issueCode(accountId = 'alice') {
    const client = (await provider.Client.find('app'))!
    const grant = new provider.Grant({ clientId: 'app', accountId })
    grant.addOIDCScope('openid')
    const grantId = await grant.save()
    const code = new provider.AuthorizationCode({ accountId, client, grantId, gty: 'authorization_code', scope: 'openid', redirectUri: 'http://localhost/cb' })
    return { value: await code.save(), grantId, client }
  }

  it('saves and finds an authorization code through the store', async () => {
    const { value, grantId } = await issueCode()
    const row = await store.oidc.find('AuthorizationCode', value)
    assert.equal(row?.accountId, 'alice')
    const code = await provider.AuthorizationCode.find(value)
    assert.ok(code)
    assert.equal(code.grantId, grantId)
    assert.equal((await store.oidc.find('AuthorizationCode', value))?.consumed, undefined)
    assert.equal(await provider.AuthorizationCode.find('no-such-code'), undefined)
  })

  it('consumes a code once; a second consume is invalid_grant', async () => {
    const { value } = await issueCode()
    const code = await provider.AuthorizationCode.find(value)
    await code!.consume()
    assert.ok((await store.oidc.find('AuthorizationCode', value))?.consumed)
    await assert.rejects(code!.consume(), (err) => err instanceof errors.InvalidGrant)
  })

  it('lets exactly one of many concurrent consumers win', async () => {
    const { value } = await issueCode()
    const copies = await Promise.all(Array.from({ length: 6 }, () => provider.AuthorizationCode.find(value)))
    const results = await Promise.allSettled(copies.map((c) => c!.consume()))
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof errors.InvalidGrant)
  })

  it('maps a reused pushed authorization request to invalid_request_uri', async () => {
    const adapter = createAdapterFactory({ repo: store.oidc })('PushedAuthorizationRequest')
    await adapter.upsert('par-1', { iat: 1, exp: 2, kind: 'PushedAuthorizationRequest', jti: 'par-1' }, 60)
    await adapter.consume('par-1')
    await assert.rejects(adapter.consume('par-1'), (err) => err instanceof errors.InvalidRequestUri)
    await assert.rejects(adapter.consume('missing'), (err) => err instanceof errors.InvalidRequestUri)
  })

  it('revokes every token of a grant', async () => {
    const { value, grantId, client } = await issueCode('bob')
    const at = new provider.AccessToken({ accountId: 'bob', client, grantId, gty: 'authorization_code', scope: 'openid' })
    const atValue = await at.save()
    const rt = new provider.RefreshToken({ accountId: 'bob', client, grantId, gty: 'authorization_code', scope: 'openid' })
    const rtValue = await rt.save()
    assert.ok(await provider.AccessToken.find(atValue))
    await provider.AccessToken.revokeByGrantId(grantId)
    await provider.RefreshToken.revokeByGrantId(grantId)
    await provider.AuthorizationCode.revokeByGrantId(grantId)
    assert.equal(await provider.AccessToken.find(atValue), undefined)
    assert.equal(await provider.RefreshToken.find(rtValue), undefined)
    assert.equal(await provider.AuthorizationCode.find(value), undefined)
  })

  it('finds a session by uid, the newest when a re-login saved another row', async () => {
    const adapter = createAdapterFactory({ repo: store.oidc })('Session')
    await adapter.upsert('sess-old', { uid: 'u-1', accountId: 'carol', kind: 'Session', jti: 'sess-old' }, 3600)
    await adapter.upsert('sess-new', { uid: 'u-1', accountId: 'dave', kind: 'Session', jti: 'sess-new' }, 3600)
    assert.equal((await adapter.findByUid('u-1'))?.accountId, 'dave')
    await adapter.destroy('sess-new')
    assert.equal(await adapter.find('sess-new'), undefined)
    assert.equal((await adapter.findByUid('u-1'))?.accountId, 'carol')
  })

  it('finds a device code by user code', async () => {
    const adapter = createAdapterFactory({ repo: store.oidc })('DeviceCode')
    await adapter.upsert('dc-1', { userCode: 'ABCD-EFGH', kind: 'DeviceCode', jti: 'dc-1' }, 600)
    assert.equal((await adapter.findByUserCode('ABCD-EFGH'))?.jti, 'dc-1')
  })

  it('serves overridden models from the override', async () => {
    const clients = new Map([['dyn', { client_id: 'dyn', client_secret: 'x', redirect_uris: ['http://localhost/cb'] }]])
    const factory = createAdapterFactory({
      repo: store.oidc,
      overrides: {
        Client: {
          find: async (id) => clients.get(id), upsert: async () => {}, findByUid: async () => undefined, findByUserCode: async () => undefined,
          consume: async () => {}, destroy: async () => {}, revokeByGrantId: async () => {},
        },
      },
    })
    assert.equal((await factory('Client').find('dyn'))?.client_id, 'dyn')
    assert.equal(await factory('Session').find('dyn'), undefined)
  })
})
