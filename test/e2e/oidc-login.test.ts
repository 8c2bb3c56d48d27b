// Local-account sign-in through authorization code + PKCE, with openid-client as the relying
// party against a real server: the login form, id_token and userinfo claims, refresh rotation,
// introspection and revocation, RP-initiated logout, and the refusals (wrong password, replayed
// code, bad state). The browser is plain fetch with a cookie jar and manual redirects.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as oidc from 'openid-client'
import { hashSecret } from '../../src/identity/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'

const ISSUER = 'http://localhost:7443'
const PASSWORD = 'correct horse battery staple'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const NAMESPACE = 'https://gatehouse.dev/claims'

/** A browser's cookie jar, enough for oidc-provider's path-scoped cookies. */
class CookieJar {
  private cookies = new Map<string, { value: string; path: string }>()
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim())
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
      const expired = attrs.some((a) => a.toLowerCase().startsWith('expires=') && Date.parse(a.slice(8)) < Date.now())
      const key = `${name};${path}`
      if (expired || value === '') this.cookies.delete(key)
      else this.cookies.set(key, { value, path })
    }
  }
  header(url: URL): string {
    return [...this.cookies].filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([key, c]) => `${key.split(';')[0]}=${c.value}`).join('; ')
  }
}

describe('local sign-in with authorization code + PKCE (SQLite)', () => {
  let server: GatehouseProcess
  /** Requests to the issuer go to the server's real address. */
  const toServer = (url: string | URL) => {
    const u = new URL(url, ISSUER)
    return u.origin === ISSUER ? new URL(u.pathname + u.search, server.url) : u
  }
  const rpFetch: oidc.CustomFetch = (url, options) => fetch(toServer(url), options as RequestInit)
  const discoveryOptions = { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: rpFetch }
  let spa: oidc.Configuration
  let web: oidc.Configuration
  let third: oidc.Configuration

  /** A browser: follows redirects within the issuer, stops at the RP's callback or at a page. */
  async function browse(jar: CookieJar, url: string | URL, init: { method?: string; form?: Record<string, string> } = {}) {
    let target = new URL(url, ISSUER)
    let method = init.method ?? 'GET'
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined
    for (let hops = 0; hops < 10; hops++) {
      if (target.origin !== ISSUER) return { location: target, status: 0, html: '', headers: new Headers() }
      const headers: Record<string, string> = { cookie: jar.header(target) }
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
      const res = await fetch(toServer(target), { method, headers, body, redirect: 'manual' })
      jar.store(res)
      const location = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && location) {
        target = new URL(location, target)
        method = 'GET'
        body = undefined
        continue
      }
      return { location: target, status: res.status, html: await res.text(), headers: res.headers }
    }
    throw new Error('too many redirects')
  }

  async function startLogin(config: oidc.Configuration, jar: CookieJar, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const nonce = oidc.randomNonce()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    })
    const page = await browse(jar, url)
    return { verifier, state, nonce, page }
  }

  const formAction = (html: string) => {
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]
    assert.ok(action, html)
    return action.replaceAll('&amp;', '&')
  }

  /** The whole browser leg: returns the callback URL carrying the code. */
  async function login(config: oidc.Configuration, jar = new CookieJar()) {
    const flow = await startLogin(config, jar)
    assert.equal(flow.page.status, 200)
    const done = await browse(jar, formAction(flow.page.html), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
    assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
    return { ...flow, callback: done.location, jar }
  }

  before(async () => {
    server = await startGatehouse({ GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    const store = await openSqliteStore({ path: join(server.dataDir, 'gatehouse.db') })
    try {
      const common = {
        redirect_uris: [CALLBACK],
        post_logout_redirect_uris: [`${RP}/bye`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        'urn:gatehouse:first_party': true,
      }
      await store.oidcClients.upsert({ clientId: 'spa', metadata: { ...common, token_endpoint_auth_method: 'none' }, secretHash: null, source: 'api' })
      const { 'urn:gatehouse:first_party': _, ...notFirstParty } = common
      await store.oidcClients.upsert({ clientId: 'third', metadata: { ...notFirstParty, token_endpoint_auth_method: 'none' }, secretHash: null, source: 'api' })
      await store.oidcClients.upsert({
        clientId: 'web',
        metadata: { ...common, token_endpoint_auth_method: 'client_secret_basic' },
        secretHash: await hashSecret('web-secret-0123456789'),
        source: 'api',
      })
    } finally {
      await store.close()
    }
    third = await oidc.discovery(new URL(ISSUER), 'third', { token_endpoint_auth_method: 'none' }, oidc.None(), discoveryOptions)
    spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), discoveryOptions)
    web = await oidc.discovery(new URL(ISSUER), 'web', undefined, oidc.ClientSecretBasic('web-secret-0123456789'), discoveryOptions)
  })
  after(async () => {
    await server?.close()
  })

  it('shows an accessible login form with the client named and the login_hint prefilled', async () => {
    const { page } = await startLogin(spa, new CookieJar(), { login_hint: 'someone' })
    assert.equal(page.status, 200)
    assert.match(page.html, /<label for="username">/)
    assert.match(page.html, /<label for="password">/)
    assert.match(page.html, /autocomplete="current-password"/)
    assert.match(page.html, /value="someone"/)
    assert.match(page.html, /<strong>spa<\/strong>/)
  })

  it('a public client gets tokens whose id_token and userinfo carry the account', async () => {
    const { callback, verifier, state, nonce } = await login(spa)
    const tokens = await oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
    const claims = tokens.claims()!
    assert.equal(claims.iss, ISSUER)
    assert.equal(claims.aud, 'spa')
    assert.equal(claims.nonce, nonce)
    assert.equal(claims.sub, 'local:admin')
    const info = await oidc.fetchUserInfo(spa, tokens.access_token, claims.sub)
    assert.equal(info.sub, 'local:admin')
    assert.equal(info.preferred_username, 'admin')
    assert.deepEqual(info[NAMESPACE], { acctype: 'user' })
    assert.ok(tokens.refresh_token, 'first-party clients get a refresh token')
  })

  it('a replayed code is refused', async () => {
    const { callback, verifier, state, nonce } = await login(spa)
    await oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
    await assert.rejects(
      oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }),
      (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant',
    )
  })

  it('a callback whose state does not match is rejected by the relying party', async () => {
    const { callback, verifier, nonce } = await login(spa)
    await assert.rejects(
      oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: oidc.randomState(), expectedNonce: nonce }),
      (err: unknown) => err instanceof oidc.ClientError && err.code === 'OAUTH_INVALID_RESPONSE',
    )
  })

  it('refresh rotates, the old refresh token is then refused; introspection is active until revocation', async () => {
    const { callback, verifier, state, nonce } = await login(web)
    const first = await oidc.authorizationCodeGrant(web, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
    assert.ok(first.refresh_token)
    const second = await oidc.refreshTokenGrant(web, first.refresh_token)
    assert.ok(second.refresh_token)
    assert.notEqual(second.refresh_token, first.refresh_token)

    const active = await oidc.tokenIntrospection(web, second.access_token)
    assert.equal(active.active, true)
    assert.equal(active.sub, 'local:admin')
    assert.equal(active.client_id, 'web')
    await oidc.tokenRevocation(web, second.access_token)
    assert.equal((await oidc.tokenIntrospection(web, second.access_token)).active, false)

    await assert.rejects(oidc.refreshTokenGrant(web, first.refresh_token),
      (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant')
  })

  it('a wrong password re-renders the form with 401 and a message, and no stack trace', async () => {
    const jar = new CookieJar()
    const { page } = await startLogin(spa, jar)
    const wrong = await browse(jar, formAction(page.html), { method: 'POST', form: { username: 'admin', password: 'not the password' } })
    assert.equal(wrong.status, 401)
    assert.match(wrong.html, /role="alert"/)
    assert.match(wrong.html, /Wrong username or password/)
    assert.match(wrong.html, /value="admin"/)
    assert.doesNotMatch(wrong.html, /at \w+ \(|node_modules|Error:/)
    // The same form still works with the right password.
    const right = await browse(jar, formAction(wrong.html), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
    assert.equal(right.location.origin, RP)
  })

  it('rapid wrong attempts for one username are throttled with 429 and Retry-After', async () => {
    const jar = new CookieJar()
    let { html } = (await startLogin(spa, jar)).page
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof browse>> | undefined
    for (let i = 0; i < 6; i++) {
      last = await browse(jar, formAction(html), { method: 'POST', form: { username: 'nobody-here', password: 'wrong password ' + i } })
      statuses.push(last.status)
      html = last.html
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
    assert.ok(Number(last!.headers.get('retry-after')) > 0)
    assert.match(last!.html, /Too many sign-in attempts/)
  })

  it('a login form posted without the interaction cookie finds no sign-in', async () => {
    const { page } = await startLogin(spa, new CookieJar())
    const forged = await browse(new CookieJar(), formAction(page.html), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
    assert.equal(forged.status, 400)
    assert.match(forged.html, /Sign-in expired/)
  })

  it('RP-initiated logout ends the session: the next authorization request shows the login page again', async () => {
    const { callback, verifier, state, nonce, jar } = await login(spa)
    const tokens = await oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
    // With the session alive, a new authorization request goes straight back to the RP.
    const silent = await startLogin(spa, jar)
    assert.equal(silent.page.location.origin, RP)

    const endUrl = oidc.buildEndSessionUrl(spa, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${RP}/bye`, state: 'bye-state' })
    const confirm = await browse(jar, endUrl)
    assert.equal(confirm.status, 200)
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1]
    assert.ok(xsrf, confirm.html)
    const done = await browse(jar, '/session/end/confirm', { method: 'POST', form: { xsrf, logout: 'yes' } })
    assert.equal(done.location.href, `${RP}/bye?state=bye-state`)

    const again = await startLogin(spa, jar)
    assert.equal(again.page.status, 200)
    assert.match(again.page.html, /<label for="password">/)
  })

  it('a client that is not first-party asks for consent; deny reaches the RP as access_denied, allow gives a code', async () => {
    const signIn = async (jar: CookieJar) => {
      const { page } = await startLogin(third, jar)
      const consent = await browse(jar, formAction(page.html), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
      assert.equal(consent.status, 200)
      assert.match(consent.html, /Allow access\?/)
      assert.match(consent.html, /<li>profile<\/li>/)
      return consent
    }
    const jar = new CookieJar()
    const denied = await browse(jar, formAction((await signIn(jar)).html), { method: 'POST', form: { decision: 'deny' } })
    assert.equal(denied.location.origin, RP)
    assert.equal(denied.location.searchParams.get('error'), 'access_denied')

    const jar2 = new CookieJar()
    const allowed = await browse(jar2, formAction((await signIn(jar2)).html), { method: 'POST', form: { decision: 'allow' } })
    assert.equal(allowed.location.origin, RP)
    assert.ok(allowed.location.searchParams.get('code'))
  })
})
