// Local-account sign-in through authorization code + PKCE, with openid-client as the relying
// party against a real server on each store backend: the login form, id_token and userinfo
// claims, prompt and max_age, cancel, refresh rotation, introspection and revocation,
// RP-initiated logout, the refusals (wrong password, replayed code, bad state), and a server
// with local login turned off.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import * as oidc from 'openid-client'
import { hashSecret } from '../../src/identity/index.ts'
import { Browser, formAction, type Page } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'

const ISSUER = 'http://localhost:7443'
const PASSWORD = 'correct horse battery staple'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const NAMESPACE = 'https://gatehouse.dev/claims'

const COMMON_METADATA = {
  redirect_uris: [CALLBACK],
  post_logout_redirect_uris: [`${RP}/bye`],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  'urn:gatehouse:first_party': true,
}

/** Everything a suite needs to act as browser and relying party against one server. */
function relyingParty(current: () => { url: string } | undefined) {
  /** Requests to the issuer go to the server's real address. */
  const toServer = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, current()!.url) : url)
  const rpFetch: oidc.CustomFetch = (url, options) => fetch(toServer(new URL(url)), options as RequestInit)
  const discoveryOptions = { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: rpFetch }
  /** `localAddress`: connect from that loopback address, as another machine would. */
  const browser = (localAddress?: string) => new Browser({ base: ISSUER, stopAt: [RP], route: toServer, localAddress })

  async function startLogin(config: oidc.Configuration, b: Browser, extra: Record<string, string> = {}) {
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
    const page = await b.browse(url)
    return { verifier, state, nonce, page }
  }

  const submitPassword = (b: Browser, page: Page, password = PASSWORD) =>
    b.browse(formAction(page.html, '/login'), { method: 'POST', form: { username: 'admin', password } })

  return { discoveryOptions, browser, startLogin, submitPassword }
}

for (const backend of BACKENDS) {
  describe(`local sign-in with authorization code + PKCE (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    const { discoveryOptions, browser, startLogin, submitPassword } = relyingParty(() => server.current())
    let spa: oidc.Configuration
    let web: oidc.Configuration
    let third: oidc.Configuration

    /** The whole browser leg: returns the callback URL carrying the code. */
    async function login(config: oidc.Configuration, b = browser(), extra: Record<string, string> = {}) {
      const flow = await startLogin(config, b, extra)
      assert.equal(flow.page.status, 200)
      const done = await submitPassword(b, flow.page)
      assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
      return { ...flow, callback: done.location, browser: b }
    }

    const redeem = (config: oidc.Configuration, flow: { callback: URL; verifier: string; state: string; nonce: string }) =>
      oidc.authorizationCodeGrant(config, flow.callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })

    before(async () => {
      const current = server.current()
      if (!current) return
      await withServerStore(current, async (store) => {
        await store.oidcClients.upsert({ clientId: 'spa', metadata: { ...COMMON_METADATA, token_endpoint_auth_method: 'none' }, secretHash: null, source: 'api' })
        const { 'urn:gatehouse:first_party': _, ...notFirstParty } = COMMON_METADATA
        await store.oidcClients.upsert({ clientId: 'third', metadata: { ...notFirstParty, token_endpoint_auth_method: 'none' }, secretHash: null, source: 'api' })
        await store.oidcClients.upsert({
          clientId: 'web',
          metadata: { ...COMMON_METADATA, token_endpoint_auth_method: 'client_secret_basic' },
          secretHash: await hashSecret('web-secret-0123456789'),
          source: 'api',
        })
      })
      third = await oidc.discovery(new URL(ISSUER), 'third', { token_endpoint_auth_method: 'none' }, oidc.None(), discoveryOptions)
      spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), discoveryOptions)
      web = await oidc.discovery(new URL(ISSUER), 'web', undefined, oidc.ClientSecretBasic('web-secret-0123456789'), discoveryOptions)
    })

    it('shows an accessible login form with the client named and the login_hint prefilled', async (t) => {
      const { page } = await startLogin(spa, browser(), { login_hint: 'someone' })
      assert.equal(page.status, 200)
      assert.match(page.html, /<label for="username">/)
      assert.match(page.html, /<label for="password">/)
      assert.match(page.html, /autocomplete="current-password"/)
      assert.match(page.html, /id="username"[^>]*value="someone"/)
      assert.match(page.html, /<h1>Sign in to spa<\/h1>/)
    })

    it('a public client gets tokens whose id_token and userinfo carry the account', async (t) => {
      const flow = await login(spa)
      const tokens = await redeem(spa, flow)
      const claims = tokens.claims()!
      assert.equal(claims.iss, ISSUER)
      assert.equal(claims.aud, 'spa')
      assert.equal(claims.nonce, flow.nonce)
      assert.equal(claims.sub, 'local:admin')
      const info = await oidc.fetchUserInfo(spa, tokens.access_token, claims.sub)
      assert.equal(info.sub, 'local:admin')
      assert.equal(info.preferred_username, 'admin')
      assert.deepEqual(info[NAMESPACE], { acctype: 'user' })
      assert.ok(tokens.refresh_token, 'first-party clients get a refresh token')
    })

    it('prompt=none without a session returns login_required to the redirect URI with the state', async (t) => {
      const flow = await startLogin(spa, browser(), { prompt: 'none' })
      assert.equal(flow.page.location.origin, RP, `${flow.page.status} ${flow.page.html}`)
      assert.equal(flow.page.location.searchParams.get('error'), 'login_required')
      await assert.rejects(
        oidc.authorizationCodeGrant(spa, flow.page.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }),
        (err: unknown) => err instanceof oidc.AuthorizationResponseError && err.error === 'login_required',
      )
    })

    it('prompt=none with a session returns a code without showing a page', async (t) => {
      const first = await login(spa)
      const silent = await startLogin(spa, first.browser, { prompt: 'none' })
      assert.equal(silent.page.location.origin, RP, `${silent.page.status} ${silent.page.html}`)
      const tokens = await redeem(spa, { ...silent, callback: silent.page.location })
      assert.equal(tokens.claims()!.sub, 'local:admin')
    })

    it('prompt=login with a live session shows the login form again', async (t) => {
      const first = await login(spa)
      const again = await startLogin(spa, first.browser, { prompt: 'login' })
      assert.equal(again.page.status, 200)
      assert.match(again.page.html, /<label for="password">/)
      const done = await submitPassword(first.browser, again.page)
      assert.equal(done.location.origin, RP)
      assert.ok(done.location.searchParams.get('code'))
    })

    it('max_age=0 forces a new login and the id_token carries auth_time', async (t) => {
      const first = await login(spa)
      const firstClaims = (await redeem(spa, first)).claims()!
      const again = await startLogin(spa, first.browser, { max_age: '0' })
      assert.equal(again.page.status, 200, 'a session older than max_age must not be reused')
      assert.match(again.page.html, /<label for="password">/)
      const done = await submitPassword(first.browser, again.page)
      assert.equal(done.location.origin, RP)
      const claims = (await redeem(spa, { ...again, callback: done.location })).claims()!
      assert.equal(typeof claims.auth_time, 'number')
      assert.ok(claims.auth_time! >= (firstClaims.auth_time ?? 0))
    })

    it('Cancel on the login page sends access_denied with the state back to the client', async (t) => {
      const b = browser()
      const flow = await startLogin(spa, b)
      assert.match(flow.page.html, /<button type="submit" name="cancel"[^>]*>Cancel and go back to spa<\/button>/)
      const cancelled = await b.browse(formAction(flow.page.html, '/login'), { method: 'POST', form: { cancel: 'yes' } })
      assert.equal(cancelled.location.origin, RP, `${cancelled.status} ${cancelled.html}`)
      assert.equal(cancelled.location.searchParams.get('state'), flow.state)
      await assert.rejects(
        oidc.authorizationCodeGrant(spa, cancelled.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }),
        (err: unknown) => err instanceof oidc.AuthorizationResponseError && err.error === 'access_denied',
      )
    })

    it('a replayed code is refused', async (t) => {
      const flow = await login(spa)
      await redeem(spa, flow)
      await assert.rejects(redeem(spa, flow), (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant')
    })

    it('a callback whose state does not match is rejected by the relying party', async (t) => {
      const { callback, verifier, nonce } = await login(spa)
      await assert.rejects(
        oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: oidc.randomState(), expectedNonce: nonce }),
        (err: unknown) => err instanceof oidc.ClientError && err.code === 'OAUTH_INVALID_RESPONSE',
      )
    })

    it('refresh rotates, the old refresh token is then refused; introspection is active until revocation', async (t) => {
      const first = await redeem(web, await login(web))
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

    it('a wrong password re-renders the form with 401 and a message, and no stack trace', async (t) => {
      const b = browser()
      const { page } = await startLogin(spa, b)
      const wrong = await submitPassword(b, page, 'not the password')
      assert.equal(wrong.status, 401)
      assert.match(wrong.html, /role="alert"/)
      assert.match(wrong.html, /Wrong username or password/)
      assert.match(wrong.html, /value="admin"/)
      assert.doesNotMatch(wrong.html, /at \w+ \(|node_modules|Error:/)
      // The same form still works with the right password.
      const right = await submitPassword(b, wrong)
      assert.equal(right.location.origin, RP)
    })

    it('rapid wrong attempts for one username are throttled with 429 and Retry-After', async (t) => {
      const b = browser()
      let { page } = await startLogin(spa, b)
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) {
        page = await b.browse(formAction(page.html, '/login'), { method: 'POST', form: { username: 'nobody-here', password: 'wrong password ' + i } })
        statuses.push(page.status)
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
      assert.ok(Number(page.headers.get('retry-after')) > 0)
      assert.match(page.html, /Too many sign-in attempts/)
    })

    it('an address hammering the admin account is slowed to 429 while the owner signs in from another', async (t) => {
      const attacker = browser('127.0.0.3')
      let { page } = await startLogin(spa, attacker)
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        page = await submitPassword(attacker, page, `guess number ${i}`)
        statuses.push(page.status)
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429])
      assert.equal(page.headers.get('retry-after'), '300')
      // Still refused with the right password from there: the guesser learns nothing.
      assert.equal((await submitPassword(attacker, page)).status, 429)

      const owner = browser('127.0.0.4')
      const flow = await startLogin(spa, owner)
      const done = await submitPassword(owner, flow.page)
      assert.equal(done.location.origin, RP, `the owner was kept out: ${done.status} ${done.html.slice(0, 300)}`)
    })

    it('a login form posted without the interaction cookie finds no sign-in', async (t) => {
      const { page } = await startLogin(spa, browser())
      const forged = await submitPassword(browser(), page)
      assert.equal(forged.status, 400)
      assert.match(forged.html, /Sign-in expired/)
    })

    it('RP-initiated logout ends the session: the next authorization request shows the login page again', async (t) => {
      const flow = await login(spa)
      const tokens = await redeem(spa, flow)
      // With the session alive, a new authorization request goes straight back to the RP.
      const silent = await startLogin(spa, flow.browser)
      assert.equal(silent.page.location.origin, RP)

      const endUrl = oidc.buildEndSessionUrl(spa, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${RP}/bye`, state: 'bye-state' })
      const confirm = await flow.browser.browse(endUrl)
      assert.equal(confirm.status, 200)
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1]
      assert.ok(xsrf, confirm.html)
      const done = await flow.browser.browse('/session/end/confirm', { method: 'POST', form: { xsrf, logout: 'yes' } })
      assert.equal(done.location.href, `${RP}/bye?state=bye-state`)

      const again = await startLogin(spa, flow.browser)
      assert.equal(again.page.status, 200)
      assert.match(again.page.html, /<label for="password">/)
    })

    it('a client that is not first-party asks for consent; deny reaches the RP as access_denied, allow gives a code', async (t) => {
      const signIn = async (b: Browser) => {
        const { page } = await startLogin(third, b)
        const consent = await submitPassword(b, page)
        assert.equal(consent.status, 200)
        assert.match(consent.html, /Allow access\?/)
        assert.match(consent.html, /<li><strong>Your name and username<\/strong><small>[^<]*<code>profile<\/code><\/small><\/li>/)
        return consent
      }
      const b1 = browser()
      const denied = await b1.browse(formAction((await signIn(b1)).html, '/consent'), { method: 'POST', form: { decision: 'deny' } })
      assert.equal(denied.location.origin, RP)
      assert.equal(denied.location.searchParams.get('error'), 'access_denied')

      const b2 = browser()
      const allowed = await b2.browse(formAction((await signIn(b2)).html, '/consent'), { method: 'POST', form: { decision: 'allow' } })
      assert.equal(allowed.location.origin, RP)
      assert.ok(allowed.location.searchParams.get('code'))
    })
  })

  describe(`local login turned off (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_LOCAL_LOGIN: 'false', GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    const { discoveryOptions, browser, startLogin } = relyingParty(() => server.current())
    let spa: oidc.Configuration

    before(async () => {
      const current = server.current()
      if (!current) return
      await withServerStore(current, (store) =>
        store.oidcClients.upsert({ clientId: 'spa', metadata: { ...COMMON_METADATA, token_endpoint_auth_method: 'none' }, secretHash: null, source: 'api' }))
      spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), discoveryOptions)
    })

    it('shows no password form, refuses a posted password, and created no bootstrap admin', async (t) => {
      const current = server.current()
      const b = browser()
      const { page } = await startLogin(spa, b)
      assert.equal(page.status, 200)
      assert.doesNotMatch(page.html, /type="password"/)
      assert.doesNotMatch(page.html, /<label for="username">/)

      // The form's endpoint still exists; a password posted to it anyway is refused.
      const action = new URL(page.location)
      action.pathname = `${page.location.pathname}/login`
      const refused = await b.browse(action, { method: 'POST', form: { username: 'admin', password: PASSWORD } })
      assert.equal(refused.status, 403)
      assert.match(refused.html, /Password sign-in is turned off/)

      const accounts = await withServerStore(current, (store) => store.localAccounts.list({ pageSize: 10 }))
      assert.deepEqual(accounts.items, [])
    })
  })
}
