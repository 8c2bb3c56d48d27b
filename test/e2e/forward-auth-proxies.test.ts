// Forward-auth end to end through the proxies operators run: Debian's Caddy and nginx loading
// docs/forward-auth/ with only addresses filled in, in front of the echo backend, with Chromium
// as the visitor (see test/support/forward-auth-world.ts for the rest of the world).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BACKENDS } from '../support/gatehouse.ts'
import { DOMAIN, APP_HOST, COOKIE, BROWSER_ACCEPT, FORGED, ANNE, BOB, caddySkip, nginxSkip, chromiumSkip, worldPerSuite, send, appHits, echoOf, identitySeen, assertNothingForged, newVisitor, firstHop, onLoginPage, signInAt, pageEcho, useChromium, type World, type Visitor } from '../support/forward-auth-world.ts'
import { backendSkip } from '../support/gatehouse.ts'
import type { OutgoingHttpHeaders } from 'node:http'
import { after, before } from 'node:test'
import { freePort } from '../support/process.ts'
import { startCaddy, startNginx, type RunningProxy } from '../support/proxies.ts'

useChromium()
// ---------------------------------------------------------------------------------------------
// The same behaviour through each proxy.

type ProxyKind = 'caddy' | 'nginx'

function proxySuite(kind: ProxyKind, worldOf: () => World): void {
  let proxy: RunningProxy | undefined
  let anne: Visitor | undefined
  const visitors: Visitor[] = []
  const port = () => proxy!.port
  const appUrl = (path: string) => `http://${APP_HOST}:${port()}${path}`
  const host = () => `${APP_HOST}:${port()}`
  const visitor = async () => {
    const v = await newVisitor()
    visitors.push(v)
    return v
  }
  const loginStart = (returnUrl: string) => `${worldOf().issuer}/api/forward-auth/login?rd=${encodeURIComponent(returnUrl)}`

  before(async () => {
    const world = worldOf()
    proxy = kind === 'caddy'
      ? await startCaddy({ appHost: APP_HOST, gatehouse: `127.0.0.1:${world.gatehousePort}`, app: world.echo.address })
      : await startNginx({ appHost: APP_HOST, gatehouse: world.gatehouse, app: world.echo.address })
  })
  after(async () => {
    for (const v of visitors) await v.context.close().catch(() => undefined)
    await proxy?.stop()
  })

  const diagnose = (what: string) => `${what}\n--- ${kind} output ---\n${proxy?.output().slice(-4000) ?? ''}`

  it('sends a visitor without a session to Gatehouse\'s sign-in page, carrying the original URL', async () => {
    const world = worldOf()
    const v = await visitor()
    const target = appUrl('/private/page?x=1&y=a%2Fb')
    const response = await v.page.goto(target)
    assert.ok(response)
    const hop = await firstHop(response)
    assert.equal(hop.url, target)
    // nginx turns Gatehouse's 401 + Location into this redirect in @gatehouse_login.
    assert.equal(hop.status, 302, diagnose(`first hop ${hop.status}`))
    assert.equal(hop.location, loginStart(target))
    await onLoginPage(v.page, world)
    assert.deepEqual(v.offSite, [])
    if (kind === 'nginx') {
      // What the auth subrequest itself gets: 401 with the absolute Location nginx redirects to.
      const sub = await send(world.gatehousePort, '/api/forward-auth/nginx', {
        host: `127.0.0.1:${world.gatehousePort}`,
        headers: { accept: BROWSER_ACCEPT, 'x-original-url': target, 'x-original-method': 'GET', 'x-forwarded-for': '127.0.0.1' },
      })
      assert.equal(sub.status, 401)
      assert.equal(sub.headers.location, loginStart(target))
    }
  })

  it('signs anne in through the upstream IdP and returns her to the original URL with her identity', async () => {
    const world = worldOf()
    anne = await visitor()
    const target = appUrl('/private/page?x=1&y=a%2Fb')
    const seenBefore = appHits(world)
    const response = await signInAt(anne, world, target, ANNE.email)
    assert.equal(response.status(), 200)
    const echo = await pageEcho(anne.page)
    assert.equal(echo.url, '/private/page?x=1&y=a%2Fb')
    assert.deepEqual(identitySeen(echo), {
      'remote-user': 'anne', 'remote-name': 'Anne Example', 'remote-email': 'anne@example.test', 'remote-groups': 'eng,ops',
    })
    // The application is reached only once signed in: the sign-in itself never got through.
    assert.equal(appHits(world), seenBefore + 1)
    const cookie = (await anne.context.cookies()).find((c) => c.name === COOKIE)
    assert.ok(cookie, 'the session cookie is set')
    assert.equal(cookie.domain.replace(/^\./, ''), DOMAIN)
    assert.equal(cookie.httpOnly, true)
    assert.equal(cookie.sameSite, 'Lax')
    assert.deepEqual(anne.offSite, [])

    // Another page of the application: no sign-in again.
    const again = await anne.page.goto(appUrl('/other'))
    assert.equal(again?.status(), 200)
    assert.equal((await pageEcho(anne.page)).headers['remote-user'], 'anne')
  })

  it('drops client-sent identity headers, with and without a session', async () => {
    assert.ok(anne, 'needs the sign-in test')
    const world = worldOf()
    const token = (await anne.context.cookies()).find((c) => c.name === COOKIE)?.value
    assert.ok(token)
    const forged: OutgoingHttpHeaders = {
      'Remote-User': [FORGED, 'admin'], 'remote-groups': 'admins', 'REMOTE-EMAIL': `${FORGED}@evil.example`,
      'Remote-Name': FORGED, 'Remote_User': FORGED,
    }

    // Signed in: the application sees anne, once, whatever the client claimed.
    const signedIn = echoOf(await send(port(), '/private/api', { host: host(), headers: { ...forged, cookie: `theme=dark; ${COOKIE}=${token}; lang=en` } }))
    assert.deepEqual(identitySeen(signedIn), {
      'remote-user': 'anne', 'remote-name': 'Anne Example', 'remote-email': 'anne@example.test', 'remote-groups': 'eng,ops',
    })
    assertNothingForged(signedIn)
    // The application's own cookies pass; Gatehouse's session cookie never reaches it.
    assert.doesNotMatch(String(signedIn.headers.cookie), new RegExp(COOKIE))
    assert.match(String(signedIn.headers.cookie), /theme=dark/)
    assert.match(String(signedIn.headers.cookie), /lang=en/)

    // Anonymous on a skip path: the request passes, the forged identity does not.
    const anonymous = echoOf(await send(port(), '/health', { host: host(), headers: forged }))
    assert.deepEqual(identitySeen(anonymous), { 'remote-user': '', 'remote-name': '', 'remote-email': '', 'remote-groups': '' })
    assertNothingForged(anonymous)

    // Anonymous on a protected path: nothing reaches the application at all.
    const before = appHits(world)
    const refused = await send(port(), '/private/api', { host: host(), headers: { ...forged, accept: BROWSER_ACCEPT } })
    assert.equal(refused.status, 302, diagnose(`forged anonymous ${refused.status}`))
    assert.equal(appHits(world), before)
  })

  it('lets the skip path /health through without sign-in, with empty identity headers', async () => {
    const v = await visitor()
    const response = await v.page.goto(appUrl('/health?probe=1'))
    assert.equal(response?.status(), 200)
    assert.equal(v.page.url(), appUrl('/health?probe=1'))
    const echo = await pageEcho(v.page)
    assert.equal(echo.url, '/health?probe=1')
    assert.deepEqual(identitySeen(echo), { 'remote-user': '', 'remote-name': '', 'remote-email': '', 'remote-groups': '' })
    // No placeholder text (Caddy 2.6 sends it when a copied header is missing).
    assert.doesNotMatch(JSON.stringify(echo.headers), /\{http\./)
  })

  it('answers a script without a session 401, never a redirect', async () => {
    const world = worldOf()
    const before = appHits(world)
    const xhr = await send(port(), '/api/items', { host: host(), headers: { 'x-requested-with': 'XMLHttpRequest', accept: 'application/json' } })
    assert.equal(xhr.status, 401, diagnose(`xhr ${xhr.status} ${xhr.body}`))
    assert.equal(xhr.headers.location, undefined)
    const plain = await send(port(), '/api/items', { host: host(), headers: { accept: 'application/json' } })
    assert.equal(plain.status, 401)
    assert.equal(plain.headers.location, undefined)
    assert.equal(appHits(world), before)

    // The same from a page of the application (served from the skip path).
    const v = await visitor()
    await v.page.goto(appUrl('/health'))
    const seen = await v.page.evaluate(async () => {
      const res = await fetch('/api/items', { headers: { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/json' } })
      return { status: res.status, redirected: res.redirected, url: res.url }
    })
    assert.deepEqual(seen, { status: 401, redirected: false, url: appUrl('/api/items') })
  })

  it('shows bob (not in eng) Gatehouse\'s access-denied page with a 403', async () => {
    const world = worldOf()
    const bob = await visitor()
    const before = appHits(world)
    const target = appUrl('/private/page')
    const response = await signInAt(bob, world, target, BOB.email)
    assert.equal(response.status(), 403, diagnose(`bob got ${response.status()}`))
    await bob.page.getByRole('heading', { name: 'Access denied' }).waitFor()
    const text = await bob.page.locator('main').innerText()
    assert.match(text, /You are signed in as bob/)
    assert.match(text, /You do not have access to app/)
    // Only administrators are told which rule failed.
    assert.doesNotMatch(text, /Denied by/)
    assert.equal((await response.allHeaders())['x-gatehouse-deny-reason'], undefined)
    assert.equal(appHits(world), before)
    // "Sign in as someone else" starts a fresh sign-in that comes back to the refused page.
    const switchUser = new URL((await bob.page.getByRole('link', { name: 'Sign in as someone else' }).getAttribute('href'))!)
    assert.equal(switchUser.searchParams.get('rd'), target)
    assert.equal(switchUser.searchParams.get('switch'), '1')

    const again = await bob.page.goto(appUrl('/'))
    assert.equal(again?.status(), 403)
    assert.deepEqual(bob.offSite, [])
  })

  it('never redirects off-site for a foreign Host header', async () => {
    const world = worldOf()
    const before = appHits(world)
    for (const foreign of ['evil.example', `evil.example:${port()}`, `${APP_HOST}.evil.example`, `evil.${DOMAIN}`]) {
      const res = await send(port(), '/private', { host: foreign, headers: { accept: BROWSER_ACCEPT } })
      if (kind === 'nginx') {
        // The server block names its application's origin itself (APP_ORIGIN), never the client's
        // Host: a foreign Host is judged as that application, and sign-in returns there.
        assert.equal(res.status, 302, `${foreign}: ${res.status}`)
        assert.equal(res.headers.location, `${world.issuer}/api/forward-auth/login?rd=${encodeURIComponent(`http://${APP_HOST}:${port()}/private`)}`)
      } else {
        assert.equal(res.headers.location, undefined, `${foreign}: Location ${res.headers.location}`)
        // Caddy serves only the site's own host: anything else gets its empty default answer.
        assert.equal(res.status, 200, `${foreign}: ${res.status}`)
        assert.equal(res.body, '')
      }
    }
    assert.equal(appHits(world), before)
  })

  it('fails closed when Gatehouse cannot be reached', async () => {
    const world = worldOf()
    const closed = await freePort()
    const cut = kind === 'caddy'
      ? await startCaddy({ appHost: APP_HOST, gatehouse: `127.0.0.1:${closed}`, app: world.echo.address })
      : await startNginx({ appHost: APP_HOST, gatehouse: `http://127.0.0.1:${closed}`, app: world.echo.address })
    try {
      const before = appHits(world)
      for (const path of ['/private', '/health']) {
        const res = await send(cut.port, path, { host: `${APP_HOST}:${cut.port}`, headers: { accept: BROWSER_ACCEPT } })
        assert.ok(res.status >= 500, `${path}: ${res.status}`)
        assert.equal(res.headers.location, undefined)
      }
      assert.equal(appHits(world), before)
    } finally {
      await cut.stop()
    }
  })

  it('signs anne out: the next request to the application needs a sign-in again', async () => {
    assert.ok(anne, 'needs the sign-in test')
    const world = worldOf()
    const page = anne.page
    const token = (await anne.context.cookies()).find((c) => c.name === COOKIE)?.value
    assert.ok(token)

    await page.goto(`${world.issuer}/api/forward-auth/logout`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    // One step: Gatehouse's provider ends its own session too (else the next sign-in is silent)
    // without asking again, since the portal names its session with an id_token_hint.
    await page.waitForURL(`${world.issuer}/api/forward-auth/logged-out`)
    assert.equal((await anne.context.cookies()).find((c) => c.name === COOKIE), undefined)

    const target = appUrl('/private/after-logout')
    const response = await page.goto(target)
    assert.ok(response)
    const hop = await firstHop(response)
    assert.equal(hop.status, 302)
    assert.equal(hop.location, loginStart(target))
    await onLoginPage(page, world)

    // The old cookie is dead on the server too, not only deleted in this browser.
    const replay = await send(port(), '/private/api', { host: host(), headers: { cookie: `${COOKIE}=${token}`, accept: 'application/json' } })
    assert.equal(replay.status, 401)
    assert.deepEqual(anne.offSite, [])
  })
}

for (const backend of BACKENDS) {
  describe(`forward-auth through real proxies (${backend})`, { skip: await backendSkip(backend) }, () => {
    const worldOf = worldPerSuite(backend)
    describe('Caddy forward_auth with docs/forward-auth/Caddyfile', { skip: caddySkip ?? chromiumSkip }, () => proxySuite('caddy', worldOf))
    describe('nginx auth_request with docs/forward-auth/nginx.conf', { skip: nginxSkip ?? chromiumSkip }, () => proxySuite('nginx', worldOf))
  })
}
