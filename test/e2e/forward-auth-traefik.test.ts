// Traefik is not packaged in Debian: its ForwardAuth contract is checked by calling the endpoint
// exactly as Traefik does, and the documented traefik.yml is parsed and checked.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BACKENDS } from '../support/gatehouse.ts'
import { APP_HOST, OFFICE_HOST, COOKIE, IDENTITY_HEADERS, BROWSER_ACCEPT, FORGED, ANNE, BOB, worldPerSuite, send, cookieFrom, type World } from '../support/forward-auth-world.ts'
import { backendSkip } from '../support/gatehouse.ts'
import { readFileSync } from 'node:fs'
import type { OutgoingHttpHeaders } from 'node:http'
import { before } from 'node:test'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { Browser, formAction } from '../support/browser.ts'
import { DOCS_DIR } from '../support/proxies.ts'
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

for (const backend of BACKENDS) {
  describe(`forward-auth Traefik contract (${backend})`, { skip: await backendSkip(backend) }, () => {
    const worldOf = worldPerSuite(backend)
    describe('Traefik ForwardAuth contract (docs/forward-auth/traefik.yml)', () => traefikSuite(worldOf))
  })
}
