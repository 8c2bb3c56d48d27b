// The console's people, policy and identity pages in a real Chromium. The bootstrap admin edits
// a forward-auth policy in the form and gets the simulator's answer naming the deciding rule;
// ends a user's sessions, after which the user's next proxied request is sent to sign in; and
// disables a local account, which then cannot sign in. An organization administrator sees only
// their organization, is refused the platform pages, and the API answers 403 elsewhere. Every
// page passes axe-core and is photographed at desktop width and at 375 px.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { runCaptured } from '../support/cli.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { cspViolations, screenshots, seriousViolations } from '../support/page-checks.ts'
import { freePort } from '../support/process.ts'
import { companyUpstream, startCompanyIdp, type CompanyIdp } from '../support/sign-in-world.ts'

const ADMIN_PASSWORD = 'people-console-admin-1'
const OLIVE_PASSWORD = 'olive-org-admin-password'
const PAT_PASSWORD = 'pat-user-password-0001'
const KEY = 'console-people-preshared-key-0123456789'

describe('admin console: people, policies and identity pages', { skip: chromiumSkipReason() }, () => {
  let server: GatehouseProcess
  let browser: Browser
  let dir: string
  let issuer: string
  let idp: CompanyIdp

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-people-'))
    // localhost, not 127.0.0.1: the forward-auth application's host must be a name under the cookie domain.
    const port = await freePort()
    issuer = `http://localhost:${port}`
    // An upstream whose every sign-in is pat@acme.test, in the upstream group eng.
    idp = await startCompanyIdp(`${issuer}/login/callback`)
    idp.groups.pat = ['eng']
    server = await startGatehouse({
      GATEHOUSE_PORT: String(port), GATEHOUSE_ISSUER: issuer, GATEHOUSE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD, GATEHOUSE_PRESHARED_KEYS: KEY,
      GATEHOUSE_UPSTREAMS: JSON.stringify([companyUpstream(idp, [])]),
    })
    for (const [name, password] of [['olive', OLIVE_PASSWORD], ['pat', PAT_PASSWORD]]) {
      // pat's own groups (set by the operator) are what forward-auth policies see.
      const made = await runCaptured(['accounts', 'create', name!, ...(name === 'pat' ? ['--group', 'staff'] : [])], { GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_NEW_PASSWORD: password!, GATEHOUSE_LOG_LEVEL: 'silent' }, dir)
      assert.equal(made.code, 0, made.stderr)
    }
    // Two organizations; olive administers acme, pat is a member there.
    for (const name of ['acme', 'globex']) assert.equal((await operator('POST', '/api/v1/organizations', { name })).status, 201)
    assert.equal((await operator('POST', '/api/v1/organizations/acme/groups', {
      name: 'admins', members: [{ id: 'olive', issuer: 'local' }], roleIds: ['administrator'],
    })).status, 201)
    assert.equal((await operator('POST', '/api/v1/organizations/acme/groups', { name: 'staff', members: [{ id: 'pat', issuer: 'local' }], upstreamGroups: ['corp:eng'] })).status, 201)
    assert.equal((await operator('POST', '/api/v1/forward-auth/applications', { id: 'dash', hosts: ['localhost'] })).status, 201)
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await idp?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const url = (path: string) => new URL(path, issuer).toString()
  function operator(method: string, path: string, body?: unknown) {
    return fetch(url(path), {
      method, headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }

  async function checkPage(page: Page, name: string) {
    assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`)
    await screenshots(page, name)
  }

  async function signIn(context: BrowserContext, username: string, password: string): Promise<Page> {
    const page = await context.newPage()
    await page.goto(url('/admin/'))
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    return page
  }

  /** Signs in at the forward-auth portal, as a visitor of a protected app does. */
  async function portalSignIn(context: BrowserContext, username: string, password: string): Promise<Page> {
    const page = await context.newPage()
    await page.goto(url(`/api/forward-auth/login?rd=${encodeURIComponent(url('/'))}`))
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    return page
  }

  /** What the proxy hears for this browser's next request to the protected app. */
  async function proxied(context: BrowserContext): Promise<Response> {
    const cookie = (await context.cookies(url('/'))).map((c) => `${c.name}=${c.value}`).join('; ')
    return fetch(url('/api/forward-auth/caddy'), {
      redirect: 'manual',
      headers: { cookie, accept: 'text/html', 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost', 'x-forwarded-uri': '/reports' },
    })
  }

  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click()

  it('edits a forward-auth policy in the form and the simulator names the deciding rule', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await signIn(context, 'admin', ADMIN_PASSWORD)
    const csp = cspViolations(page)
    await nav(page, 'Applications')
    await page.getByRole('heading', { level: 1, name: 'Forward-auth applications' }).waitFor()
    await page.getByRole('button', { name: 'Edit dash' }).click()
    const editor = page.getByRole('form', { name: 'Edit dash' })
    await editor.getByLabel('Member of any of these groups').first().fill('staff, admins')
    await editor.getByRole('button', { name: 'Add a rule' }).click()
    await editor.getByLabel('Path prefix').fill('/admin')
    await editor.getByRole('group', { name: 'Policy of rule 1' }).getByLabel('Member of all of these groups').fill('admins')
    await editor.getByRole('button', { name: 'Save application' }).click()
    await editor.getByRole('status').filter({ hasText: 'Saved dash.' }).waitFor()
    const stored = (await (await operator('GET', '/api/v1/forward-auth/applications/dash')).json()) as { application: { policy: unknown; rules: unknown } }
    assert.deepEqual(stored.application.policy, { groups: { anyOf: ['staff', 'admins'] } })
    assert.deepEqual(stored.application.rules, [{ pathPrefix: '/admin', policy: { groups: { allOf: ['admins'] } } }])

    // The JSON view shows the same document.
    await page.getByText('Advanced: the application as JSON').click()
    const jsonView = page.getByLabel('Application (JSON)')
    const shown = JSON.parse(await jsonView.inputValue()) as { rules: unknown; policy: Record<string, unknown> }
    assert.deepEqual(shown.rules, stored.application.rules)
    // An edit there comes back into the form.
    await jsonView.fill(JSON.stringify({ ...shown, policy: { ...shown.policy, methods: ['GET', 'HEAD'] } }))
    await page.getByRole('button', { name: 'Apply JSON to the form' }).click()
    assert.equal(await page.getByRole('form', { name: 'Edit dash' }).getByLabel('Allowed methods').first().inputValue(), 'GET, HEAD')

    const simulator = page.getByRole('form', { name: 'Simulate a request' })
    // No groups given: pat's own (staff) count, as at a real sign-in.
    await simulator.getByLabel('User', { exact: true }).fill('local:pat')
    await simulator.getByLabel('Path').fill('/admin/users')
    await simulator.getByRole('button', { name: 'Simulate' }).click()
    const answer = simulator.getByRole('status')
    await answer.filter({ hasText: 'Denied' }).waitFor()
    assert.match(await answer.innerText(), /Decided by rule \/admin: groups\.all_of/)
    assert.match(await answer.innerText(), /requires membership in: admins/)
    await checkPage(page, 'applications-policy-editor')

    await simulator.getByLabel('Path').fill('/reports')
    await simulator.getByRole('button', { name: 'Simulate' }).click()
    await answer.filter({ hasText: 'Allowed' }).waitFor()
    assert.match(await answer.innerText(), /Decided by rule default/)
    await simulator.getByLabel('Anonymous').check()
    await simulator.getByRole('button', { name: 'Simulate' }).click()
    await answer.filter({ hasText: 'Sent to sign in' }).waitFor()
    assert.deepEqual(csp, [], 'no CSP violations')
    await context.close()
  })

  it("ends a user's sessions, after which their next request is sent to sign in, and disables a local account", async () => {
    const user = await browser.newContext()
    const portal = await portalSignIn(user, 'pat', PAT_PASSWORD)
    await portal.getByText('Signed in as').waitFor()
    assert.equal((await proxied(user)).status, 200)

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await signIn(context, 'admin', ADMIN_PASSWORD)
    await nav(page, 'People')
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor()
    await page.getByRole('link', { name: 'pat', exact: true }).waitFor()
    await checkPage(page, 'people')
    await page.getByRole('link', { name: 'pat', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'pat' }).waitFor()
    await page.getByRole('link', { name: 'acme' }).waitFor()
    assert.match(await page.getByRole('region', { name: 'Organizations' }).innerText(), /staff/)
    const sessions = page.getByRole('region', { name: 'Active sessions' })
    await sessions.getByText('Forward-auth portal').waitFor()
    await sessions.getByText('Sign-in (OpenID Connect)').waitFor()
    await checkPage(page, 'person')

    while ((await sessions.getByRole('button', { name: /^Revoke/ }).count()) > 0) {
      const before = await sessions.getByRole('button', { name: /^Revoke/ }).count()
      await sessions.getByRole('button', { name: /^Revoke/ }).first().click()
      await sessions.getByRole('button', { name: /^Revoke/ }).nth(before - 1).waitFor({ state: 'detached' })
    }
    await sessions.getByText('No active sessions.').waitFor()
    // The user's next request to the protected app goes to sign-in; their portal page says so too.
    const next = await proxied(user)
    assert.equal(next.status, 302)
    assert.match(next.headers.get('location') ?? '', /\/api\/forward-auth\/login\?rd=/)
    await portal.reload()
    assert.equal(await portal.getByText('Signed in as').count(), 0)

    page.once('dialog', (d) => void d.accept())
    await page.getByRole('button', { name: 'Disable account' }).click()
    await page.getByRole('status').filter({ hasText: 'pat is disabled.' }).waitFor()
    await page.getByText('disabled', { exact: true }).waitFor()
    await checkPage(page, 'person-disabled')
    const again = await portalSignIn(await browser.newContext(), 'pat', PAT_PASSWORD)
    await again.getByText(/disabled/i).first().waitFor()
    assert.equal(await again.getByText('Signed in as').count(), 0)
    const audit = (await (await operator('GET', '/api/v1/audit?action=account.disable')).json()) as { items: Array<{ actor: string; target: string }> }
    assert.deepEqual(audit.items.map((e) => [e.actor, e.target]), [['local:admin', 'user:local:pat']])

    await page.getByRole('button', { name: 'Enable account' }).click()
    await page.getByRole('status').filter({ hasText: 'pat can sign in again.' }).waitFor()
    await context.close()
    await user.close()
  })

  it('lists resource servers and upstream providers without secrets, and tests a sign-in through one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await signIn(context, 'admin', ADMIN_PASSWORD)
    // The overview says whether each upstream answers its discovery now.
    const healthRow = page.getByRole('table', { name: 'Upstream identity providers and whether they answer' }).getByRole('row', { name: /Acme IdP/ })
    await healthRow.getByText('answering', { exact: true }).waitFor()
    await checkPage(page, 'overview-upstreams')
    await nav(page, 'APIs')
    await page.getByRole('heading', { level: 1, name: 'Resource servers' }).waitFor()
    await page.getByText('built in').waitFor()
    await checkPage(page, 'resource-servers')
    await nav(page, 'Upstreams')
    await page.getByRole('heading', { level: 1, name: 'Upstream providers' }).waitFor()
    await page.getByRole('cell', { name: /Acme IdP/ }).first().waitFor()
    assert.equal((await page.content()).includes('upstream-secret'), false, 'the client secret is not in the page')
    await checkPage(page, 'upstreams')
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Test sign-in through Acme IdP' }).click()])
    await tab!.getByRole('heading', { level: 1, name: 'Test sign-in' }).waitFor()
    await tab!.getByText('The sign-in worked.').waitFor()
    const shown = await tab!.getByRole('status').innerText()
    assert.match(shown, /Signed in as pat/)
    assert.match(shown, /Subject\s+ext:/)
    assert.match(shown, /Organizations\s+acme/)
    await checkPage(tab!, 'upstream-test-sign-in')
    // The person who came back is listed, with the organization their upstream group gave them.
    await page.bringToFront()
    await nav(page, 'People')
    await page.getByRole('link', { name: 'pat', exact: true }).first().waitFor()
    const upstreamRow = page.getByRole('region', { name: 'Signed in through an upstream provider' }).getByRole('link', { name: 'pat' })
    await upstreamRow.click()
    await page.getByRole('link', { name: 'acme' }).waitFor()
    await context.close()
  })

  it('shows an organization administrator their organization only and refuses the platform pages', async () => {
    const context = await browser.newContext()
    const page = await signIn(context, 'olive', OLIVE_PASSWORD)
    const navText = await page.getByRole('navigation', { name: 'Console' }).innerText()
    assert.doesNotMatch(navText, /People|Clients|Applications|Upstreams|Resource servers/, 'platform pages are not offered')
    await nav(page, 'Organizations')
    await page.getByRole('link', { name: 'acme' }).waitFor()
    const rows = await page.locator('tbody tr').allInnerTexts()
    assert.equal(rows.length, 1, rows.join('\n'))
    await page.goto(url('/admin/people'))
    await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor()
    await checkPage(page, 'people-org-admin')

    const token = JSON.parse((await page.evaluate(() => sessionStorage.getItem('gatehouse.console.tokens'))) ?? '{}').accessToken as string
    const call = (path: string, method = 'GET') => fetch(url(path), { method, headers: { authorization: `Bearer ${token}` } })
    assert.equal((await call('/api/v1/organizations/acme/groups')).status, 200)
    assert.equal((await call('/api/v1/organizations/globex')).status, 403)
    for (const path of ['/api/v1/people', '/api/v1/accounts', '/api/v1/people/local:pat/sessions', '/api/v1/upstreams', '/api/v1/resource-servers']) {
      const refused = await call(path)
      assert.equal(refused.status, 403, path)
      assert.equal(((await refused.json()) as { code: string }).code, 'platform_administrator_required', path)
    }
    assert.equal((await call('/api/v1/accounts/pat/disable', 'POST')).status, 403)
    await context.close()
  })
})
