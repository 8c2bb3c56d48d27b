// The local quick start of docs/forward-auth.md, as a reader follows it: Gatehouse started with
// the settings the page lists, Debian's Caddy running docs/forward-auth/Caddyfile.local (only its
// ports substituted, through the placeholders it declares), and Chromium signing in as the
// bootstrap admin at https://app.gatehouse.localhost and reaching the application.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser as Chromium } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { repoRoot, startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { freePort } from '../support/process.ts'
import { caddySkipReason, startCaddyFile, type RunningProxy } from '../support/proxies.ts'

const PASSWORD = 'quick start password 0123'
const page = readFileSync(join(repoRoot, 'docs/forward-auth.md'), 'utf8')

/** The GATEHOUSE_* settings the quick start's shell block sets, by name. */
function quickStartSettings(): Record<string, string> {
  const at = page.indexOf('## Local quick start')
  assert.ok(at > 0, 'docs/forward-auth.md has a local quick start')
  const block = page.slice(page.indexOf('```sh\n', at), page.indexOf('\n```', page.indexOf('```sh\n', at) + 6))
  return Object.fromEntries([...block.matchAll(/\b(GATEHOUSE_[A-Z_]+)=('[^']*'|\S+)/g)].map(([, k, v]) => [k!, v!.replace(/^'|'$/g, '')]))
}

describe('the local forward-auth quick start', { skip: caddySkipReason() ?? chromiumSkipReason() }, () => {
  let gatehouse: GatehouseProcess
  let caddy: RunningProxy
  let chromium: Chromium
  let port: number
  const origin = (host: string) => `https://${host}.gatehouse.localhost${port === 8443 ? '' : `:${port}`}`

  before(async () => {
    // The page's port unless another program holds it.
    port = await freePort()
    const settings = quickStartSettings()
    assert.equal(settings.GATEHOUSE_ISSUER, 'https://id.gatehouse.localhost:8443')
    gatehouse = await startGatehouse({
      ...settings,
      GATEHOUSE_ISSUER: origin('id'),
      GATEHOUSE_BOOTSTRAP_FILE: join(repoRoot, settings.GATEHOUSE_BOOTSTRAP_FILE!),
      GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD,
    })
    caddy = await startCaddyFile('Caddyfile.local', port, { HTTPS_PORT: String(port), GATEHOUSE: new URL(gatehouse.url).host })
    chromium = await launchChromium()
  })
  after(async () => {
    await chromium?.close()
    await caddy?.stop()
    await gatehouse?.close()
  })

  it('signs the bootstrap admin in at Gatehouse and brings them to the application with their identity', async () => {
    // Caddy's local CA is not trusted in this throwaway profile: the reader's `caddy trust`.
    const context = await chromium.newContext({ ignoreHTTPSErrors: true })
    try {
      const tab = await context.newPage()
      const app = `${origin('app')}/hello?from=docs`
      await tab.goto(app)
      await tab.waitForURL((url) => url.origin === origin('id'))
      await tab.locator('input#username').fill('admin')
      await tab.locator('input#password').fill(PASSWORD)
      await tab.getByRole('button', { name: 'Sign in' }).click()
      await tab.waitForURL(app)
      assert.match(await tab.locator('body').innerText(), /^Hello admin! Groups: $/m, `${caddy.output().slice(-2000)}\n${gatehouse.output().slice(-2000)}`)
      const cookie = (await context.cookies()).find((c) => c.name === 'gatehouse_session')
      assert.ok(cookie, 'the session cookie is set')
      assert.equal(cookie.domain.replace(/^\./, ''), 'gatehouse.localhost')
      assert.equal(cookie.secure, true)
    } finally {
      await context.close()
    }
  })

  it('refuses a forged identity header and sends a visitor without a session to the sign-in', async () => {
    const context = await chromium.newContext({ ignoreHTTPSErrors: true, extraHTTPHeaders: { 'Remote-User': 'root' } })
    try {
      const tab = await context.newPage()
      await tab.goto(`${origin('app')}/`)
      await tab.waitForURL((url) => url.origin === origin('id') && url.pathname !== '/api/forward-auth/login')
      assert.match(await tab.locator('body').innerText(), /Username/)
    } finally {
      await context.close()
    }
  })
})
