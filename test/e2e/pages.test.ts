// Every page a person sees from Gatehouse, in a real Chromium, in the light and the dark colour
// scheme: sign-in (the application's name, the brand's logo, email routing, provider buttons, the
// local account form, its errors), consent in plain words, an organization's branded sign-in,
// the device pages, the account page with its sessions, the forward-auth 403 with "sign in as
// someone else", the error pages with their reference, and sign-out in one step. Each passes
// axe-core with no serious or critical violation, runs no script the CSP refuses, and is
// photographed at 1280 px and 375 px (tmp/screenshots). One sign-in is done by keyboard alone.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { APP_HOST, DOMAIN, startUpstream } from '../support/forward-auth-world.ts'
import { repoRoot } from '../support/gatehouse.ts'
import { cspViolations, screenshots, seriousViolations } from '../support/page-checks.ts'
import { freePort, spawnServer, type ServerProcess } from '../support/process.ts'

const PASSWORD = 'pages-admin-password-1'
const SCHEMES = ['light', 'dark'] as const
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40"><rect width="40" height="40" rx="9" fill="#6d28d9"/>' +
  '<path d="M11 28V13h6l3 7 3-7h6v15h-4v-8l-3 7h-4l-3-7v8z" fill="#fff"/><text x="50" y="27" font-family="system-ui,sans-serif" font-size="19" font-weight="700" fill="#6d28d9">Northwind</text></svg>'

describe('the pages people see', { skip: chromiumSkipReason() }, () => {
  let server: ServerProcess
  let upstream: Awaited<ReturnType<typeof startUpstream>>
  let browser: Browser
  let issuer: string
  let dir: string
  let rp: Server
  /** The relying party: a page on its own origin that only says the browser got back. */
  let RP: string
  let CALLBACK: string

  before(async () => {
    rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title><h1>Back at the application</h1>'))
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve))
    RP = `http://rp.${DOMAIN}:${(rp.address() as AddressInfo).port}`
    CALLBACK = `${RP}/callback`
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pages-'))
    writeFileSync(join(dir, 'logo.svg'), LOGO)
    const port = await freePort()
    // *.localhost resolves to loopback in Chromium: the issuer and the protected application share a cookie domain.
    issuer = `http://id.${DOMAIN}:${port}`
    upstream = await startUpstream(`${issuer}/login/callback`)
    server = await spawnServer({
      args: [join(repoRoot, 'src/main.ts'), 'serve'], cwd: repoRoot, url: `http://127.0.0.1:${port}`,
      env: {
        GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn',
        GATEHOUSE_ISSUER: issuer, GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: DOMAIN, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD,
        GATEHOUSE_BRAND_NAME: 'Northwind Cloud', GATEHOUSE_BRAND_LOGO: join(dir, 'logo.svg'), GATEHOUSE_BRAND_ACCENT_COLOR: '#6d28d9',
        GATEHOUSE_BRAND_ORGANIZATIONS: JSON.stringify({ example: { name: 'Example Corp', accentColor: '#0f766e' } }),
        GATEHOUSE_UPSTREAMS: JSON.stringify([{
          id: 'corp', kind: 'oidc', name: 'Example Corp', issuer: upstream.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
          scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups', domains: ['example.test'],
        }]),
      },
    })
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      assert.equal(res.status, 201, await res.text())
    }
    await api('/api/v1/clients', {
      id: 'wiki', name: 'Team Wiki', type: 'public', redirectUris: [CALLBACK], postLogoutRedirectUris: [`${RP}/bye`], clientUri: `${RP}/`,
      grantTypes: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], scopes: ['openid', 'profile', 'email', 'offline_access'],
    })
    await api('/api/v1/forward-auth/applications', { id: 'grafana', hosts: [APP_HOST], policy: { groups: { anyOf: ['eng'] } } })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
    await upstream?.close()
    rp?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A visitor with the colour scheme. */
  async function visitor(scheme: (typeof SCHEMES)[number]): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext({ colorScheme: scheme })
    const page = await context.newPage()
    return { context, page, csp: cspViolations(page) }
  }

  async function check(page: Page, name: string): Promise<void> {
    await page.waitForLoadState('load')
    assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`)
    await screenshots(page, name)
  }

  const authorizeUrl = (extra: Record<string, string> = {}) => {
    const verifier = randomBytes(32).toString('base64url')
    const url = new URL('/auth', issuer)
    url.search = new URLSearchParams({
      client_id: 'wiki', response_type: 'code', redirect_uri: CALLBACK, scope: 'openid profile email offline_access', prompt: 'consent',
      state: randomBytes(8).toString('hex'), code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra,
    }).toString()
    return url.href
  }

  const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name }).waitFor()

  for (const scheme of SCHEMES) {
    it(`sign-in, consent, account, device, 403, errors and sign-out (${scheme})`, async () => {
      const { context, page, csp } = await visitor(scheme)
      try {
        await page.goto(authorizeUrl())
        await heading(page, 'Sign in to Team Wiki')
        assert.equal(await page.getByRole('img', { name: 'Northwind Cloud' }).count(), 1, 'the brand logo, named')
        assert.equal(await page.getByRole('button', { name: 'Sign in with Example Corp' }).count(), 1)
        await check(page, `signin-${scheme}`)

        await page.getByLabel('Work email').fill('someone@elsewhere.test')
        await page.getByRole('button', { name: 'Continue' }).click()
        await page.getByRole('alert').filter({ hasText: 'No identity provider is set up for this email domain' }).waitFor()
        await check(page, `signin-email-error-${scheme}`)

        await page.getByLabel('Username').fill('admin')
        await page.getByLabel('Password').fill('not the password')
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
        await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor()
        assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true')
        // The focus is back where the next thing to type is.
        assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id), 'password')
        await check(page, `signin-password-error-${scheme}`)

        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
        await heading(page, 'Allow access?')
        const scopes = await page.getByRole('list').first().innerText()
        for (const words of ['Who you are', 'Your name and username', 'Your email address']) assert.match(scopes, new RegExp(words))
        await check(page, `consent-${scheme}`)
        await page.getByRole('button', { name: 'Allow' }).click()
        await page.waitForURL((u) => u.origin === RP)
        assert.ok(new URL(page.url()).searchParams.get('code'), 'a code for the application')

        // The account page: the portal signs in through the open session without a page.
        await page.goto(`${issuer}/account`)
        await heading(page, 'Your account')
        const account = await page.locator('main').innerText()
        for (const words of ['Profile', 'admin', 'A local account', 'Organizations', 'Active sessions', '(this browser)', 'Two-step sign-in']) {
          assert.ok(account.includes(words), `account page shows ${words}: ${account}`)
        }
        assert.equal(await page.getByRole('button', { name: 'Sign out everywhere' }).count(), 1)
        await check(page, `account-${scheme}`)

        // The device pages: code entry, confirmation naming the application, success.
        const started = await fetch(`${issuer.replace(`id.${DOMAIN}`, '127.0.0.1')}/device/auth`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'wiki', scope: 'openid' }),
        })
        const device = await started.json() as { user_code: string }
        await page.goto(`${issuer}/device`)
        await heading(page, 'Connect a device')
        await check(page, `device-code-${scheme}`)
        await page.getByLabel('Code shown on your device').fill('WRONG-CODE')
        await page.getByRole('button', { name: 'Continue' }).click()
        await page.getByRole('alert').filter({ hasText: 'That code is not valid' }).waitFor()
        await check(page, `device-code-error-${scheme}`)
        await page.getByLabel('Code shown on your device').fill(device.user_code)
        await page.getByRole('button', { name: 'Continue' }).click()
        await heading(page, 'Connect a device?')
        await check(page, `device-confirm-${scheme}`)
        await page.getByRole('button', { name: 'Continue' }).click()
        await heading(page, 'Device connected')
        await check(page, `device-done-${scheme}`)

        // Forward-auth's 403, as the proxy would pass it on: who is signed in, and a way to switch.
        const denied = await context.newPage()
        const deniedCsp = cspViolations(denied)
        await denied.setExtraHTTPHeaders({ 'x-forwarded-proto': 'http', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': '/dashboards?x=1', 'x-forwarded-method': 'GET' })
        const answer = await denied.goto(`${issuer}/api/forward-auth/caddy`)
        assert.equal(answer?.status(), 403)
        await heading(denied, 'Access denied')
        assert.match(await denied.locator('main').innerText(), /signed in as admin/i)
        const switchUrl = new URL((await denied.getByRole('link', { name: 'Sign in as someone else' }).getAttribute('href'))!)
        assert.equal(switchUrl.searchParams.get('rd'), `http://${APP_HOST}/dashboards?x=1`)
        assert.equal(switchUrl.searchParams.get('switch'), '1')
        await check(denied, `forward-auth-403-${scheme}`)
        assert.deepEqual(deniedCsp, [])
        await denied.close()

        // Error pages: what happened, a reference, a next step.
        await page.goto(`${issuer}/auth?client_id=nobody&response_type=code&scope=openid`)
        await heading(page, 'Unknown application')
        assert.match(await page.locator('main').innerText(), /Reference: \S+/)
        assert.equal(await page.getByRole('link', { name: 'Go to the home page' }).count(), 1)
        await check(page, `error-unknown-client-${scheme}`)
        await page.goto(`${issuer}/interaction/not-a-sign-in`)
        await heading(page, 'Sign-in expired')
        assert.match(await page.locator('main').innerText(), /Reference: \S+/)
        await check(page, `error-expired-${scheme}`)
        await page.goto(`${issuer}/login/callback?state=made-up&code=x`)
        await heading(page, 'Sign-in expired')
        await check(page, `error-upstream-${scheme}`)

        // Sign-out in one step: the portal's button, then its signed-out page with a way back.
        await page.goto(`${issuer}/api/forward-auth/logout`)
        await heading(page, 'Sign out')
        await check(page, `signout-${scheme}`)
        await page.getByRole('button', { name: 'Sign out' }).click()
        await page.waitForURL(`${issuer}/api/forward-auth/logged-out`)
        await heading(page, 'You are signed out')
        assert.equal(await page.getByRole('link', { name: /home page/ }).count(), 1)
        await check(page, `signed-out-${scheme}`)
        // Signed out everywhere here: the account page asks for a sign-in again.
        await page.goto(`${issuer}/account`)
        await heading(page, /^Sign in to /)
        assert.deepEqual(csp, [])
      } finally {
        await context.close()
      }
    })
  }

  it('an organization\'s sign-in wears its brand; a sign-in is cancelled with access_denied', async () => {
    for (const scheme of SCHEMES) {
      const { context, page } = await visitor(scheme)
      try {
        await page.goto(authorizeUrl({ organization: 'example' }))
        await heading(page, 'Sign in to Team Wiki')
        assert.match(await page.locator('header').innerText(), /Example Corp/)
        assert.match(await page.title(), /Example Corp/)
        await check(page, `signin-organization-${scheme}`)
        await page.getByRole('button', { name: 'Cancel and go back to Team Wiki' }).click()
        await page.waitForURL((u) => u.origin === RP)
        assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied')
      } finally {
        await context.close()
      }
    }
  })

  it('an application\'s sign-out asks once, then says where to go back', async () => {
    for (const scheme of SCHEMES) {
      const { context, page, csp } = await visitor(scheme)
      try {
        await page.goto(authorizeUrl({ scope: 'openid', prompt: 'login' }))
        await page.getByLabel('Username').fill('admin')
        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
        await page.getByRole('button', { name: 'Allow' }).click()
        await page.waitForURL((u) => u.origin === RP)
        // No id_token_hint: one button, not two.
        await page.goto(`${issuer}/session/end?client_id=wiki`)
        await heading(page, 'Sign out')
        assert.equal(await page.getByRole('button').count(), 1)
        await check(page, `rp-signout-${scheme}`)
        await page.getByRole('button', { name: 'Sign out' }).click()
        await heading(page, 'You are signed out')
        assert.equal(await page.getByRole('link', { name: 'Back to Team Wiki' }).getAttribute('href'), `${RP}/`)
        await check(page, `rp-signed-out-${scheme}`)
        assert.deepEqual(csp, [])
      } finally {
        await context.close()
      }
    }
  })

  it('"Sign out everywhere" on the account page ends the sessions of every browser', async () => {
    const signIn = async (page: Page) => {
      await page.goto(`${issuer}/account`)
      await page.getByLabel('Username').fill('admin')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await heading(page, 'Your account')
    }
    const first = await visitor('light')
    const second = await visitor('dark')
    try {
      await signIn(first.page)
      await signIn(second.page)
      await first.page.reload()
      const rows = first.page.getByRole('table', { name: 'Active sessions' }).getByRole('row')
      assert.equal(await rows.count(), 3, 'a header and two sessions')
      assert.equal(await rows.filter({ hasText: '(this browser)' }).count(), 1)
      await first.page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await heading(first.page, 'You are signed out')
      // The other browser's session is over too, at the portal and at the provider: it must sign in again.
      await second.page.goto(`${issuer}/account`)
      await heading(second.page, /^Sign in to /)
      assert.deepEqual([...first.csp, ...second.csp], [])
    } finally {
      await first.context.close()
      await second.context.close()
    }
  })

  it('email first: a federated user is routed to the provider of the domain, and the account page names the linked account', async () => {
    for (const scheme of SCHEMES) {
      const { context, page, csp } = await visitor(scheme)
      try {
        await page.goto(`${issuer}/account`)
        await page.getByLabel('Work email').fill('anne@example.test')
        await page.getByRole('button', { name: 'Continue' }).click()
        await heading(page, 'Your account')
        const account = await page.locator('main').innerText()
        for (const words of ['Linked identity provider', 'Example Corp', upstream.issuer, 'anne@example.test', 'eng', 'ops']) {
          assert.ok(account.includes(words), `account page shows ${words}: ${account}`)
        }
        assert.match(account, /sign in through your organization's identity provider/)
        await check(page, `account-federated-${scheme}`)
        assert.deepEqual(csp, [])
      } finally {
        await context.close()
      }
    }
  })

  it('signs in by keyboard alone', async () => {
    const { context, page } = await visitor('light')
    try {
      await page.goto(authorizeUrl())
      await heading(page, 'Sign in to Team Wiki')
      // The email field has the focus; Tab walks to the local account form.
      assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id), 'email')
      for (let i = 0; i < 10; i++) {
        if (await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id) === 'username') break
        await page.keyboard.press('Tab')
      }
      await page.keyboard.type('admin')
      await page.keyboard.press('Tab')
      await page.keyboard.type(PASSWORD)
      await page.keyboard.press('Enter')
      await heading(page, 'Allow access?')
      // Allow has the focus.
      await page.keyboard.press('Enter')
      await page.waitForURL((u) => u.origin === RP).catch((err: unknown) => { throw new Error(`${page.url()} ${String(err)}`) })
      assert.ok(new URL(page.url()).searchParams.get('code'))
    } finally {
      await context.close()
    }
  })
})
