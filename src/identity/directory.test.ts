import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createIdentityDirectory } from './directory.ts'

describe('identity directory', () => {
  const directory = createIdentityDirectory({
    issuer: 'https://id.example.com',
    resourceServers: [{ indicator: 'https://api.example.com', scopes: ['read'], audience: 'api' }],
    builtinResourceServers: [{ indicator: 'https://id.example.com/admin/api', scopes: [], accessTokenTtlSeconds: 600, accessTokenClaims: ['preferred_username'] }],
    upstreams: [{ id: 'corp', kind: 'oidc', issuer: 'https://corp.example', clientId: 'gh', clientSecret: 'top-secret-value', scopes: ['email'], groupsClaim: 'groups', domains: ['corp.example'], tenants: [] }],
  })

  it('lists upstreams with their redirect URI and never their secret', () => {
    const [corp] = directory.upstreams()
    assert.equal(corp?.redirectUri, 'https://id.example.com/login/callback')
    assert.deepEqual(corp?.scopes, ['openid', 'email'])
    assert.equal(JSON.stringify(directory.upstreams()).includes('top-secret-value'), false)
    assert.equal('clientSecret' in corp!, false)
  })

  it('lists configured resource servers before the built-in one', () => {
    assert.deepEqual(directory.resourceServers().map((rs) => [rs.audience, rs.builtin]), [['api', false], ['https://id.example.com/admin/api', true]])
  })

  it('asks an upstream\'s health once per 30 seconds, and nothing of an unknown one', async () => {
    let at = 0
    let probes = 0
    const probed = createIdentityDirectory({
      issuer: 'https://id.example.com', resourceServers: [], now: () => at,
      upstreams: [{ id: 'corp', kind: 'oidc', issuer: 'https://corp.example', clientId: 'gh', clientSecret: 's', scopes: [], groupsClaim: 'groups', domains: [], tenants: [] }],
      probe: async () => ({ ok: ++probes === 1, checkedAt: new Date(at).toISOString() }),
    })
    assert.equal((await probed.upstreamHealth('corp'))?.ok, true)
    at = 29_000
    assert.equal((await probed.upstreamHealth('corp'))?.ok, true, 'the cached answer')
    at = 31_000
    assert.equal((await probed.upstreamHealth('corp'))?.ok, false, 'asked again')
    assert.equal(probes, 2)
    assert.equal(await probed.upstreamHealth('nope'), undefined)
  })
})
