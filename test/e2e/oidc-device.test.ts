// Foreign clients the way Incus signs in, against a real server on each backend: the device
// authorization grant with openid-client as the CLI (`audience=`, scope `openid offline_access
// email`) and Chromium entering the user code on Gatehouse's pages; the JWT access token for
// that audience with the username claims; refresh that re-sends the original scope; code + PKCE
// with `audience` or a client's default audience; the refusals (unregistered audience, wrong
// codes throttled per address). Clients and the resource server come from a bootstrap file.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import * as oidc from 'openid-client'
import type { Browser as Chromium, Page as ChromiumPage } from 'playwright-core'
import { Browser, formAction } from '../support/browser.ts'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'

const PASSWORD = 'correct horse battery staple'
const INCUS = 'https://incus.example.com:8443'
const AUDIENCE = 'incus'
const RP = 'https://rp.example'
const SCOPE = 'openid offline_access email'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const chromiumSkip = chromiumSkipReason()

// A relying party Chromium can really reach: it records each callback it receives.
const callbacks: string[] = []
const rp = createServer((req, res) => {
  callbacks.push(req.url ?? '')
  res.end('signed in')
})
await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve))
const LOCAL_RP = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`
after(() => rp.close())

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-device-'))
const bootstrapFile = join(dir, 'bootstrap.yaml')
writeFileSync(bootstrapFile, `
resourceServers:
  - { indicator: "${INCUS}", audience: ${AUDIENCE}, scopes: [], accessTokenTtlSeconds: 60,
      accessTokenClaims: [preferred_username, email, name] }
clients:
  - { id: incus, name: Incus, type: public, firstParty: true, redirectUris: ["${RP}/oidc/callback"],
      grantTypes: [authorization_code, refresh_token, "${DEVICE_GRANT}"] }
  - { id: incus-ui, name: Incus UI, type: public, firstParty: true, redirectUris: ["${RP}/oidc/callback"],
      grantTypes: [authorization_code, refresh_token], defaultAudience: ${AUDIENCE} }
  - { id: third, name: Third, type: public, redirectUris: ["${LOCAL_RP}/oidc/callback"],
      grantTypes: [authorization_code, refresh_token, "${DEVICE_GRANT}"] }
  - { id: plain, type: public, firstParty: true, redirectUris: ["${RP}/oidc/callback"], grantTypes: [authorization_code] }
`)
after(() => rmSync(dir, { recursive: true, force: true }))

for (const backend of BACKENDS) {
  describe(`device authorization and audiences for foreign clients (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD, GATEHOUSE_BOOTSTRAP_FILE: bootstrapFile })
    let issuer: string
    let incus: oidc.Configuration
    let ui: oidc.Configuration
    let plain: oidc.Configuration
    let third: oidc.Configuration
    let chromium: Chromium | undefined
    const discover = (id: string) =>
      oidc.discovery(new URL(issuer), id, { token_endpoint_auth_method: 'none' }, oidc.None(), { execute: [oidc.allowInsecureRequests] })

    /** Verifies an access token as Incus does: issuer, discovery JWKS, expiry, audience. */
    async function asIncus(token: string): Promise<JWTPayload> {
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer, audience: AUDIENCE })
      assert.equal(protectedHeader.typ, 'at+jwt')
      return payload
    }

    before(async () => {
      issuer = server.current().url
      incus = await discover('incus')
      ui = await discover('incus-ui')
      plain = await discover('plain')
      third = await discover('third')
      if (!chromiumSkip) chromium = await launchChromium()
    })
    after(async () => {
      await chromium?.close()
    })

    /** Chromium on the device pages; fails the test on any Content-Security-Policy report. */
    async function devicePage(url: string): Promise<{ page: ChromiumPage; blocked: string[]; close(): Promise<void> }> {
      const context = await chromium!.newContext()
      const page = await context.newPage()
      const blocked: string[] = []
      page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()) })
      const response = await page.goto(url)
      assert.equal(response?.headers()['x-frame-options'], 'DENY')
      assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'.*frame-ancestors 'none'/)
      return { page, blocked, close: () => context.close() }
    }

    async function confirmAndSignIn(page: ChromiumPage, userCode: string, signIn: boolean): Promise<void> {
      await page.getByRole('heading', { name: 'Connect a device?' }).waitFor()
      assert.match(await page.locator('main').innerText(), new RegExp(`Incus asks to sign in as you[\\s\\S]*${userCode}`))
      await page.getByRole('button', { name: 'Continue' }).click()
      if (signIn) {
        await page.getByLabel('Username').fill('admin')
        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in' }).click()
      }
      await page.getByRole('heading', { name: 'Device connected' }).waitFor()
      assert.match(await page.locator('main').innerText(), /Incus is signed in/)
    }

    it('announces the device authorization endpoint and grant in discovery', () => {
      const meta = incus.serverMetadata()
      assert.equal(meta.device_authorization_endpoint, `${issuer}/device/auth`)
      assert.ok(meta.grant_types_supported?.includes(DEVICE_GRANT))
    })

    it('signs the CLI in: code typed on Gatehouse\'s page, JWT for the audience with the username, refresh with the original scope', { skip: chromiumSkip }, async () => {
      const device = await oidc.initiateDeviceAuthorization(incus, { scope: SCOPE, audience: AUDIENCE })
      assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
      assert.equal(device.verification_uri, `${issuer}/device`)
      assert.equal(device.verification_uri_complete, `${issuer}/device?user_code=${device.user_code}`)
      // Said, not left to the default: clients on zitadel/oidc (Incus) take a missing interval as 0.
      assert.equal(device.interval, 5)

      const polled = oidc.pollDeviceAuthorizationGrant(incus, device)
      const browser = await devicePage(device.verification_uri)
      try {
        await browser.page.getByLabel('Code').fill(device.user_code.toLowerCase())
        await browser.page.getByRole('button', { name: 'Continue' }).click()
        await confirmAndSignIn(browser.page, device.user_code, true)
        assert.deepEqual(browser.blocked, [])
      } finally {
        await browser.close()
      }
      const tokens = await polled
      const claims = await asIncus(tokens.access_token)
      assert.equal(claims.client_id, 'incus')
      assert.equal(claims.sub, 'local:admin')
      assert.equal(claims.preferred_username, 'admin')
      assert.equal(claims.name, undefined, 'name needs the profile scope')
      assert.equal(claims.exp! - claims.iat!, 60)
      assert.ok(tokens.refresh_token)

      const refreshed = await oidc.refreshTokenGrant(incus, tokens.refresh_token, { scope: SCOPE })
      const again = await asIncus(refreshed.access_token)
      assert.equal(again.preferred_username, 'admin')
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate')
      // The rotated-out token is spent: its reuse is refused (and ends the grant).
      await assert.rejects(oidc.refreshTokenGrant(incus, tokens.refresh_token), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant')
    })

    it('takes the verification_uri_complete link under the page\'s CSP and skips the sign-in with a session', { skip: chromiumSkip }, async () => {
      const context = await chromium!.newContext()
      try {
        const page = await context.newPage()
        const blocked: string[] = []
        page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()) })
        const first = await oidc.initiateDeviceAuthorization(incus, { scope: SCOPE, audience: AUDIENCE })
        const firstPoll = oidc.pollDeviceAuthorizationGrant(incus, first)
        await page.goto(first.verification_uri_complete!)
        await confirmAndSignIn(page, first.user_code, true)
        await firstPoll

        const second = await oidc.initiateDeviceAuthorization(incus, { scope: SCOPE, audience: AUDIENCE })
        const secondPoll = oidc.pollDeviceAuthorizationGrant(incus, second)
        await page.goto(second.verification_uri_complete!)
        await confirmAndSignIn(page, second.user_code, false)
        assert.equal((await asIncus((await secondPoll).access_token)).preferred_username, 'admin')
        assert.deepEqual(blocked, [])
      } finally {
        await context.close()
      }
    })

    it('gives a client that is not first-party refresh tokens once consent covered offline_access, also in later code flows', { skip: chromiumSkip }, async () => {
      const context = await chromium!.newContext()
      try {
        const page = await context.newPage()
        const device = await oidc.initiateDeviceAuthorization(third, { scope: SCOPE })
        const polled = oidc.pollDeviceAuthorizationGrant(third, device)
        await page.goto(device.verification_uri_complete!)
        await page.getByRole('heading', { name: 'Connect a device?' }).waitFor()
        await page.getByRole('button', { name: 'Continue' }).click()
        await page.getByLabel('Username').fill('admin')
        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.getByRole('heading', { name: 'Allow access?' }).waitFor()
        assert.match(await page.locator('main').innerText(), /offline_access/)
        await page.getByRole('button', { name: 'Allow' }).click()
        await page.getByRole('heading', { name: 'Device connected' }).waitFor()
        const tokens = await polled
        assert.ok(tokens.refresh_token)
        assert.equal(tokens.access_token.split('.').length, 1, 'no audience: an opaque token')

        // A code flow in the same browser: OpenID Connect drops offline_access without
        // prompt=consent, yet the grant holds it, so a refresh token comes all the same.
        const verifier = oidc.randomPKCECodeVerifier()
        await page.goto(oidc.buildAuthorizationUrl(third, {
          redirect_uri: `${LOCAL_RP}/oidc/callback`, scope: SCOPE, state: 's1',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        }).href)
        await page.waitForURL(`${LOCAL_RP}/**`)
        const code = await oidc.authorizationCodeGrant(third, new URL(callbacks.findLast((u) => u.startsWith('/oidc/callback'))!, LOCAL_RP), { pkceCodeVerifier: verifier, expectedState: 's1' })
        assert.ok(code.refresh_token)
        assert.ok((await oidc.refreshTokenGrant(third, code.refresh_token, { scope: SCOPE })).access_token)
      } finally {
        await context.close()
      }
    })

    it('refuses an audience that is no registered resource server, naming it', async () => {
      await assert.rejects(oidc.initiateDeviceAuthorization(incus, { scope: SCOPE, audience: 'https://elsewhere.example' }), (err: oidc.ResponseBodyError) => {
        assert.equal(err.status, 400)
        assert.equal(err.error, 'invalid_target')
        assert.equal(err.error_description, 'audience https://elsewhere.example is not a registered resource server')
        return true
      })
      // A client without the device grant is refused too.
      await assert.rejects(oidc.initiateDeviceAuthorization(plain, { scope: 'openid' }), (err: oidc.ResponseBodyError) =>
        err.error === 'unauthorized_client' && err.error_description === `${DEVICE_GRANT} is not allowed for this client`)
    })

    /** Code + PKCE through the sign-in form; returns the token response. */
    async function codeFlow(config: oidc.Configuration, extra: Record<string, string> = {}) {
      const b = new Browser({ base: issuer, stopAt: [RP] })
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${RP}/oidc/callback`, scope: SCOPE, state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      })
      const login = await b.browse(url)
      assert.equal(login.status, 200, login.html)
      const done = await b.browse(formAction(login.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
      assert.equal(done.location.origin, RP, done.html)
      return oidc.authorizationCodeGrant(config, done.location, { pkceCodeVerifier: verifier, expectedState: state })
    }

    it('gives code + PKCE a JWT for `audience`, or for the client\'s default audience, and refreshes with the original scope', async () => {
      const asked = await codeFlow(incus, { audience: AUDIENCE })
      assert.equal((await asIncus(asked.access_token)).preferred_username, 'admin')
      const byDefault = await codeFlow(ui)
      assert.equal((await asIncus(byDefault.access_token)).client_id, 'incus-ui')
      // OpenID Connect dropped offline_access (no prompt=consent); re-sending it must still work.
      const refreshed = await oidc.refreshTokenGrant(ui, byDefault.refresh_token!, { scope: SCOPE })
      assert.equal((await asIncus(refreshed.access_token)).preferred_username, 'admin')
      const subset = await oidc.refreshTokenGrant(ui, refreshed.refresh_token!, { scope: 'openid' })
      assert.equal(decodeJwt(subset.access_token).aud, AUDIENCE)
      // A client without a default audience and no `audience` keeps opaque tokens.
      const opaque = await codeFlow(plain, { scope: 'openid' })
      assert.equal(opaque.access_token.split('.').length, 1)
    })

    // Last: the throttle counts every code entry from this address, the browser's included.
    it('throttles code entry per address: wrong codes first, then every entry, right or wrong', async () => {
      const b = new Browser({ base: issuer, stopAt: [] })
      let page = await b.browse('/device')
      const xsrf = () => /name="xsrf" value="([^"]*)"/.exec(page.html)?.[1] ?? ''
      let refusedAfter = 0
      for (let i = 1; i <= 21; i++) {
        page = await b.browse('/device', { method: 'POST', form: { xsrf: xsrf(), user_code: 'BCDF-GHJK' } })
        if (page.status === 429) {
          refusedAfter = i
          break
        }
        assert.equal(page.status, 400)
        assert.match(page.html, /That code is not valid/)
        assert.match(page.html, /value="BCDF-GHJK"/)
      }
      assert.ok(refusedAfter > 0, 'no entry was refused')
      assert.equal(page.headers.get('retry-after'), '300')
      assert.match(page.html, /Too many attempts/)
      // A right code is refused the same way: a throttled guesser learns nothing.
      const device = await oidc.initiateDeviceAuthorization(incus, { scope: SCOPE, audience: AUDIENCE })
      page = await b.browse('/device', { method: 'POST', form: { xsrf: 'whatever', user_code: device.user_code } })
      assert.equal(page.status, 429)
    })
  })
}
