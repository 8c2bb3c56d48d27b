import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, resourceServerSchema } from './index.ts'

function problems(value: unknown): string {
  try {
    loadConfig({ env: { GATEHOUSE_RESOURCE_SERVERS: JSON.stringify(value) } })
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.message
  }
  assert.fail('expected a ConfigError')
}

describe('resourceServers configuration', () => {
  it('reads a list from GATEHOUSE_RESOURCE_SERVERS', () => {
    const { config } = loadConfig({
      env: { GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: 'https://api.example.com', scopes: ['read'], accessTokenTtlSeconds: 300 }]) },
    })
    assert.deepEqual(config.resourceServers, [{ indicator: 'https://api.example.com', scopes: ['read'], accessTokenTtlSeconds: 300 }])
    assert.deepEqual(loadConfig({ env: {} }).config.resourceServers, [])
  })

  it('rejects a duplicate indicator, a relative indicator, unknown fields and scopes with spaces', () => {
    const rs = { indicator: 'https://api.example.com', scopes: ['read'] }
    assert.match(problems([rs, { ...rs, scopes: [] }]), /resource server https:\/\/api\.example\.com is listed twice/)
    assert.match(problems([{ ...rs, indicator: '/api' }]), /GATEHOUSE_RESOURCE_SERVERS.*absolute URL/)
    assert.match(problems([{ ...rs, audiences: ['x'] }]), /GATEHOUSE_RESOURCE_SERVERS/)
    assert.match(problems([{ ...rs, scopes: ['read write'] }]), /without spaces/)
  })

  it('takes access-token claims from a fixed list and refuses two servers with one audience', () => {
    const rs = { indicator: 'https://api.example.com', scopes: [] }
    const { config } = loadConfig({ env: { GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ ...rs, accessTokenClaims: ['preferred_username', 'email'] }]) } })
    assert.deepEqual(config.resourceServers[0]!.accessTokenClaims, ['preferred_username', 'email'])
    assert.match(problems([{ ...rs, accessTokenClaims: ['sub'] }]), /accessTokenClaims entries are preferred_username, email, name, groups/)
    assert.match(problems([{ ...rs, audience: 'incus' }, { indicator: 'https://incus.example.com', scopes: [], audience: 'incus' }]), /have the same audience incus/)
    assert.match(problems([rs, { indicator: 'https://other.example.com', scopes: [], audience: 'https://api.example.com' }]), /same audience/)
  })

  it('exports the item schema for other configuration sources', () => {
    assert.equal(resourceServerSchema.safeParse({ indicator: 'https://api.example.com', scopes: [], audience: 'api' }).success, true)
    assert.equal(resourceServerSchema.safeParse({ indicator: 'https://api.example.com' }).success, false)
  })
})
