// API clients behind forward-auth: a JWT access token Gatehouse issued for a forward-auth audience
// passes as `Authorization: Bearer`; a token for any other API, an opaque token, and an
// application's own token do not (the visitor is asked to sign in instead).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'

const APPS = 'https://apps.example.test'
const OTHER = 'https://orders.example.test'

for (const backend of BACKENDS) {
  describe(`forward-auth bearer tokens (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: APPS, scopes: ['apps'] }, { indicator: OTHER, scopes: ['orders'] }]),
      GATEHOUSE_FORWARD_AUTH_BEARER_AUDIENCES: APPS,
      // The protected host must be under the cookie domain (the issuer's host) to be sent to sign in.
      GATEHOUSE_ISSUER: 'http://localhost:7446',
    })
    let secret = ''

    const token = async (form: Record<string, string>) => {
      const res = await fetch(`${server.current()!.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`robot:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
      })
      assert.equal(res.status, 200)
      return ((await res.json()) as { access_token: string }).access_token
    }
    const ask = (authorization: string) => fetch(`${server.current()!.url}/api/forward-auth/traefik`, {
      headers: {
        authorization, accept: 'application/json',
        'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'localhost', 'x-forwarded-uri': '/api/x',
      },
      redirect: 'manual',
    })

    before(async () => {
      const base = server.current()?.url
      if (!base) return
      const created = await fetch(`${base}/api/v1/clients`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'robot', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['apps', 'orders'] }),
      })
      const body = await created.text()
      assert.equal(created.status, 201, body)
      secret = (JSON.parse(body) as { secret: string }).secret
      const app = await fetch(`${base}/api/v1/forward-auth/applications`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'api', hosts: ['localhost'] }),
      })
      assert.equal(app.status, 201, await app.text())
    })

    it('lets a token for the forward-auth audience through as the service, never as an account', async (t) => {
      // The first token for a new secret comes from oidc-provider (it verifies the secret), later
      // ones from the token fast path: both must pass alike.
      for (let i = 0; i < 2; i++) {
        const res = await ask(`Bearer ${await token({ resource: APPS, scope: 'apps' })}`)
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('remote-user'), 'service:robot')
      }
    })

    it('asks for sign-in instead when the token is for another API, opaque, or not Gatehouse\'s', async (t) => {
      for (const authorization of [
        `Bearer ${await token({ resource: OTHER, scope: 'orders' })}`,
        `Bearer ${await token({})}`,
        'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLW9mLWFub3RoZXItYXBw',
      ]) {
        const res = await ask(authorization)
        assert.equal(res.status, 401, authorization.slice(0, 40))
        assert.equal(res.headers.get('remote-user'), null)
      }
    })
  })
}

describe('forward-auth decisions in the metrics', () => {
  const server = serverPerSuite('sqlite', { GATEHOUSE_ISSUER: 'http://localhost:7448' })
  it('counts fast-path answers under their route and status', async () => {
    const base = server.current()!.url
    const res = await fetch(`${base}/api/forward-auth/nginx`, { headers: { 'x-original-url': 'https://nowhere.example.test/', 'x-original-method': 'GET' } })
    assert.equal(res.status, 403)
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    assert.match(metrics, /http_request_duration_seconds_count\{method="GET",route="\/api\/forward-auth\/nginx",status_code="403"\} 1/)
  })
})

describe('forward-auth with a trusted external issuer (sqlite)', async () => {
  const { generateKeyPair, exportJWK, SignJWT } = await import('jose')
  const { listenLoopback } = await import('../support/upstream.ts')
  const { server: idp, issuer } = await listenLoopback()
  const pair = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'corp-1', alg: 'ES256' }
  idp.on('request', (req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(req.url === '/keys' ? { keys: [jwk] } : { issuer, jwks_uri: `${issuer}/keys` }))
  })
  after(() => new Promise<void>((resolve) => idp.close(() => resolve())))
  const server = serverPerSuite('sqlite', {
    GATEHOUSE_ISSUER: 'http://localhost:7449',
    GATEHOUSE_TRUSTED_ISSUERS: JSON.stringify([{ issuer, audiences: ['gatehouse-apps'] }]),
  })

  it('lets a token of the organization\'s own IdP through, with its groups, as the upstream subject', async () => {
    const base = server.current()!.url
    const created = await fetch(`${base}/api/v1/forward-auth/applications`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'ops', hosts: ['localhost'], policy: { groups: { anyOf: ['sre'] } } }),
    })
    assert.equal(created.status, 201)
    const sign = (aud: string) => new SignJWT({ preferred_username: 'megan', groups: ['sre'] }).setProtectedHeader({ alg: 'ES256', kid: 'corp-1' })
      .setIssuer(issuer).setAudience(aud).setSubject('megan-7').setIssuedAt().setExpirationTime('5m').sign(pair.privateKey)
    const ask = async (token: string) => fetch(`${base}/api/forward-auth/caddy`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'localhost', 'x-forwarded-uri': '/' },
    })
    const ok = await ask(await sign('gatehouse-apps'))
    assert.equal(ok.status, 200)
    assert.equal(ok.headers.get('remote-user'), 'megan')
    assert.equal(ok.headers.get('remote-groups'), 'sre')
    assert.equal((await ask(await sign('someone-else'))).status, 401)
  })
})
