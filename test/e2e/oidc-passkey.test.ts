// Passkeys for local accounts in a real browser: Chromium with a virtual authenticator (CDP
// WebAuthn domain: CTAP2, internal transport, resident keys, user verification) enrols a passkey
// on the account page and answers the second step of a sign-in started by openid-client, whose
// ID token then says amr pwd+hwk. The pages run their one script under the shared policy: any
// Content-Security-Policy report fails the test. The issuer is http://localhost:<port>, a secure
// context with a host name WebAuthn accepts as the relying party id (an IP address is not one).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import * as oidc from 'openid-client'
import type { Browser as Chromium, BrowserContext, CDPSession, Page } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { serverPerSuite } from '../support/gatehouse.ts'
import { freePort } from '../support/process.ts'
import { withServerStore } from '../support/server-store.ts'

const PASSWORD = 'correct horse battery staple'
const chromiumSkip = chromiumSkipReason()
const PORT = await freePort()
// The relying party's callback is a real listener: a redirect Chromium follows to a name that does
// not resolve fails the navigation before an interception can answer it.
const RP_PORT = await freePort()
const RP = `http://127.0.0.1:${RP_PORT}`
const CALLBACK = `${RP}/callback`
const ISSUER = `http://localhost:${PORT}`

describe('passkeys for local accounts with a virtual authenticator in Chromium (SQLite)', { skip: chromiumSkip }, () => {
  const server = serverPerSuite('sqlite', { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_PORT: String(PORT), GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
  let chromium: Chromium
  let context: BrowserContext
  let page: Page
  let cdp: CDPSession
  let authenticatorId = ''
  let spa: oidc.Configuration
  const blocked: string[] = []
  let rp: Server | undefined

  before(async () => {
    await withServerStore(server.current(), (store) => store.oidcClients.upsert({
      clientId: 'spa', secretHash: null, source: 'api',
      metadata: { redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none', 'urn:gatehouse:first_party': true },
    }).then(() => undefined))
    // Node may resolve localhost to ::1 first; the server listens on 127.0.0.1.
    const toServer = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current().url) : url)
    spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), {
      execute: [oidc.allowInsecureRequests], [oidc.customFetch]: (url, options) => fetch(toServer(new URL(url)), options as RequestInit),
    })
    chromium = await launchChromium()
    context = await chromium.newContext()
    page = await context.newPage()
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()) })
    rp = createServer((_req, res) => res.end('relying party'))
    await new Promise<void>((resolve) => rp!.listen(RP_PORT, '127.0.0.1', resolve))
    cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable', { enableUI: false })
    authenticatorId = (await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    })).authenticatorId
  })
  after(async () => {
    await chromium?.close()
    await new Promise((resolve) => (rp ? rp.close(resolve) : resolve(undefined)))
  })

  async function password(): Promise<void> {
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  it('enrols a passkey on the account page, under the shared headers, and shows recovery codes once', async () => {
    await page.goto(`${ISSUER}/account`)
    await password()
    await page.getByRole('heading', { name: 'Your account' }).waitFor()
    const [added] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${ISSUER}/account/mfa/add`),
      page.getByRole('link', { name: 'Add an authenticator app or passkey' }).click(),
    ])
    const headers = added.headers()
    assert.equal(headers['content-security-policy'],
      `default-src 'none'; script-src ${ISSUER}/static/mfa-webauthn.js; style-src 'unsafe-inline'; img-src 'self' https:; base-uri 'none'; frame-ancestors 'none'`)
    assert.deepEqual([headers['x-frame-options'], headers['x-content-type-options'], headers['cache-control'], headers['referrer-policy']],
      ['DENY', 'nosniff', 'no-store', 'same-origin'])
    await page.locator('#passkey-label').fill('Laptop')
    await page.getByRole('button', { name: 'Add a passkey' }).click()
    await page.getByRole('heading', { name: 'Recovery codes' }).waitFor()
    assert.equal(await page.locator('ol li').count(), 10)
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    assert.equal(credentials.length, 1)
    assert.equal(credentials[0]!.rpId, 'localhost')
    assert.equal(credentials[0]!.isResidentCredential, true)
    await page.getByRole('link', { name: 'Back to your account' }).click()
    assert.match(await page.getByRole('table', { name: 'Second factors' }).innerText(), /Laptop\s+Passkey/)
    assert.deepEqual(blocked, [])
  })

  it('answers the second step of a sign-in with the passkey: amr pwd+hwk', async () => {
    await context.clearCookies()
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const url = oidc.buildAuthorizationUrl(spa, {
      redirect_uri: CALLBACK, scope: 'openid', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })
    await page.goto(url.href)
    await password()
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor()
    await page.getByRole('button', { name: 'Use a passkey' }).click()
    await page.waitForURL((u) => u.origin === RP, { waitUntil: 'commit' })
    const tokens = await oidc.authorizationCodeGrant(spa, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state })
    const claims = tokens.claims()!
    assert.equal(claims.sub, 'local:admin')
    assert.deepEqual(claims.amr, ['pwd', 'hwk'])
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    assert.ok(credentials[0]!.signCount >= 1, 'the authenticator counted the assertion')
    assert.deepEqual(blocked, [])
  })

  it('removes the passkey with the password again; the password alone then signs in', async () => {
    // A new sign-in to the account page, which now asks for the passkey too.
    await context.clearCookies()
    await page.goto(`${ISSUER}/account`)
    await password()
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor()
    await page.getByRole('button', { name: 'Use a passkey' }).click()
    await page.getByRole('heading', { name: 'Your account' }).waitFor()
    await page.locator('table input[type="password"]').fill(PASSWORD)
    await page.getByRole('button', { name: 'Remove Laptop' }).click()
    await page.getByText('No second factor').waitFor()
    assert.deepEqual(blocked, [])
  })
})
