// The admin console in a real Chromium: the bootstrap admin signs in through Gatehouse's own
// OpenID Connect, builds an organization with a group, a member and a shared project, creates a
// client and sees its secret once, reads the audit log and replays a provisioning event; an
// organization administrator sees only their organization, and the API refuses them the rest.
// Every page passes axe-core and is photographed at desktop width and at 375 px.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { generateWebhookSecret } from '../../src/provisioning/webhook.ts'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { runCaptured } from '../support/cli.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { cspViolations, screenshots, seriousViolations } from '../support/page-checks.ts'

const ADMIN_PASSWORD = 'console-admin-password-1'
const OLIVE_PASSWORD = 'olive-org-admin-password'
const KEY = 'console-test-preshared-key-0123456789'

describe('admin console', { skip: chromiumSkipReason() }, () => {
  let server: GatehouseProcess
  let browser: Browser
  let hooks: Server
  let dir: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-'))
    writeFileSync(join(dir, 'hook.secret'), generateWebhookSecret())
    hooks = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()))
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r))
    const hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/`
    server = await startGatehouse({
      GATEHOUSE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD,
      // With a key configured nothing reaches the admin APIs anonymously: the console must use its token.
      GATEHOUSE_PRESHARED_KEYS: KEY,
      GATEHOUSE_PROVISIONING: JSON.stringify({
        targets: [{ id: 'hook', kind: 'webhook', url: hookUrl, secretFile: join(dir, 'hook.secret') }],
        rules: [{ id: 'notify', on: ['user.signed_in'], webhook: { target: 'hook' } }],
      }),
    })
    const made = await runCaptured(['accounts', 'create', 'olive'], { GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_NEW_PASSWORD: OLIVE_PASSWORD, GATEHOUSE_LOG_LEVEL: 'silent' }, dir)
    assert.equal(made.code, 0, made.stderr)
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    hooks?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const url = (path: string) => new URL(path, server.url).toString()

  async function checkPage(page: Page, name: string) {
    assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`)
    await screenshots(page, name)
  }

  async function signIn(page: Page, username: string, password: string) {
    await page.goto(url('/admin/'))
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
  }

  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click()
  /** Whether the focused element matches (run in the page). */
  const focused = (page: Page, test: { id?: string; text?: string }) => page.evaluate((t) => {
    const el = (globalThis as unknown as { document: { activeElement: { id: string; textContent: string | null } | null } }).document.activeElement
    return el !== null && (t.id === undefined || el.id === t.id) && (t.text === undefined || el.textContent === t.text)
  }, test)

  const tokenOf = async (page: Page) =>
    JSON.parse((await page.evaluate(() => sessionStorage.getItem('gatehouse.console.tokens'))) ?? '{}').accessToken as string

  it('serves the console with a strict CSP, frame denial and no-store', async () => {
    const res = await fetch(url('/admin/organizations'))
    assert.equal(res.status, 200)
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'self'/)
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(res.headers.get('x-frame-options'), 'DENY')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const html = await res.text()
    assert.doesNotMatch(html.replace(/<script type="module" src="[^"]+"><\/script>/, ''), /<script|style=/, 'no inline script or style')
    const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(html)![1]!
    const asset = await fetch(url(script))
    assert.equal(asset.status, 200)
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.equal((await fetch(url('/admin/assets/nope.js'))).status, 404)
  })

  it('signs the bootstrap admin in and builds an organization, a group with a member and a shared project', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    const csp = cspViolations(page)
    const login = page.waitForURL(/\/interaction\//)
    await page.goto(url('/admin/'))
    await login
    await checkPage(page, 'sign-in')
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill(ADMIN_PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    await page.getByText('Signed in as').waitFor()
    assert.match(await page.getByRole('banner').innerText(), /admin/)
    await page.getByText('Healthy').waitFor()
    // This very sign-in heads the overview's recent sign-ins.
    const recent = page.getByRole('table', { name: 'Recent sign-ins' })
    assert.match(await recent.getByRole('row').nth(1).innerText(), /user\.sign_in\s+local:admin[\s\S]*success/)
    await checkPage(page, 'overview')

    await nav(page, 'Organizations')
    await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor()
    await page.getByText('No organizations yet').waitFor()
    await checkPage(page, 'organizations-empty')
    for (const name of ['globex', 'acme']) {
      await page.goto(url('/admin/organizations'))
      await page.getByLabel('Name', { exact: true }).fill(name)
      await page.getByLabel('Email domains').fill(`${name}.com`)
      await page.getByRole('button', { name: 'Create organization' }).click()
      await page.getByText(`Organization ${name}`).waitFor()
    }
    await page.getByRole('status').filter({ hasText: 'first organization' }).count()

    const groupForm = page.getByRole('form', { name: 'Create a group' })
    await groupForm.getByLabel('Group name').fill('developers')
    await groupForm.getByLabel('Members').fill('olive')
    await groupForm.getByRole('checkbox', { name: /^administrator/ }).check()
    await groupForm.getByRole('button', { name: 'Create group' }).click()
    await page.getByRole('link', { name: 'developers' }).waitFor()
    const projectForm = page.getByRole('form', { name: 'Create a project' })
    await projectForm.getByLabel('Project name').fill('web')
    await projectForm.getByRole('checkbox', { name: 'developers' }).check()
    await projectForm.getByRole('button', { name: 'Create project' }).click()
    await page.getByRole('cell', { name: 'web', exact: true }).waitFor()
    assert.match(await page.getByRole('row', { name: /web/ }).innerText(), /developers/)

    const acl = page.getByRole('form', { name: "Look up a user's access" })
    await acl.getByLabel('User id').fill('olive')
    await acl.getByRole('button', { name: 'Show access' }).click()
    await page.getByRole('heading', { name: 'olive in acme' }).waitFor()
    assert.match(await page.locator('.card', { has: page.getByRole('heading', { name: 'olive in acme' }) }).innerText(), /identity:groups[\s\S]*web/)
    await checkPage(page, 'organization')

    await page.getByRole('link', { name: 'developers' }).click()
    await page.getByRole('heading', { level: 1, name: 'developers' }).waitFor()
    await page.getByText('local account').waitFor()
    await checkPage(page, 'group')
    assert.deepEqual(csp, [], 'no CSP violations')
    await context.close()
  })

  it('creates a client and shows its secret once, then rotates it', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, 'admin', ADMIN_PASSWORD)
    await nav(page, 'Clients')
    await page.getByRole('heading', { level: 1, name: 'OIDC clients' }).waitFor()
    await page.getByLabel('Client id').fill('billing')
    await page.getByLabel('Display name').fill('Billing')
    await page.getByLabel('Redirect URIs').fill('https://billing.example.com/callback')
    await page.getByRole('button', { name: 'Create client' }).click()
    const secret = page.getByLabel('Client secret')
    await secret.waitFor()
    const first = await secret.inputValue()
    assert.ok(first.length >= 32, first)
    await checkPage(page, 'clients-secret')
    await page.getByRole('button', { name: 'I have copied it' }).click()
    await page.reload()
    await page.getByRole('cell', { name: 'billing', exact: true }).waitFor()
    assert.equal(await page.getByLabel('Client secret').count(), 0, 'the secret is not shown again')
    page.once('dialog', (d) => void d.accept())
    await page.getByRole('button', { name: 'Rotate secret of billing' }).click()
    await page.getByLabel('Client secret').waitFor()
    assert.notEqual(await page.getByLabel('Client secret').inputValue(), first)

    await nav(page, 'Applications')
    await page.getByRole('heading', { level: 1, name: 'Forward-auth applications' }).waitFor()
    await checkPage(page, 'applications')

    await nav(page, 'Audit log')
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()
    await page.getByRole('cell', { name: 'organization.create' }).first().waitFor()
    await page.getByLabel('Action').fill('organization.create')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/action=organization.create/)
    // The unfiltered table stays until the filtered answer replaces it: wait for the replacement.
    await page.getByRole('cell', { name: 'user.sign_in' }).first().waitFor({ state: 'detached' })
    await page.getByRole('cell', { name: 'organization.create' }).first().waitFor()
    const actions = await page.locator('tbody td:nth-child(2)').allInnerTexts()
    assert.ok(actions.length >= 2 && actions.every((a) => a === 'organization.create'), actions.join())
    await checkPage(page, 'audit')

    await nav(page, 'Provisioning')
    await page.getByRole('heading', { level: 1, name: 'Provisioning' }).waitFor()
    // The admin's sign-ins were delivered to the webhook: finished events can be replayed.
    const replay = page.getByRole('button', { name: /^Replay event / }).first()
    for (let i = 0; i < 50 && (await replay.count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 200))
      await page.getByLabel('Show').selectOption('done')
      await page.getByLabel('Show').selectOption('')
    }
    await checkPage(page, 'provisioning')
    await replay.click()
    await page.getByRole('status').filter({ hasText: /queued again/ }).waitFor()
    await context.close()
  })

  it('edits a client\'s redirect URIs and grant types, and builds a role from the scope grid', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, 'admin', ADMIN_PASSWORD)
    const token = await tokenOf(page)
    const api = (path: string) => fetch(url(path), { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json()) as Promise<any>
    assert.equal((await fetch(url('/api/v1/clients'), {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'wiki', type: 'confidential', redirectUris: ['https://wiki.example.com/cb'] }),
    })).status, 201)

    await nav(page, 'Clients')
    await page.getByRole('link', { name: 'wiki', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Client wiki' }).waitFor()
    await page.getByLabel('Redirect URIs', { exact: true }).fill('https://wiki.example.com/cb, https://wiki.example.com/cb2')
    await page.getByLabel('Home page').fill('https://wiki.example.com/')
    await page.getByLabel(/^Refresh token/).check()
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByText('Saved wiki.').waitFor()
    await checkPage(page, 'client')
    const saved = (await api('/api/v1/clients/wiki')).client
    assert.deepEqual(saved.redirectUris, ['https://wiki.example.com/cb', 'https://wiki.example.com/cb2'])
    assert.deepEqual(saved.grantTypes.sort(), ['authorization_code', 'refresh_token'])
    assert.equal(saved.clientUri, 'https://wiki.example.com/')
    assert.equal(saved.hasSecret, true, 'editing keeps the secret')

    await nav(page, 'Roles')
    await page.getByRole('heading', { level: 1, name: 'Roles' }).waitFor()
    await page.getByRole('cell', { name: /^platform-administrator/ }).waitFor()
    await page.getByLabel('Name', { exact: true }).fill('cluster-operator')
    await page.getByLabel('Scope', { exact: true }).fill('kubernetes:clusters')
    await page.getByRole('group', { name: 'Scope 1' }).getByLabel('update').check()
    await page.getByRole('button', { name: 'Add a scope' }).click()
    const second = page.getByRole('group', { name: 'Scope 2' })
    await second.getByLabel('Level').selectOption('project')
    await second.getByLabel('Scope').fill('incus:instances')
    await second.getByLabel('create').check()
    await page.getByRole('button', { name: 'Create role' }).click()
    await page.getByText('Role cluster-operator created.').waitFor()
    await page.getByRole('cell', { name: /^cluster-operator/ }).waitFor()
    await checkPage(page, 'roles')
    const role = (await api('/api/v1/roles')).items.find((r: { name: string }) => r.name === 'cluster-operator')
    assert.deepEqual(role.scopes, { organization: { 'kubernetes:clusters': ['read', 'update'] }, project: { 'incus:instances': ['create', 'read'] } })
    await context.close()
  })

  it('shows an organization administrator their organization only, reached by keyboard alone', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(url('/admin/'))
    await page.getByLabel('Username').waitFor()
    // Keyboard only from here: the sign-in form, then the console's navigation.
    await page.keyboard.press('Tab')
    for (let i = 0; i < 5 && !(await focused(page, { id: 'username' })); i++) await page.keyboard.press('Tab')
    await page.keyboard.type('olive')
    await page.keyboard.press('Tab')
    await page.keyboard.type(OLIVE_PASSWORD)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    const nav = await page.getByRole('navigation', { name: 'Console' }).innerText()
    assert.doesNotMatch(nav, /Clients|Audit|Provisioning/, 'platform pages are not offered')
    for (let i = 0; i < 20 && !(await focused(page, { text: 'Organizations' })); i++) await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor()
    await page.getByRole('link', { name: 'acme' }).waitFor()
    const rows = await page.locator('tbody tr').allInnerTexts()
    assert.equal(rows.length, 1, rows.join('\n'))
    assert.match(rows[0]!, /acme/)
    assert.equal(await page.getByRole('button', { name: 'Create organization' }).count(), 0)
    await checkPage(page, 'organizations-org-admin')

    const token = await tokenOf(page)
    const call = (path: string, auth = `Bearer ${token}`, method = 'GET') => fetch(url(path), { method, headers: { authorization: auth } })
    assert.equal((await call('/api/v1/organizations/acme/groups')).status, 200)
    assert.equal((await call('/api/v1/organizations/globex')).status, 403)
    for (const path of ['/api/v1/clients', '/api/v1/forward-auth/applications', '/api/v1/audit', '/api/v1/provisioning/stats']) {
      const refused = await call(path)
      assert.equal(refused.status, 403, path)
      assert.equal(((await refused.json()) as { code: string }).code, 'platform_administrator_required')
      assert.equal((await call(path, `Bearer ${KEY}`)).status, 200, `${path} with the preshared key`)
      assert.equal((await call(path, 'Bearer not-a-token')).status, 401, `${path} with a bad token`)
      assert.equal((await call(path, '')).status, 401, `${path} without a token`)
    }
    await context.close()
  })

  it('accepts the platform administrator\'s console token on the admin APIs', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, 'admin', ADMIN_PASSWORD)
    const token = await tokenOf(page)
    for (const path of ['/api/v1/clients', '/api/v1/forward-auth/applications', '/api/v1/audit', '/api/v1/provisioning/stats']) {
      assert.equal((await fetch(url(path), { headers: { authorization: `Bearer ${token}` } })).status, 200, path)
    }
    await context.close()
  })
})
