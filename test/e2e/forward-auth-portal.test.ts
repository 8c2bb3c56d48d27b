// The portal's sign-in as a browser and an attacker see it: hostile return URLs, and a
// federated sign-in that must end on the application's origin under the pages' own CSP.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BACKENDS } from '../support/gatehouse.ts'
import { DOMAIN, APP_HOST, BROWSER_ACCEPT, ANNE, chromiumSkip, worldPerSuite, send, newVisitor, onLoginPage, signIn, useChromium, type World } from '../support/forward-auth-world.ts'
import { backendSkip } from '../support/gatehouse.ts'

useChromium()
// ---------------------------------------------------------------------------------------------
// The sign-in start refuses return URLs off Gatehouse's domains (no open redirect).

/** Query strings as an attacker would write them into a link (raw, and encoded once). */
function hostileReturnQueries(): string[] {
  const raw = [
    '//evil.com', 'https://evil.com', '\\\\evil.com', '/\\evil.com', 'https:%2F%2Fevil.com', 'https:evil.com',
    `http://${APP_HOST}@evil.com`, `http://${APP_HOST}%40evil.com`, `http://evil.com\\@${APP_HOST}/`, `http://${APP_HOST}.evil.com/`,
    `http://evil.com%23.${APP_HOST}/`, `http://evil.com/?.${DOMAIN}`, 'javascript:alert(1)', `http://${APP_HOST}%09.evil.com/`, '',
  ]
  return [...raw.map((r) => `rd=${r}`), ...raw.filter((r) => r !== '').map((r) => `rd=${encodeURIComponent(r)}`), '']
}

function returnUrlSuite(worldOf: () => World): void {
  it('answers every hostile rd with a 400 page and no Location', async () => {
    const world = worldOf()
    // The check is not just refusing everything: an application URL starts the sign-in.
    const good = await send(world.gatehousePort, `/api/forward-auth/login?rd=${encodeURIComponent(`http://${APP_HOST}:8443/x?y=1`)}`, { host: new URL(world.issuer).host })
    assert.equal(good.status, 302)
    assert.ok(good.headers.location?.startsWith(`${world.issuer}/auth?`), String(good.headers.location))

    for (const query of hostileReturnQueries()) {
      const res = await send(world.gatehousePort, `/api/forward-auth/login?${query}`, { host: new URL(world.issuer).host, headers: { accept: BROWSER_ACCEPT } })
      assert.equal(res.status, 400, `${query}: ${res.status} ${res.headers.location ?? ''}`)
      assert.equal(res.headers.location, undefined, query)
      assert.match(res.body, /Sign-in problem/, query)
    }
  })

  it('keeps Chromium on Gatehouse for every hostile rd', { skip: chromiumSkip }, async () => {
    const world = worldOf()
    const v = await newVisitor()
    try {
      for (const query of hostileReturnQueries()) {
        const response = await v.page.goto(`${world.issuer}/api/forward-auth/login?${query}`)
        assert.equal(response?.status(), 400, `${query}: ${response?.status()} at ${v.page.url()}`)
        assert.equal(new URL(v.page.url()).origin, world.issuer, query)
        await v.page.getByRole('heading', { name: 'Sign-in problem' }).waitFor()
      }
      assert.deepEqual(v.offSite, [])
    } finally {
      await v.context.close()
    }
  })
}

// ---------------------------------------------------------------------------------------------
// The sign-in page as a browser enforces it.

function loginPageSuite(worldOf: () => World): void {
  // Chromium applies a page's form-action to every redirect after its form post: the login
  // page's CSP must let the sign-in end on the application's origin.
  it('finishes a federated sign-in under the login page\'s own CSP', { skip: chromiumSkip }, async () => {
    const world = worldOf()
    const v = await newVisitor()
    try {
      // No proxy is needed to see whether the browser gets there: the echo backend on another origin.
      const landing = `http://${APP_HOST}:${world.echo.port}/landing`
      const blocked: string[] = []
      v.page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()) })
      await v.page.goto(`${world.issuer}/api/forward-auth/login?rd=${encodeURIComponent(landing)}`)
      await onLoginPage(v.page, world)
      // Whichever comes first: the landing page, or Chromium reporting the blocked redirect.
      const outcome = Promise.race([
        v.page.waitForURL(landing, { timeout: 15_000 }).then(() => 'arrived'),
        v.page.waitForEvent('console', { predicate: (m) => /Content Security Policy/.test(m.text()), timeout: 15_000 })
          .then((m) => `blocked: ${m.text()}`),
      ])
      await signIn(v.page, ANNE.email)
      assert.equal(await outcome, 'arrived', `stopped at ${v.page.url()}`)
      assert.deepEqual(blocked, [])
    } finally {
      await v.context.close()
    }
  })
}

for (const backend of BACKENDS) {
  describe(`forward-auth sign-in (${backend})`, { skip: await backendSkip(backend) }, () => {
    const worldOf = worldPerSuite(backend)
    describe('sign-in return URL', () => returnUrlSuite(worldOf))
    describe('sign-in page in Chromium', () => loginPageSuite(worldOf))
  })
}
