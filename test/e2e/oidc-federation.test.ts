// Sign-in federated to an upstream OpenID Connect provider, with real HTTP end to end: a plain
// oidc-provider in this process plays the company IdP (it signs in a test user with groups),
// Gatehouse runs as a server process with it configured for the domain example.test, and
// openid-client is the relying party against Gatehouse. The browser is fetch with a cookie jar.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import * as oidc from 'openid-client'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'

const ISSUER = 'http://localhost:7443'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const NAMESPACE = 'https://gatehouse.dev/claims'
const UPSTREAM_SUB = 'anne-0001'

class CookieJar {
  private cookies = new Map<string, { value: string; path: string; origin: string }>()
  store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim())
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
      const expired = attrs.some((a) => a.toLowerCase().startsWith('expires=') && Date.parse(a.slice(8)) < Date.now())
      const key = `${url.origin};${name};${path}`
      if (expired || value === '') this.cookies.delete(key)
      else this.cookies.set(key, { value, path, origin: url.origin })
    }
  }
  header(url: URL): string {
    return [...this.cookies].filter(([, c]) => c.origin === url.origin &&
      (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map(([key, c]) => `${key.split(';')[1]}=${c.value}`).join('; ')
  }
}

/** The company IdP: signs in anne without asking and consents to whatever is requested. */
async function startUpstream(gatehouseCallback: string): Promise<{ issuer: string; server: Server }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'gatehouse', client_secret: 'upstream-secret', redirect_uris: [gatehouseCallback], grant_types: ['authorization_code'], response_types: ['code'] }],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: 'anne@example.test', email_verified: true, name: 'Anne Example', preferred_username: 'anne', groups: ['eng', 'ops'] }),
    }),
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! })
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid')
      await grant.save()
      return grant
    },
  })
  const handler = provider.callback()
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void provider.interactionDetails(req, res)
        .then((details) => provider.interactionFinished(req, res, details.params.login_hint === 'deny@example.test'
          ? { error: 'access_denied', error_description: 'the user declined' }
          : { login: { accountId: UPSTREAM_SUB } }, { mergeWithLastSubmission: false }))
        .catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
      return
    }
    handler(req, res)
  })
  return { issuer, server }
}

describe('sign-in federated to an upstream OpenID Connect provider (SQLite)', () => {
  let server: GatehouseProcess
  let upstream: { issuer: string; server: Server }
  let spa: oidc.Configuration
  const toServer = (url: string | URL) => {
    const u = new URL(url, ISSUER)
    return u.origin === ISSUER ? new URL(u.pathname + u.search, server.url) : u
  }
  const rpFetch: oidc.CustomFetch = (url, options) => fetch(toServer(url), options as RequestInit)

  /** Follows redirects across Gatehouse and the upstream; stops at the RP or at a page. */
  async function browse(jar: CookieJar, url: string | URL, init: { method?: string; form?: Record<string, string> } = {}) {
    let target = new URL(url, ISSUER)
    let method = init.method ?? 'GET'
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined
    for (let hops = 0; hops < 20; hops++) {
      if (target.origin === RP) return { location: target, status: 0, html: '' }
      const headers: Record<string, string> = { cookie: jar.header(target) }
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
      const res = await fetch(toServer(target), { method, headers, body, redirect: 'manual' })
      jar.store(target, res)
      const location = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && location) {
        target = new URL(location, target)
        method = 'GET'
        body = undefined
        continue
      }
      return { location: target, status: res.status, html: await res.text() }
    }
    throw new Error('too many redirects')
  }

  async function startLogin(jar: CookieJar) {
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const nonce = oidc.randomNonce()
    const url = oidc.buildAuthorizationUrl(spa, {
      redirect_uri: CALLBACK, scope: 'openid email profile groups', state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })
    return { verifier, state, nonce, page: await browse(jar, url) }
  }

  const upstreamAction = (html: string) => {
    const action = /<form method="post" action="([^"]+\/upstream)"/.exec(html)?.[1]
    assert.ok(action, html)
    return action.replaceAll('&amp;', '&')
  }

  before(async () => {
    upstream = await startUpstream(`${ISSUER}/login/callback`)
    server = await startGatehouse({
      GATEHOUSE_ISSUER: ISSUER,
      GATEHOUSE_BOOTSTRAP_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_UPSTREAMS: JSON.stringify([{
        id: 'corp', kind: 'oidc', name: 'Example Corp', issuer: upstream.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
        scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups', domains: ['example.test'],
      }]),
    })
    const store = await openSqliteStore({ path: join(server.dataDir, 'gatehouse.db') })
    try {
      await store.oidcClients.upsert({
        clientId: 'spa',
        metadata: {
          redirect_uris: [CALLBACK], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
          token_endpoint_auth_method: 'none', 'urn:gatehouse:first_party': true,
        },
        secretHash: null,
        source: 'api',
      })
    } finally {
      await store.close()
    }
    spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(),
      { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: rpFetch })
  })
  after(async () => {
    await server?.close()
    await new Promise((resolve) => upstream?.server.close(resolve))
  })

  it('lists the upstream provider on the login page next to an email field', async () => {
    const { page } = await startLogin(new CookieJar())
    assert.equal(page.status, 200)
    assert.match(page.html, /<label for="email">/)
    assert.match(page.html, /Sign in with Example Corp/)
  })

  it('routes anne@example.test to the upstream and back, with upstream groups and email in the tokens', async () => {
    const jar = new CookieJar()
    const flow = await startLogin(jar)
    const done = await browse(jar, upstreamAction(flow.page.html), { method: 'POST', form: { email: 'anne@example.test' } })
    assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
    const tokens = await oidc.authorizationCodeGrant(spa, done.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })
    const claims = tokens.claims()!
    assert.equal(claims.iss, ISSUER)
    assert.match(claims.sub, /^ext:[A-Za-z0-9_-]{43}$/)
    const info = await oidc.fetchUserInfo(spa, tokens.access_token, claims.sub)
    assert.equal(info.email, 'anne@example.test')
    assert.equal(info.email_verified, true)
    assert.equal(info.name, 'Anne Example')
    assert.equal(info.preferred_username, 'anne')
    assert.deepEqual(info.groups, ['eng', 'ops'])
    assert.deepEqual(info[NAMESPACE], { acctype: 'user' })

    // The login is kept for audit under the upstream's own issuer and subject.
    const store = await openSqliteStore({ path: join(server.dataDir, 'gatehouse.db') })
    try {
      const record = await store.userRecords.get(upstream.issuer, UPSTREAM_SUB)
      assert.equal(record?.email, 'anne@example.test')
      assert.deepEqual(record?.groups, ['eng', 'ops'])
    } finally {
      await store.close()
    }

    // The subject is stable per (upstream issuer, upstream sub): a second sign-in gets the same one.
    const jar2 = new CookieJar()
    const again = await startLogin(jar2)
    const back = await browse(jar2, upstreamAction(again.page.html), { method: 'POST', form: { provider: 'corp' } })
    assert.equal(back.location.origin, RP, `${back.status} ${back.html}`)
    const second = await oidc.authorizationCodeGrant(spa, back.location, { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce })
    assert.equal(second.claims()!.sub, claims.sub)
  })

  it('ends on a clear page when the upstream denies the sign-in', async () => {
    const jar = new CookieJar()
    const flow = await startLogin(jar)
    const res = await browse(jar, upstreamAction(flow.page.html), { method: 'POST', form: { email: 'deny@example.test' } })
    assert.equal(res.location.pathname, '/login/callback')
    assert.equal(res.status, 403)
    assert.match(res.html, /Example Corp did not allow the sign-in/)
  })

  it('refuses an email domain no provider is set up for, on the login page', async () => {
    const jar = new CookieJar()
    const flow = await startLogin(jar)
    const res = await browse(jar, upstreamAction(flow.page.html), { method: 'POST', form: { email: 'bob@elsewhere.test' } })
    assert.equal(res.status, 400)
    assert.match(res.html, /No identity provider is set up for this email domain/)
  })

  it('refuses a bad or replayed state on /login/callback with a clear page', async () => {
    const bad = await browse(new CookieJar(), `${ISSUER}/login/callback?code=x&state=not-a-state`)
    assert.equal(bad.status, 400)
    assert.match(bad.html, /Sign-in expired/)
    assert.doesNotMatch(bad.html, /at .*\.ts:\d+/)

    // Capture the upstream's redirect to Gatehouse, use it once, then replay it.
    const jar = new CookieJar()
    const flow = await startLogin(jar)
    let target = new URL(upstreamAction(flow.page.html), ISSUER)
    let res = await fetch(toServer(target), {
      method: 'POST', headers: { cookie: jar.header(target), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'anne@example.test' }).toString(), redirect: 'manual',
    })
    jar.store(target, res)
    for (let hops = 0; hops < 10 && new URL(res.headers.get('location')!, target).pathname !== '/login/callback'; hops++) {
      target = new URL(res.headers.get('location')!, target)
      res = await fetch(toServer(target), { headers: { cookie: jar.header(target) }, redirect: 'manual' })
      jar.store(target, res)
    }
    const callback = new URL(res.headers.get('location')!, target)
    assert.equal(callback.pathname, '/login/callback')
    const first = await browse(jar, callback)
    assert.equal(first.location.origin, RP, `${first.status} ${first.html}`)
    const replay = await browse(jar, callback)
    assert.equal(replay.status, 400)
    assert.match(replay.html, /Sign-in expired/)
  })
})
