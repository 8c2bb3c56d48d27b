import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { OPERATOR_KEY, tenancyHarness, userToken, type TenancyHarness } from './tenancy-harness.test.ts'

const CORP = 'https://idp.corp.example'

describe('tenancy API authentication with a preshared key configured', () => {
  let h: TenancyHarness
  before(async () => {
    h = await tenancyHarness({ trustedIssuers: [{ issuer: CORP, audiences: ['gatehouse'], id: 'corp', groupsClaim: 'groups' }] }, {
      // Stands in for a verified token of the trusted issuer: any three-part token is megan's.
      verify: async (token) => (token.startsWith('corp.') ? { subject: 'ext:megan', accountType: 'user', groups: ['sre'], claims: { iss: CORP } } : undefined),
    })
    h.tokens.set('alice', userToken('alice'))
    h.tokens.set('alice-opaque', userToken('alice', 'opaque'))
    h.tokens.set('robot', { kind: 'service', subject: 'service:robot', clientId: 'robot', forAudience: true, otherBinding: false })
    h.tokens.set('robot-opaque', { kind: 'service', subject: 'service:robot', clientId: 'robot', forAudience: false, otherBinding: false })
    h.tokens.set('bound', { kind: 'service', subject: 'service:robot', clientId: 'robot', forAudience: false, otherBinding: false, certificateThumbprint: 'AAAA' })
    for (const name of ['acme', 'globex']) assert.equal((await h.call('POST', '/api/v1/organizations', OPERATOR_KEY, { name })).status, 201)
    assert.equal((await h.call('POST', '/api/v1/organizations/globex/serviceaccounts', OPERATOR_KEY, { name: 'robot', clientId: 'robot' })).status, 201)
    const groups = [
      ['globex', { name: 'robots', serviceAccountIds: [(await h.call('GET', '/api/v1/organizations/globex/serviceaccounts/robot', OPERATOR_KEY)).json.id], roleIds: ['administrator'] }],
      ['acme', { name: 'sre', upstreamGroups: ['corp:sre'], roleIds: ['reader'] }],
    ] as const
    for (const [org, group] of groups) assert.equal((await h.call('POST', `/api/v1/organizations/${org}/groups`, OPERATOR_KEY, group)).status, 201)
  })
  after(() => h.close())

  it('answers 401 unauthenticated with a Bearer challenge without a valid credential, before reading the body', async () => {
    for (const token of [undefined, 'not-a-token', 'a.b.c', `${OPERATOR_KEY}-and-more`]) {
      const res = await h.call('POST', '/api/v1/organizations', token, '{"broken": ')
      assert.equal(res.status, 401, String(token))
      assert.equal(res.json.code, 'unauthenticated')
      assert.match(String(res.headers['www-authenticate']), /^Bearer /)
    }
    const basic = await h.app.inject({ method: 'GET', url: '/api/v1/roles', headers: { authorization: `Basic ${OPERATOR_KEY}` } })
    assert.equal(basic.statusCode, 401)
  })

  it('keeps the rest of the API behind the preshared key: a user token opens only the tenancy routes', async () => {
    assert.equal((await h.call('GET', '/api/v1/organizations', 'alice')).status, 200)
    for (const url of ['/stores', '/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/changes']) {
      const res = await h.call('GET', url, 'alice')
      assert.equal(res.status, 401, url)
    }
    assert.equal((await h.call('GET', '/stores', OPERATOR_KEY)).status, 200)
  })

  it('serves the OpenAPI document to anyone', async () => {
    const res = await h.call('GET', '/api/v1/openapi.json')
    assert.equal(res.status, 200)
    assert.equal(res.json.openapi, '3.1.0')
  })

  it('refuses a certificate-bound token presented without its certificate', async () => {
    const res = await h.call('GET', '/api/v1/organizations', 'bound')
    assert.equal(res.status, 401)
    assert.equal(res.json.code, 'certificate_bound_token')
  })

  it('lets opaque access tokens read but not write: 403 token_not_for_writes, before the body is read or permissions are checked', async () => {
    for (const token of ['alice-opaque', 'robot-opaque']) {
      assert.equal((await h.call('GET', '/api/v1/organizations', token)).status, 200, token)
      assert.equal((await h.call('GET', '/api/v1/acl', token)).status, 200, token)
      assert.equal((await h.app.inject({ method: 'HEAD', url: '/api/v1/roles', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, token)
      for (const [method, url, body] of [
        ['POST', '/api/v1/organizations/globex/projects', '{"broken": '],
        ['PUT', '/api/v1/organizations/globex/groups/robots', { name: 'robots' }],
        ['PATCH', '/api/v1/organizations/globex', { description: 'x' }],
        ['DELETE', '/api/v1/organizations/acme', undefined],
        ['PUT', '/api/v1/global-bindings', {}],
      ] as const) {
        const res = await h.call(method, url, token, body)
        assert.equal(res.status, 403, `${token} ${method} ${url}`)
        assert.equal(res.json.code, 'token_not_for_writes')
        assert.match(res.json.message, /GATEHOUSE_API_AUDIENCES/)
      }
    }
    assert.equal((await h.call('GET', '/api/v1/organizations/globex/projects', OPERATOR_KEY)).json.items.length, 0, 'nothing was written')
  })

  it('lets a service account act in its own organization only', async () => {
    assert.deepEqual((await h.call('GET', '/api/v1/organizations', 'robot')).json.items.map((o: { name: string }) => o.name), ['globex'])
    assert.equal((await h.call('POST', '/api/v1/organizations/globex/projects', 'robot', { name: 'pipeline' })).status, 201)
    const audit = await h.call('GET', '/api/v1/organizations/globex/audit?action=project.create', 'robot')
    assert.equal(audit.json.entries[0].actor, 'service:robot')
    assert.equal(audit.json.entries[0].actorType, 'service')
    assert.equal((await h.call('GET', '/api/v1/organizations/acme', 'robot')).json.code, 'organization_forbidden')
  })

  it('admits a trusted issuer\'s user through its qualified upstream groups, without any stored user', async () => {
    const acl = await h.call('GET', '/api/v1/acl', 'corp.token.signed')
    assert.equal(acl.status, 200)
    assert.deepEqual(acl.json.organizations.map((o: { name: string }) => o.name), ['acme'])
    assert.ok(acl.json.organizations[0].endpoints.some((e: { name: string }) => e.name === 'identity:audit'))
    assert.equal((await h.call('GET', '/api/v1/organizations/acme/groups', 'corp.token.signed')).status, 200)
    assert.equal((await h.call('POST', '/api/v1/organizations/acme/groups', 'corp.token.signed', { name: 'x' })).json.code, 'permission_denied')
  })
})

describe('tenancy API without a preshared key (development)', () => {
  let h: TenancyHarness
  before(async () => { h = await tenancyHarness({ presharedKeys: [] }) })
  after(() => h.close())

  it('treats a caller without credentials as the operator, and still refuses a bad token', async () => {
    assert.equal((await h.call('POST', '/api/v1/organizations', undefined, { name: 'acme' })).status, 201)
    assert.deepEqual((await h.call('GET', '/api/v1/organizations')).json.items.map((o: { name: string }) => o.name), ['acme'])
    assert.equal((await h.call('GET', '/api/v1/organizations', 'forged')).status, 401)
  })
})
