// Forward-auth end to end through the proxies operators run: Debian's Caddy and nginx loading
// docs/forward-auth/ with only addresses filled in, a real Gatehouse server on each store
// backend, an upstream OpenID Connect provider in this process (anne: eng, ops; bob: sales), the
// echo backend as the protected application, and Chromium as the visitor. Traefik is not
// packaged in Debian: its ForwardAuth contract is checked by calling the endpoint exactly as
// Traefik does.
//
// Every name is under gh.localhost: Chromium resolves *.localhost to 127.0.0.1 by itself, and
// requests from this process connect to 127.0.0.1 with the Host header set.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import { parse as parseYaml } from 'yaml'
import type { Browser as Chromium, BrowserContext, Page, Response as PageResponse } from 'playwright-core'
import { Browser, formAction } from '../support/browser.ts'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { rawHeaderValues, startEchoBackend, type EchoBackend, type EchoedRequest } from '../support/echo-backend.ts'
import { BACKENDS, repoRoot, TEST_SECRET_KEY, type Backend } from '../support/gatehouse.ts'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres.ts'
import { freePort, spawnServer, type ServerProcess } from '../support/process.ts'
import { caddySkipReason, DOCS_DIR, nginxSkipReason, startCaddy, startNginx, type RunningProxy } from '../support/proxies.ts'
import { companyIdpOptions, listenLoopback } from '../support/upstream.ts'

const DOMAIN = 'gh.localhost'
const APP_HOST = `app.${DOMAIN}`
/** An application whose policy is a source-address range (for X-Forwarded-For). */
const OFFICE_HOST = `office.${DOMAIN}`
const COOKIE = 'gatehouse_session'
const IDENTITY_HEADERS = ['remote-user', 'remote-name', 'remote-email', 'remote-groups'] as const
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const FORGED = 'root'

interface UpstreamUser { email: string; name: string; preferred_username: string; groups: string[] }
const USERS: Record<string, UpstreamUser> = {
  'anne-0001': { email: 'anne@example.test', name: 'Anne Example', preferred_username: 'anne', groups: ['eng', 'ops'] },
  'bob-0002': { email: 'bob@example.test', name: 'Bob Example', preferred_username: 'bob', groups: ['sales'] },
}
const ANNE = USERS['anne-0001']!
const BOB = USERS['bob-0002']!

// Decided once for the file; each throws under CI=true when its program or server is missing.
const caddySkip = caddySkipReason()
const nginxSkip = nginxSkipReason()
const chromiumSkip = chromiumSkipReason()
const postgresSkip = await postgresSkipReason()

// ---------------------------------------------------------------------------------------------
// The company IdP: signs in whoever the email Gatehouse forwards as login_hint names.

async function startUpstream(gatehouseCallback: string): Promise<{ issuer: string; close(): Promise<void> }> {
  const { server, issuer } = await listenLoopback()
  const provider = new Provider(issuer, companyIdpOptions(gatehouseCallback, async (_ctx, sub) => {
    const user = USERS[sub]
    return user && { accountId: sub, claims: async () => ({ sub, email_verified: true, ...user }) }
  }))
  const handler = provider.callback()
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void provider.interactionDetails(req, res)
        .then((details) => {
          const sub = Object.keys(USERS).find((s) => USERS[s]!.email === details.params.login_hint)
          const result = sub === undefined ? { error: 'access_denied', error_description: 'unknown user' } : { login: { accountId: sub } }
          return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
        })
        .catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
      return
    }
    handler(req, res)
  })
  return {
    issuer,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

// ---------------------------------------------------------------------------------------------
// One Gatehouse (with its IdP and the protected application) per store backend.

interface World {
  /** http://id.gh.localhost:<port>, what the browser sees. */
  issuer: string
  /** http://127.0.0.1:<port>, where this process and the proxies reach Gatehouse. */
  gatehouse: string
  gatehousePort: number
  echo: EchoBackend
}

function worldPerSuite(backend: Backend): () => World {
  let world: World | undefined
  let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined
  let echo: EchoBackend | undefined
  let server: ServerProcess | undefined
  let dataDir: string | undefined
  let db: TestDatabase | undefined

  before(async () => {
    // The issuer names Gatehouse's port and the IdP must know the callback before Gatehouse
    // starts, so the port is chosen here rather than by startGatehouse.
    const port = await freePort()
    const issuer = `http://id.${DOMAIN}:${port}`
    const gatehouse = `http://127.0.0.1:${port}`
    upstream = await startUpstream(`${issuer}/login/callback`)
    echo = await startEchoBackend()
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-fa-'))
    const env: Record<string, string> = {
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: DOMAIN,
      GATEHOUSE_UPSTREAMS: JSON.stringify([{
        id: 'corp', kind: 'oidc', name: 'Example Corp', issuer: upstream.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
        scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups', domains: ['example.test'],
      }]),
    }
    if (backend === 'postgres') {
      db = await createTestDatabase()
      env.GATEHOUSE_DATABASE_URL = db.url
      env.GATEHOUSE_SECRET_KEY = TEST_SECRET_KEY
    }
    server = await spawnServer({ args: [join(repoRoot, 'src/main.ts'), 'serve'], cwd: repoRoot, url: gatehouse, env })
    for (const app of [
      { id: 'app', hosts: [APP_HOST], skipPaths: ['^/health'], policy: { groups: { anyOf: ['eng'] } } },
      { id: 'office', hosts: [OFFICE_HOST], policy: { sourceCidrs: ['203.0.113.0/24'] } },
    ]) {
      const res = await fetch(`${gatehouse}/api/v1/forward-auth/applications`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(app),
      })
      assert.equal(res.status, 201, await res.text())
    }
    world = { issuer, gatehouse, gatehousePort: port, echo }
  })

  after(async () => {
    await server?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    await db?.drop()
    await echo?.close()
    await upstream?.close()
  })

  return () => {
    if (!world) throw new Error('Gatehouse, its IdP or the application did not start (see the before hook)')
    return world
  }
}

// ---------------------------------------------------------------------------------------------
// Requests from this process, curl-style: straight to 127.0.0.1 with the Host header given.

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

function send(port: number, path: string, o: { host: string; method?: string; headers?: OutgoingHttpHeaders }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, path, method: o.method ?? 'GET', agent: false, timeout: 15_000,
      headers: { host: o.host, ...o.headers },
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${path} within 15 s`)))
    req.on('error', reject)
    req.end()
  })
}

/** Requests that reached the application, leaving out the favicon Chromium fetches on its own. */
function appHits(world: World): number {
  return world.echo.received.filter((r) => !r.url.startsWith('/favicon.ico')).length
}

function echoOf(answer: Answer): EchoedRequest {
  assert.equal(answer.status, 200, `expected the application's echo, got ${answer.status} ${answer.body.slice(0, 300)}`)
  return JSON.parse(answer.body) as EchoedRequest
}

/** The identity the application saw: at most one header each, '' when absent or empty. */
function identitySeen(echo: EchoedRequest): Record<(typeof IDENTITY_HEADERS)[number], string> {
  const out = {} as Record<(typeof IDENTITY_HEADERS)[number], string>
  for (const name of IDENTITY_HEADERS) {
    const values = rawHeaderValues(echo, name)
    assert.ok(values.length <= 1, `${name} reached the application ${values.length} times: ${JSON.stringify(values)}`)
    out[name] = values[0] ?? ''
  }
  return out
}

/** No forged value under any spelling of an identity header reached the application. */
function assertNothingForged(echo: EchoedRequest): void {
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    const name = echo.rawHeaders[i]!.toLowerCase()
    const value = echo.rawHeaders[i + 1]!
    if (!name.startsWith('remote')) continue
    assert.ok(!value.includes(FORGED) && !value.includes('admins'), `forged ${echo.rawHeaders[i]}: ${value} reached the application`)
    // CGI-style stacks read Remote_User as Remote-User.
    assert.ok(!name.includes('_'), `${echo.rawHeaders[i]}: ${value} reached the application`)
  }
}

function cookieFrom(setCookieLike: string, name: string): string | undefined {
  return new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(setCookieLike)?.[1]
}

// ---------------------------------------------------------------------------------------------
// Chromium helpers.

let chromium: Chromium | undefined
before(async () => {
  if (chromiumSkip === undefined) chromium = await launchChromium()
})
after(async () => {
  await chromium?.close()
})

interface Visitor {
  context: BrowserContext
  page: Page
  /** Requests the page tried to send anywhere but 127.0.0.1 and *.localhost (all refused). */
  offSite: string[]
}


async function newVisitor(): Promise<Visitor> {
  if (!chromium) throw new Error('Chromium is not running')
  const context = await chromium.newContext()
  context.setDefaultTimeout(20_000)
  context.setDefaultNavigationTimeout(30_000)
  const offSite: string[] = []
  // The test never leaves this machine: anything else is recorded and refused.
  await context.route(() => true, (route) => {
    const { hostname } = new URL(route.request().url())
    if (hostname === '127.0.0.1' || hostname === 'localhost' || hostname.endsWith('.localhost')) return route.continue()
    offSite.push(route.request().url())
    return route.abort('blockedbyclient')
  })
  return { context, page: await context.newPage(), offSite }
}

/** The first response of a navigation's redirect chain (what the proxy itself answered). */
async function firstHop(response: PageResponse): Promise<{ url: string; status: number; location?: string }> {
  let request = response.request()
  while (request.redirectedFrom()) request = request.redirectedFrom()!
  const first = await request.response()
  assert.ok(first, `no response for ${request.url()}`)
  return { url: request.url(), status: first.status(), location: (await first.allHeaders()).location }
}

async function onLoginPage(page: Page, world: World): Promise<void> {
  assert.equal(new URL(page.url()).origin, world.issuer, `expected Gatehouse's sign-in page, at ${page.url()}`)
  await page.locator('input#email').waitFor()
}

/** On Gatehouse's login page: the email routes to the company IdP, which signs the user in. */
async function signIn(page: Page, email: string): Promise<void> {
  await page.locator('input#email').fill(email)
  await page.getByRole('button', { name: 'Continue' }).click()
}

/** Signs `email` in from an app URL and returns the navigation response of the final page. */
async function signInAt(visitor: Visitor, world: World, url: string, email: string): Promise<PageResponse> {
  await visitor.page.goto(url)
  await onLoginPage(visitor.page, world)
  const origin = new URL(url).origin
  const landed = visitor.page.waitForResponse((r) => new URL(r.url()).origin === origin && r.request().isNavigationRequest())
  await signIn(visitor.page, email)
  const response = await landed.catch(async (err: unknown) => {
    const text = await visitor.page.locator('body').innerText().catch(() => '')
    throw new Error(`${email} did not get back to ${url}; the browser is at ${visitor.page.url()}:\n${text}`, { cause: err })
  })
  assert.equal(response.url(), url)
  await visitor.page.waitForURL(url)
  return response
}

async function pageEcho(page: Page): Promise<EchoedRequest> {
  const text = await page.locator('pre').first().textContent()
  return JSON.parse(text ?? '') as EchoedRequest
}

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
    // Gatehouse's provider asks to end its own session too (else the next sign-in is silent).
    await page.waitForURL((url) => url.pathname.startsWith('/session/end'))
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
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

// ---------------------------------------------------------------------------------------------
// Traefik's ForwardAuth contract, as Traefik sends it (trustForwardHeader: false): a GET to the
// auth address carrying the visitor's headers, with X-Forwarded-Method/Proto/Host/Uri set from
// the request and X-Forwarded-For set to the visitor's address.

/** Signs `email` in with a plain HTTP client and returns the session cookie's value. */
async function portalSession(world: World, email: string): Promise<string> {
  const appOrigin = `https://${APP_HOST}`
  const browser = new Browser({
    base: world.issuer,
    stopAt: [appOrigin],
    route: (url) => (url.origin === world.issuer ? new URL(url.pathname + url.search, world.gatehouse) : url),
  })
  const start = await browser.browse(`/api/forward-auth/login?rd=${encodeURIComponent(`${appOrigin}/`)}`)
  assert.equal(start.status, 200, start.html)
  const done = await browser.browse(formAction(start.html, '/upstream'), { method: 'POST', form: { email } })
  assert.equal(done.location.origin, appOrigin, `${done.status} ${done.html}`)
  const token = cookieFrom(browser.jar.header(new URL('/', world.issuer)), COOKIE)
  assert.ok(token, 'the callback set the session cookie')
  return token
}

interface TraefikForwardAuth { address: string; trustForwardHeader?: boolean; authResponseHeaders?: string[]; authResponseHeadersRegex?: string }

/** The ForwardAuth middleware operators copy from docs/forward-auth/traefik.yml. */
function documentedMiddleware(): TraefikForwardAuth {
  const doc = parseYaml(readFileSync(join(DOCS_DIR, 'traefik.yml'), 'utf8')) as { http: { middlewares: Record<string, { forwardAuth?: TraefikForwardAuth }> } }
  const found = Object.values(doc.http.middlewares).map((m) => m.forwardAuth).find((f) => f !== undefined)
  assert.ok(found, 'traefik.yml defines a forwardAuth middleware')
  return found
}

function traefikSuite(worldOf: () => World): void {
  let anneToken = ''
  let bobToken = ''
  const middleware = documentedMiddleware()
  const authPath = new URL(middleware.address).pathname
  const ask = (o: { method?: string; proto?: string; host?: string; uri: string; forwardedFor?: string; client?: OutgoingHttpHeaders }) => {
    const world = worldOf()
    return send(world.gatehousePort, authPath, {
      host: `127.0.0.1:${world.gatehousePort}`,
      headers: {
        'user-agent': 'Mozilla/5.0', ...o.client,
        'x-forwarded-method': o.method ?? 'GET', 'x-forwarded-proto': o.proto ?? 'https', 'x-forwarded-host': o.host ?? APP_HOST,
        'x-forwarded-uri': o.uri, 'x-forwarded-for': o.forwardedFor ?? '198.51.100.7',
      },
    })
  }
  const browserHeaders = { accept: BROWSER_ACCEPT }
  const withSession = (token: string, extra: OutgoingHttpHeaders = {}) => ({ ...extra, cookie: `theme=dark; ${COOKIE}=${token}` })

  before(async () => {
    const world = worldOf()
    anneToken = await portalSession(world, ANNE.email)
    bobToken = await portalSession(world, BOB.email)
  })

  it('is what docs/forward-auth/traefik.yml sets up', () => {
    assert.equal(authPath, '/api/forward-auth/traefik')
    // With it on, a client could send its own X-Forwarded-Uri / -For and Traefik would keep them.
    assert.equal(middleware.trustForwardHeader, false)
    assert.deepEqual(middleware.authResponseHeaders?.map((h) => h.toLowerCase()), [...IDENTITY_HEADERS])
    assert.equal(middleware.authResponseHeadersRegex, '^Remote-')
  })

  it('redirects an anonymous browser to the sign-in with the original URL: 302 for GET, 303 otherwise', async () => {
    const world = worldOf()
    const expected = `${world.issuer}/api/forward-auth/login?rd=${encodeURIComponent(`https://${APP_HOST}/reports?q=1&r=a%2Fb`)}`
    const get = await ask({ uri: '/reports?q=1&r=a%2Fb', client: browserHeaders })
    assert.equal(get.status, 302)
    assert.equal(get.headers.location, expected)
    assert.equal(get.headers['cache-control'], 'no-store')
    const post = await ask({ method: 'POST', uri: '/reports?q=1&r=a%2Fb', client: browserHeaders })
    assert.equal(post.status, 303)
    assert.equal(post.headers.location, expected)
    // A non-default port stays in the return URL.
    const port = await ask({ host: `${APP_HOST}:8443`, uri: '/', client: browserHeaders })
    assert.equal(port.headers.location, `${world.issuer}/api/forward-auth/login?rd=${encodeURIComponent(`https://${APP_HOST}:8443/`)}`)
  })

  it('answers a script 401 without Location', async () => {
    const xhr = await ask({ uri: '/api/items', client: { 'x-requested-with': 'XMLHttpRequest', accept: 'application/json' } })
    assert.equal(xhr.status, 401)
    assert.equal(xhr.headers.location, undefined)
    const xhrHtml = await ask({ uri: '/api/items', client: { 'x-requested-with': 'XMLHttpRequest', accept: BROWSER_ACCEPT } })
    assert.equal(xhrHtml.status, 401)
    assert.equal(xhrHtml.headers.location, undefined)
  })

  it('allows anne with all four identity headers, whatever the client sent', async () => {
    const res = await ask({ uri: '/reports', client: withSession(anneToken, { ...browserHeaders, 'remote-user': FORGED, 'remote-groups': 'admins' }) })
    assert.equal(res.status, 200, res.body)
    assert.equal(res.headers['remote-user'], 'anne')
    assert.equal(res.headers['remote-name'], 'Anne Example')
    assert.equal(res.headers['remote-email'], 'anne@example.test')
    assert.equal(res.headers['remote-groups'], 'eng,ops')
    assert.equal(res.headers['cache-control'], 'no-store')
  })

  it('refuses bob with 403: the HTML page for a browser, JSON for a script', async () => {
    const page = await ask({ uri: '/reports', client: withSession(bobToken, browserHeaders) })
    assert.equal(page.status, 403)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    assert.match(page.body, /Access denied/)
    assert.equal(page.headers['remote-user'], undefined)
    assert.equal(page.headers['x-gatehouse-deny-reason'], undefined)
    const json = await ask({ uri: '/reports', client: withSession(bobToken, { accept: 'application/json' }) })
    assert.equal(json.status, 403)
    assert.equal((JSON.parse(json.body) as { code: string }).code, 'forwardauth_denied')
  })

  it('passes a skip path with all four identity headers present and empty', async () => {
    const res = await ask({ uri: '/health?probe=1', client: withSession(anneToken, browserHeaders) })
    assert.equal(res.status, 200)
    for (const name of IDENTITY_HEADERS) assert.equal(res.headers[name], '', name)
  })

  it('refuses an unregistered host with 403', async () => {
    const res = await ask({ host: 'unknown.gh.localhost', uri: '/', client: withSession(anneToken, browserHeaders) })
    assert.equal(res.status, 403)
    assert.equal(res.headers.location, undefined)
    assert.match(res.body, /Unknown application/)
  })

  it('ignores a client-sent X-Original-URL / X-Original-Method (nginx\'s headers)', async () => {
    const world = worldOf()
    // The skip path named in X-Original-URL does not let a protected path through...
    const protectedPath = await ask({
      uri: '/private', client: { ...browserHeaders, 'x-original-url': `https://${APP_HOST}/health`, 'x-original-method': 'POST' },
    })
    assert.equal(protectedPath.status, 302)
    assert.equal(protectedPath.headers.location, `${world.issuer}/api/forward-auth/login?rd=${encodeURIComponent(`https://${APP_HOST}/private`)}`)
    // ...and a protected URL in it does not stop a skip path.
    const skip = await ask({ uri: '/health', client: { ...browserHeaders, 'x-original-url': `https://${APP_HOST}/private` } })
    assert.equal(skip.status, 200)
    // nginx's endpoint, conversely, reads only X-Original-*.
    const nginx = await send(world.gatehousePort, '/api/forward-auth/nginx', {
      host: `127.0.0.1:${world.gatehousePort}`,
      headers: { ...browserHeaders, 'x-original-url': `https://${APP_HOST}/private`, 'x-original-method': 'GET', 'x-forwarded-uri': '/health', 'x-forwarded-host': APP_HOST },
    })
    assert.equal(nginx.status, 401)
    assert.equal(nginx.headers.location, `${world.issuer}/api/forward-auth/login?rd=${encodeURIComponent(`https://${APP_HOST}/private`)}`)
  })

  it('refuses an auth request missing the X-Forwarded-* headers with a 400', async () => {
    const world = worldOf()
    const res = await send(world.gatehousePort, authPath, { host: `127.0.0.1:${world.gatehousePort}`, headers: { ...browserHeaders, 'x-forwarded-uri': '/' } })
    assert.equal(res.status, 400)
    assert.equal(res.headers.location, undefined)
  })

  it('takes the client address from X-Forwarded-For set by the (trusted, loopback) proxy', async () => {
    const office = (forwardedFor: string) => ask({ host: OFFICE_HOST, uri: '/', forwardedFor, client: withSession(anneToken, browserHeaders) })
    assert.equal((await office('203.0.113.9')).status, 200)
    assert.equal((await office('198.51.100.7')).status, 403)
    // A client that prepends an office address gains nothing: the walk stops at the first
    // address the trusted proxy did not vouch for.
    assert.equal((await office('203.0.113.9, 198.51.100.7')).status, 403)
  })
}

// ---------------------------------------------------------------------------------------------

for (const backend of BACKENDS) {
  const backendSkip = backend === 'postgres' ? postgresSkip : undefined
  describe(`forward-auth through real proxies (${backend})`, { skip: backendSkip }, () => {
    const worldOf = worldPerSuite(backend)
    describe('Caddy forward_auth with docs/forward-auth/Caddyfile', { skip: caddySkip ?? chromiumSkip }, () => proxySuite('caddy', worldOf))
    describe('nginx auth_request with docs/forward-auth/nginx.conf', { skip: nginxSkip ?? chromiumSkip }, () => proxySuite('nginx', worldOf))
    describe('sign-in return URL', () => returnUrlSuite(worldOf))
    describe('sign-in page in Chromium', () => loginPageSuite(worldOf))
    describe('Traefik ForwardAuth contract (docs/forward-auth/traefik.yml)', () => traefikSuite(worldOf))
  })
}
