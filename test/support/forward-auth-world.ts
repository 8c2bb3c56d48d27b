// The world forward-auth end-to-end tests run in: a real Gatehouse server on one store backend,
// an upstream OpenID Connect provider in this process (anne: eng, ops; bob: sales), the echo
// backend as the protected application, Chromium as the visitor, and helpers to talk to them.
//
// Every name is under gh.localhost: Chromium resolves *.localhost to 127.0.0.1 by itself, and
// requests from this process connect to 127.0.0.1 with the Host header set.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import Provider from 'oidc-provider'
import type { Browser as Chromium, BrowserContext, Page, Response as PageResponse } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from './chromium.ts'
import { rawHeaderValues, startEchoBackend, type EchoBackend, type EchoedRequest } from './echo-backend.ts'
import { repoRoot, TEST_SECRET_KEY, type Backend } from './gatehouse.ts'
import { createTestDatabase, type TestDatabase } from './postgres.ts'
import { freePort, spawnServer, type ServerProcess } from './process.ts'
import { caddySkipReason, nginxSkipReason } from './proxies.ts'
import { companyIdpOptions, listenLoopback } from './upstream.ts'

export const DOMAIN = 'gh.localhost'
export const APP_HOST = `app.${DOMAIN}`
/** An application whose policy is a source-address range (for X-Forwarded-For). */
export const OFFICE_HOST = `office.${DOMAIN}`
export const COOKIE = 'gatehouse_session'
export const IDENTITY_HEADERS = ['remote-user', 'remote-name', 'remote-email', 'remote-groups'] as const
export const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
export const FORGED = 'root'

export interface UpstreamUser { email: string; name: string; preferred_username: string; groups: string[] }
export const USERS: Record<string, UpstreamUser> = {
  'anne-0001': { email: 'anne@example.test', name: 'Anne Example', preferred_username: 'anne', groups: ['eng', 'ops'] },
  'bob-0002': { email: 'bob@example.test', name: 'Bob Example', preferred_username: 'bob', groups: ['sales'] },
}
export const ANNE = USERS['anne-0001']!
export const BOB = USERS['bob-0002']!

// Decided once for the file; each throws under CI=true when its program or server is missing.
export const caddySkip = caddySkipReason()
export const nginxSkip = nginxSkipReason()
export const chromiumSkip = chromiumSkipReason()

// ---------------------------------------------------------------------------------------------
// The company IdP: signs in whoever the email Gatehouse forwards as login_hint names.

export async function startUpstream(gatehouseCallback: string): Promise<{ issuer: string; close(): Promise<void> }> {
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

export interface World {
  /** http://id.gh.localhost:<port>, what the browser sees. */
  issuer: string
  /** http://127.0.0.1:<port>, where this process and the proxies reach Gatehouse. */
  gatehouse: string
  gatehousePort: number
  echo: EchoBackend
}

export function worldPerSuite(backend: Backend): () => World {
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

export interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

export function send(port: number, path: string, o: { host: string; method?: string; headers?: OutgoingHttpHeaders }): Promise<Answer> {
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
export function appHits(world: World): number {
  return world.echo.received.filter((r) => !r.url.startsWith('/favicon.ico')).length
}

export function echoOf(answer: Answer): EchoedRequest {
  assert.equal(answer.status, 200, `expected the application's echo, got ${answer.status} ${answer.body.slice(0, 300)}`)
  return JSON.parse(answer.body) as EchoedRequest
}

/** The identity the application saw: at most one header each, '' when absent or empty. */
export function identitySeen(echo: EchoedRequest): Record<(typeof IDENTITY_HEADERS)[number], string> {
  const out = {} as Record<(typeof IDENTITY_HEADERS)[number], string>
  for (const name of IDENTITY_HEADERS) {
    const values = rawHeaderValues(echo, name)
    assert.ok(values.length <= 1, `${name} reached the application ${values.length} times: ${JSON.stringify(values)}`)
    out[name] = values[0] ?? ''
  }
  return out
}

/** No forged value under any spelling of an identity header reached the application. */
export function assertNothingForged(echo: EchoedRequest): void {
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    const name = echo.rawHeaders[i]!.toLowerCase()
    const value = echo.rawHeaders[i + 1]!
    if (!name.startsWith('remote')) continue
    assert.ok(!value.includes(FORGED) && !value.includes('admins'), `forged ${echo.rawHeaders[i]}: ${value} reached the application`)
    // CGI-style stacks read Remote_User as Remote-User.
    assert.ok(!name.includes('_'), `${echo.rawHeaders[i]}: ${value} reached the application`)
  }
}

export function cookieFrom(setCookieLike: string, name: string): string | undefined {
  return new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(setCookieLike)?.[1]
}

// ---------------------------------------------------------------------------------------------
// Chromium helpers.

let chromium: Chromium | undefined

/** Launches Chromium before the calling file's tests and closes it after them. */
export function useChromium(): void {
  before(async () => {
    if (chromiumSkip === undefined) chromium = await launchChromium()
  })
  after(async () => {
    await chromium?.close()
  })
}

export interface Visitor {
  context: BrowserContext
  page: Page
  /** Requests the page tried to send anywhere but 127.0.0.1 and *.localhost (all refused). */
  offSite: string[]
}


export async function newVisitor(): Promise<Visitor> {
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
export async function firstHop(response: PageResponse): Promise<{ url: string; status: number; location?: string }> {
  let request = response.request()
  while (request.redirectedFrom()) request = request.redirectedFrom()!
  const first = await request.response()
  assert.ok(first, `no response for ${request.url()}`)
  return { url: request.url(), status: first.status(), location: (await first.allHeaders()).location }
}

export async function onLoginPage(page: Page, world: World): Promise<void> {
  assert.equal(new URL(page.url()).origin, world.issuer, `expected Gatehouse's sign-in page, at ${page.url()}`)
  await page.locator('input#email').waitFor()
}

/** On Gatehouse's login page: the email routes to the company IdP, which signs the user in. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.locator('input#email').fill(email)
  await page.getByRole('button', { name: 'Continue' }).click()
}

/** Signs `email` in from an app URL and returns the navigation response of the final page. */
export async function signInAt(visitor: Visitor, world: World, url: string, email: string): Promise<PageResponse> {
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

export async function pageEcho(page: Page): Promise<EchoedRequest> {
  const text = await page.locator('pre').first().textContent()
  return JSON.parse(text ?? '') as EchoedRequest
}



