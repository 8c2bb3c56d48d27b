import assert from 'node:assert/strict'
import { it } from 'node:test'
import { loadConfig } from '../config/index.ts'
import { maxTokenLifetimeSeconds } from './signing-keys.ts'

it('keeps a retired key published as long as the longest-lived token it signed, resource servers and forward-auth sessions included', () => {
  const env = { GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS: '600', GATEHOUSE_ID_TOKEN_TTL_SECONDS: '300', GATEHOUSE_REFRESH_TOKEN_TTL_SECONDS: '3600', GATEHOUSE_FORWARD_AUTH_MAX_SECONDS: '1800' }
  assert.equal(maxTokenLifetimeSeconds(loadConfig({ env }).config), 3600)
  const withApi = { ...env, GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: 'https://api.example.test', scopes: ['read'], accessTokenTtlSeconds: 86_400 }]) }
  assert.equal(maxTokenLifetimeSeconds(loadConfig({ env: withApi }).config), 86_400)
  // A forward-auth session keeps the ID token of its sign-out for its whole life.
  assert.equal(maxTokenLifetimeSeconds(loadConfig({ env: { ...env, GATEHOUSE_FORWARD_AUTH_MAX_SECONDS: '7200' } }).config), 7200)
})
