// Every HTML page Gatehouse serves carries one header policy: a CSP without inline script (the
// provider's auto-submit forms get their script's hash), no framing, nosniff, no referrer and
// no caching. Fetched from a real server process, page by page; SQLite only (no store in play).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import * as oidc from 'openid-client'
import { Browser, formAction, type Page } from '../support/browser.ts'
import { CALLBACK, createClient, discover, passwordSignIn, RP } from '../support/foreign-rp.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'

const PASSWORD = 'correct horse battery staple'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** The policy, checked on one page; returns the CSP's script-src sources. */
function assertPageHeaders(name: string, headers: Headers, options: { referrer?: string } = {}): string[] {
  assert.match(headers.get('content-type') ?? '', /^text\/html/, `${name}: content-type`)
  const csp = headers.get('content-security-policy') ?? ''
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]))
  assert.deepEqual(directives.get('default-src'), ["'none'"], `${name}: default-src in ${csp}`)
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], `${name}: frame-ancestors in ${csp}`)
  const scripts = directives.get('script-src')
  assert.ok(scripts !== undefined, `${name}: script-src present in ${csp}`)
  assert.ok(scripts.every((s) => /^'sha256-[A-Za-z0-9+/=]+'$/.test(s)), `${name}: only hashed scripts in ${csp}`)
  assert.equal(headers.get('x-frame-options'), 'DENY', `${name}: x-frame-options`)
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `${name}: nosniff`)
  assert.equal(headers.get('referrer-policy'), options.referrer ?? 'no-referrer', `${name}: referrer-policy`)
  assert.equal(headers.get('cache-control'), 'no-store', `${name}: cache-control`)
  return scripts
}

/** Each inline script's hash is in script-src, and nothing else. */
function assertScriptsHashed(name: string, page: Page, scripts: string[]): void {
  const inline = [...page.html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`)
  assert.ok(inline.length > 0, `${name}: has its auto-submit script`)
  assert.deepEqual(scripts.sort(), inline.sort(), `${name}: script hashes`)
}

describe('headers of every HTML page', () => {
  let server: GatehouseProcess
  let base: string
  let web: oidc.Configuration
  let third: oidc.Configuration

  before(async () => {
    server = await startGatehouse({ GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    base = server.url
    await createClient(base, { id: 'web', type: 'public', firstParty: true, redirectUris: [CALLBACK], grantTypes: ['authorization_code', DEVICE_GRANT], scopes: ['openid', 'profile'] })
    await createClient(base, { id: 'third', type: 'public', redirectUris: [CALLBACK], scopes: ['openid', 'profile'] })
    web = await discover(base, 'web')
    third = await discover(base, 'third')
  })
  after(async () => { await server?.close() })

  const browser = () => new Browser({ base, stopAt: [RP] })
  const authUrl = async (config: oidc.Configuration, extra: Record<string, string> = {}) =>
    oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid profile', state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', ...extra,
    })

  it('sign-in, wrong password and consent pages', async () => {
    const b = browser()
    const login = await b.browse(await authUrl(third))
    assert.equal(login.status, 200)
    assertPageHeaders('sign-in', login.headers)
    const wrong = await b.browse(formAction(login.html, '/login'), { method: 'POST', form: { username: 'admin', password: 'not the password' } })
    assert.equal(wrong.status, 401)
    assertPageHeaders('sign-in refused', wrong.headers)
    const consent = await b.browse(formAction(wrong.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
    assert.match(consent.html, /Allow access\?/)
    assertPageHeaders('consent', consent.headers)
  })

  it('the authorization error page', async () => {
    const res = await fetch(`${base}/auth?client_id=nobody&response_type=code&scope=openid`)
    assert.equal(res.status, 400)
    assertPageHeaders('error', res.headers)
  })

  it('the form_post page, whose auto-submit script is pinned by hash', async () => {
    const { browser: b } = await passwordSignIn(web, base, { password: PASSWORD, params: { scope: 'openid profile' } })
    const page = await b.browse(await authUrl(web, { response_mode: 'form_post', prompt: 'none' }))
    assert.equal(page.status, 200, page.html)
    assert.match(page.html, new RegExp(`action="${CALLBACK}"`))
    assert.match(page.html, /name="code"/)
    assertScriptsHashed('form_post', page, assertPageHeaders('form_post', page.headers))
  })

  it('the sign-out confirmation and signed-out pages', async () => {
    const { browser: b } = await passwordSignIn(web, base, { password: PASSWORD, params: { scope: 'openid' } })
    const confirm = await b.browse('/session/end')
    assert.equal(confirm.status, 200)
    assert.match(confirm.html, /sign out/i)
    assertPageHeaders('sign-out', confirm.headers)
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1]
    assert.ok(xsrf)
    const done = await b.browse('/session/end/confirm', { method: 'POST', form: { xsrf, logout: 'yes' } })
    assert.equal(done.status, 200)
    assertPageHeaders('signed out', done.headers)
  })

  it('the sign-out of a session\'s own application: its auto-submit script pinned by hash', async () => {
    const { browser: b, tokens } = await passwordSignIn(web, base, { password: PASSWORD, params: { scope: 'openid' } })
    const page = await b.browse(`/session/end?id_token_hint=${encodeURIComponent(tokens.id_token!)}`)
    assert.equal(page.status, 200)
    assert.match(page.html, /Signing you out/)
    assertScriptsHashed('one-step sign-out', page, assertPageHeaders('one-step sign-out', page.headers))
  })

  it('the account page and the forward-auth sign-in problem page', async () => {
    const b = browser()
    const account = await b.browse(`/api/forward-auth/login?rd=${encodeURIComponent(`${base}/account`)}`)
    const signedIn = await b.browse(formAction(account.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
    assert.equal(signedIn.location.pathname, '/account', signedIn.html.slice(0, 300))
    assert.match(signedIn.html, /Active sessions/)
    // Its forms are checked by Origin (same-origin referrer); its one script is the passkey one, by URL.
    const csp = signedIn.headers.get('content-security-policy') ?? ''
    assert.match(csp, new RegExp(`script-src ${base}/static/mfa-webauthn\\.js;`))
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(signedIn.headers.get('x-frame-options'), 'DENY')
    assert.equal(signedIn.headers.get('cache-control'), 'no-store')
    assert.equal(signedIn.headers.get('referrer-policy'), 'same-origin')
    const problem = await fetch(`${base}/api/forward-auth/login?rd=${encodeURIComponent('https://evil.example/')}`)
    assert.equal(problem.status, 400)
    assertPageHeaders('forward-auth sign-in problem', problem.headers)
  })

  it('the device pages: code entry, the verification_uri_complete auto-submit, confirmation', async () => {
    const device = await oidc.initiateDeviceAuthorization(web, { scope: 'openid' })
    const b = browser()
    const entry = await b.browse('/device')
    assertPageHeaders('device code entry', entry.headers)
    const complete = await browser().browse(device.verification_uri_complete!)
    assertScriptsHashed('device link', complete, assertPageHeaders('device link', complete.headers))
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(entry.html)?.[1]
    assert.ok(xsrf, entry.html)
    const confirm = await b.browse('/device', { method: 'POST', form: { xsrf, user_code: device.user_code } })
    assert.match(confirm.html, new RegExp(device.user_code))
    assertPageHeaders('device confirmation', confirm.headers)
  })

  it('the portal home, its sign-out page and the forward-auth 403 page', async () => {
    const home = await fetch(`${base}/`)
    assert.equal(home.status, 200)
    assertPageHeaders('portal home', home.headers)
    // Its form is checked by Origin, which a no-referrer page would send as null.
    assertPageHeaders('portal sign-out', (await fetch(`${base}/api/forward-auth/logout`)).headers, { referrer: 'same-origin' })
    const denied = await fetch(`${base}/api/forward-auth/caddy`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'unknown.example.com', 'x-forwarded-uri': '/', 'x-forwarded-method': 'GET', accept: 'text/html' },
    })
    assert.equal(denied.status, 403)
    assertPageHeaders('forward-auth 403', denied.headers)
  })
})
