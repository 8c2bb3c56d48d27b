import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as oidc from 'openid-client'
import { Browser, formAction } from '../../test/support/browser.ts'
import { loadConfig } from '../config/index.ts'
import { createLogger, startServer, type RunningServer } from './index.ts'
import { grantTypeLabel } from './metrics.ts'

const ISSUER = 'http://localhost:7443'
const PASSWORD = 'metrics-admin-password'
const RP = 'https://rp.example'

let server: RunningServer
before(async () => {
  const { config } = loadConfig({ env: {}, overrides: { port: 0, logLevel: 'silent', databaseUrl: 'sqlite::memory:', issuer: ISSUER, bootstrapPassword: PASSWORD } })
  server = await startServer(config, { banner: null, logger: createLogger('silent') })
})
after(() => server.close())

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
}

/** The value of one sample in the Prometheus text, 0 when absent. */
async function sample(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('product metrics on /metrics', () => {
  it('counts checks by result and reports the tuples the engine holds', async () => {
    const { body: { id: store } } = await api('POST', '/stores', { name: 'metrics' })
    await api('POST', `/stores/${store}/authorization-models`, {
      schema_version: '1.1',
      type_definitions: [{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } } }],
    })
    await api('POST', `/stores/${store}/write`, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }] } })
    const check = (user: string, relation = 'viewer') => api('POST', `/stores/${store}/check`, { tuple_key: { user, relation, object: 'doc:1' } })
    assert.equal((await check('user:anne')).body.allowed, true)
    assert.equal((await check('user:bob')).body.allowed, false)
    assert.equal((await check('user:anne', 'owner')).status, 400)
    await api('POST', `/stores/${store}/batch-check`, { checks: [
      { correlation_id: 'a', tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' } },
      { correlation_id: 'b', tuple_key: { user: 'user:bob', relation: 'viewer', object: 'doc:1' } },
    ] })
    assert.equal(await sample('gatehouse_checks_total', 'result="allowed"'), 2)
    assert.equal(await sample('gatehouse_checks_total', 'result="denied"'), 2)
    assert.equal(await sample('gatehouse_checks_total', 'result="error"'), 1)
    assert.ok(await sample('gatehouse_authz_index_tuples') >= 1)
  })

  it('counts forward-auth decisions by outcome', async () => {
    const before = await sample('gatehouse_forward_auth_decisions_total', 'outcome="unknown_host"')
    const res = await fetch(`${server.url}/api/forward-auth/traefik`, {
      headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'nowhere.example', 'x-forwarded-uri': '/' },
    })
    assert.equal(res.status, 403)
    assert.equal(await sample('gatehouse_forward_auth_decisions_total', 'outcome="unknown_host"'), before + 1)
  })

  it('counts tokens by grant type and sign-ins by provider and outcome', async () => {
    const created = await api('POST', '/api/v1/clients', { id: 'svc', type: 'confidential', grantTypes: ['client_credentials'] })
    assert.equal(created.status, 201)
    const token = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`svc:${created.body.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    assert.equal(token.status, 200)
    assert.equal(await sample('gatehouse_tokens_issued_total', 'grant_type="client_credentials"'), 1)

    const spa = await api('POST', '/api/v1/clients', { id: 'spa', type: 'public', grantTypes: ['authorization_code'], redirectUris: [`${RP}/cb`], firstParty: true })
    assert.equal(spa.status, 201, JSON.stringify(spa.body))
    const route = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.url) : url)
    const discovered = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), {
      execute: [oidc.allowInsecureRequests], [oidc.customFetch]: (url, options) => fetch(route(new URL(url)), options as RequestInit),
    })
    const verifier = oidc.randomPKCECodeVerifier()
    const browser = new Browser({ base: ISSUER, stopAt: [RP], route })
    const page = await browser.browse(oidc.buildAuthorizationUrl(discovered, {
      redirect_uri: `${RP}/cb`, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }))
    const wrong = await browser.browse(formAction(page.html, '/login'), { method: 'POST', form: { username: 'admin', password: 'not the password' } })
    assert.equal(wrong.status, 401)
    assert.equal(await sample('gatehouse_sign_ins_total', 'provider="local",outcome="failed"'), 1)
    const done = await browser.browse(formAction(wrong.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
    assert.equal(done.location.origin, RP, `${done.status} ${done.html.slice(0, 300)}`)
    assert.equal(await sample('gatehouse_sign_ins_total', 'provider="local",outcome="success"'), 1)
    await oidc.authorizationCodeGrant(discovered, done.location, { pkceCodeVerifier: verifier, idTokenExpected: true })
    assert.equal(await sample('gatehouse_tokens_issued_total', 'grant_type="authorization_code"'), 1)
  })

  it('labels grant types by their short name', () => {
    assert.equal(grantTypeLabel('urn:ietf:params:oauth:grant-type:device_code'), 'device_code')
    assert.equal(grantTypeLabel('refresh_token'), 'refresh_token')
    assert.equal(grantTypeLabel(undefined), 'unknown')
  })
})
