// Second factors of local accounts with TOTP, end to end, with openid-client as the relying party
// and codes computed as an authenticator app would: enrolment on the account page (reached through
// the portal's sign-in), the second step of sign-in with `amr` in the ID token, a code refused on
// reuse, recovery codes good once, throttling, removal only with the password, the shared page
// headers, and a platform administrator made to enrol when mfaRequiredForAdmins is on.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import * as oidc from 'openid-client'
import { hashSecret } from '../../src/identity/index.ts'
import { totpCode } from '../../src/identity/mfa/totp.ts'
import { Browser, formAction, type Page } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite, type GatehouseProcess } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'

const ISSUER = 'http://localhost:7443'
const PASSWORD = 'correct horse battery staple'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const ORIGIN = { origin: ISSUER }

const SHARED_HEADERS = { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }

/** The shared header policy, with the passkey script allowed by its exact URL and nothing else. */
function assertPageHeaders(page: Page, referrer = 'no-referrer'): void {
  for (const [name, value] of Object.entries(SHARED_HEADERS)) assert.equal(page.headers.get(name), value, name)
  assert.equal(page.headers.get('referrer-policy'), referrer)
  assert.equal(page.headers.get('content-security-policy'),
    `default-src 'none'; script-src ${ISSUER}/static/mfa-webauthn.js; style-src 'unsafe-inline'; img-src 'self' https:; base-uri 'none'; frame-ancestors 'none'`)
}

const decode = (html: string) => html.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'")

/** What an authenticator app reads from the enrolment page, and the form's reference. */
function enrolment(page: Page): { secret: string; ref: string } {
  const uri = /Setup link: <code>([^<]+)<\/code>/.exec(page.html)?.[1]
  assert.ok(uri, page.html)
  const form = page.html.slice(page.html.indexOf('Setup link'))
  return { secret: new URL(decode(uri)).searchParams.get('secret')!, ref: /name="ref" value="([^"]+)"/.exec(form)![1]! }
}

const codesOf = (page: Page) => [...page.html.matchAll(/<li><code>([A-Z2-7-]{19})<\/code><\/li>/g)].map((m) => m[1]!)

/** A code for the step `steps` after now: the drift window lets the next step in before its time. */
const codeAhead = (secret: string, steps: number) => totpCode(secret, new Date(Date.now() + steps * 30_000))

function relyingParty(server: () => GatehouseProcess) {
  const toServer = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server().url) : url)
  const rpFetch: oidc.CustomFetch = (url, options) => fetch(toServer(new URL(url)), options as RequestInit)
  const browser = (localAddress?: string) => new Browser({ base: ISSUER, stopAt: [RP], route: toServer, localAddress })
  let spa: oidc.Configuration

  async function seed(): Promise<void> {
    await withServerStore(server(), async (store) => {
      await store.oidcClients.upsert({
        clientId: 'spa', secretHash: null, source: 'api',
        metadata: { redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none', 'urn:gatehouse:first_party': true },
      })
      await store.localAccounts.create({ username: 'ops', passwordHash: await hashSecret(PASSWORD) })
    })
    spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: rpFetch })
  }

  /**
   * Authorization request → password. `page` is where the browser stands after the password;
   * `post` answers the second step on it; `redeem` trades the code at the relying party.
   */
  async function signIn(b: Browser, username = 'admin') {
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const url = oidc.buildAuthorizationUrl(spa, {
      redirect_uri: CALLBACK, scope: 'openid', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })
    const login = await b.browse(url)
    const flow = {
      login,
      page: await b.browse(formAction(login.html, '/login'), { form: { username, password: PASSWORD } }),
      async post(code: string): Promise<Page> {
        const next = await b.browse(formAction(flow.page.html, '/mfa'), { form: { step: 'verify', code } })
        if (next.status !== 0) flow.page = next
        return next
      },
      redeem: async (callback: URL) => (await oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state })).claims()!,
    }
    return flow
  }

  /** The account page through the portal's sign-in (password only: the account has no factor yet). */
  async function accountPage(b: Browser, username = 'admin'): Promise<Page> {
    const login = await b.browse('/account')
    assert.match(login.html, /<label for="password">/)
    const page = await b.browse(formAction(login.html, '/login'), { form: { username, password: PASSWORD } })
    assert.equal(page.location.pathname, '/account', page.html)
    return page
  }

  return { seed, browser, signIn, accountPage }
}

for (const backend of BACKENDS) {
  describe(`TOTP second factor for local accounts (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    const { seed, browser, signIn, accountPage } = relyingParty(() => server.current())
    const owner = browser()
    let secret = ''
    let recovery: string[] = []

    before(() => seed())

    it('enrols an authenticator app on the account page after one right code, showing ten recovery codes once', async () => {
      const account = await accountPage(owner)
      assertPageHeaders(account, 'same-origin')
      assert.match(account.html, /No second factor/)
      const add = await owner.browse('/account/mfa/add')
      assertPageHeaders(add, 'same-origin')
      assert.match(add.html, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      const { secret: shown, ref } = enrolment(add)
      assert.match(shown, /^[A-Z2-7]{32}$/)
      // A form posted from anywhere but the issuer's own pages changes nothing.
      const forged = await owner.browse('/account/mfa/totp', { form: { ref, code: await totpCode(shown, new Date()) }, headers: { origin: 'http://app.localhost:7443' } })
      assert.equal(forged.status, 403)
      const wrong = await owner.browse('/account/mfa/totp', { form: { ref, code: '000000' }, headers: ORIGIN })
      assert.equal(wrong.status, 400)
      assert.match(wrong.html, /That code was not right/)
      assert.equal(enrolment(wrong).secret, shown, 'the same secret is offered again')
      const done = await owner.browse('/account/mfa/totp', { form: { ref, code: await totpCode(shown, new Date()), label: 'Phone' }, headers: ORIGIN })
      assert.equal(done.status, 200, done.html)
      recovery = codesOf(done)
      assert.equal(recovery.length, 10)
      const listed = await owner.browse('/account')
      assert.match(listed.html, /<td>Phone<\/td><td>Authenticator app<\/td>/)
      assert.match(listed.html, /10 of 10 left/)
      secret = shown
    })

    it('asks for the code after the password; the ID token says amr pwd+otp; the code is refused a second time', async () => {
      const first = await signIn(browser())
      assert.equal(first.page.status, 200)
      assert.match(first.page.html, /Two-step sign-in/)
      assertPageHeaders(first.page)
      // The enrolment spent the current step; the next one is inside the drift window already.
      const code = await codeAhead(secret, 1)
      const done = await first.post(code)
      assert.equal(done.location.origin, RP, done.html)
      const claims = await first.redeem(done.location)
      assert.equal(claims.sub, 'local:admin')
      assert.deepEqual(claims.amr, ['pwd', 'otp'])

      const again = await signIn(browser())
      const replayed = await again.post(code)
      assert.equal(replayed.status, 401)
      assert.match(replayed.html, /not accepted/)
      assertPageHeaders(replayed)
    })

    it('a recovery code signs in once (amr pwd+mfa), typed in lower case with spaces', async () => {
      const flow = await signIn(browser())
      const typed = recovery[0]!.toLowerCase().replaceAll('-', ' ')
      const done = await flow.post(typed)
      assert.equal(done.location.origin, RP, done.html)
      assert.deepEqual((await flow.redeem(done.location)).amr, ['pwd', 'mfa'])
      const reused = await (await signIn(browser())).post(recovery[0]!)
      assert.equal(reused.status, 401)
    })

    it('throttles wrong codes per address (429 with Retry-After) while the owner signs in from another', async () => {
      const guesser = browser('127.0.0.2')
      const flow = await signIn(guesser)
      let last: Page | undefined
      for (let i = 0; i < 6; i++) last = await flow.post(String(100000 + i))
      assert.equal(last!.status, 429)
      assert.equal(last!.headers.get('retry-after'), '300')
      const owned = await signIn(browser())
      const done = await owned.post(recovery[1]!)
      assert.equal(done.location.origin, RP, done.html)
    })

    it('removes the factor only with the password; then the password alone signs in', async () => {
      const page = await owner.browse('/account')
      const id = /name="id" value="([^"]+)"/.exec(page.html)![1]!
      const wrong = await owner.browse('/account/mfa/remove', { form: { id, password: 'not the password at all' }, headers: ORIGIN })
      assert.equal(wrong.status, 401)
      assert.match(wrong.html, /Wrong password: nothing was changed/)
      const bad = await owner.browse('/account/mfa/remove', { form: { id: 'no-such-factor', password: PASSWORD }, headers: ORIGIN })
      assert.equal(bad.status, 404)
      const removed = await owner.browse('/account/mfa/remove', { form: { id, password: PASSWORD }, headers: ORIGIN })
      assert.equal(removed.status, 200)
      assert.match(removed.html, /No second factor/)
      const flow = await signIn(browser())
      assert.equal(flow.page.location.origin, RP, flow.page.html)
      assert.deepEqual((await flow.redeem(flow.page.location)).amr, ['pwd'])
    })

    it('answers a second-step post without a right password before it with 400, and lets an account without a factor through', async () => {
      const flow = await signIn(browser('127.0.0.3'), 'ops')
      assert.equal(flow.page.location.origin, RP, 'ops has no factor')
      const b = browser('127.0.0.3')
      const other = await signIn(b, 'nobody-here')
      assert.equal(other.page.status, 401)
      const stray = await b.browse(formAction(other.page.html, '/login').replace(/\/login$/, '/mfa'), { form: { code: '123456', credential: '{"x":1}' } })
      assert.equal(stray.status, 400)
      assert.match(stray.html, /expired/)
    })
  })
}

describe('mfaRequiredForAdmins: a platform administrator enrols before the sign-in finishes (SQLite)', () => {
  const server = serverPerSuite('sqlite', { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD, GATEHOUSE_MFA_REQUIRED_FOR_ADMINS: 'true' })
  const { seed, browser, signIn } = relyingParty(() => server.current())
  before(() => seed())

  it('shows the enrolment after the password, then the recovery codes, then finishes with amr pwd+otp', async () => {
    const b = browser()
    const flow = await signIn(b)
    assert.equal(flow.page.status, 200, flow.page.html)
    assert.match(flow.page.html, /asks platform administrators for a second factor/)
    assertPageHeaders(flow.page)
    const { secret, ref } = enrolment(flow.page)
    const action = formAction(flow.page.html, '/mfa')
    const wrong = await b.browse(action, { form: { ref, code: '000000' } })
    assert.equal(wrong.status, 400)
    assert.equal(enrolment(wrong).secret, secret)
    const codes = await b.browse(action, { form: { ref, code: await totpCode(secret, new Date()) } })
    assert.equal(codes.status, 200, codes.html)
    assert.equal(codesOf(codes).length, 10)
    const done = await b.browse(formAction(codes.html, '/mfa'), { form: { step: 'continue' } })
    assert.equal(done.location.origin, RP, done.html)
    const claims = await flow.redeem(done.location)
    assert.equal(claims.sub, 'local:admin')
    assert.deepEqual(claims.amr, ['pwd', 'otp'])
    // The next sign-in asks for the factor it enrolled.
    const next = await signIn(browser())
    assert.match(next.page.html, /Two-step sign-in/)
    const second = await next.post(await codeAhead(secret, 1))
    assert.deepEqual((await next.redeem(second.location)).amr, ['pwd', 'otp'])
  })

  it('lets a local account that is not a platform administrator in with its password', async () => {
    const flow = await signIn(browser(), 'ops')
    assert.equal(flow.page.location.origin, RP, flow.page.html)
    assert.deepEqual((await flow.redeem(flow.page.location)).amr, ['pwd'])
  })
})
