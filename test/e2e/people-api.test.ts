// The people admin API and the forward-auth policy simulator against a real server on each
// backend: local accounts listed and paged, a person's sessions (OpenID Connect and
// forward-auth) listed and ended so the next proxied request is sent to sign in, accounts
// disabled, enabled and given new passwords, every action audited; the simulator naming the
// rule that decided; resource servers and upstreams listed without secrets; bad input a 4xx.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Browser, formAction } from '../support/browser.ts'
import { runCaptured } from '../support/cli.ts'
import { BACKENDS, backendSkip, serverPerSuite, TEST_SECRET_KEY } from '../support/gatehouse.ts'

const ISSUER = 'http://localhost:7448'
const KEY = 'people-api-preshared-key-0123456789'
const ANN_PASSWORD = 'ann-first-password-1'
const auth = { authorization: `Bearer ${KEY}` }
const json = { ...auth, 'content-type': 'application/json' }

interface Session { id: string; kind: string; clients?: string[] }

for (const backend of BACKENDS) {
  describe(`people and simulator APIs (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_PRESHARED_KEYS: KEY, GATEHOUSE_BOOTSTRAP_PASSWORD: 'people-admin-password-1' })
    const api = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, server.current().url), { ...init, headers: { ...(init.body === undefined ? auth : json), ...init.headers } })
    const body = async (res: Response) => (await res.json()) as any
    const browser = () => new Browser({ base: ISSUER, stopAt: [], route: (url) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current().url) : url) })
    /** Signs in at the forward-auth portal; answers the browser holding the session cookie. */
    const portalSignIn = async (username: string, password: string) => {
      const b = browser()
      const login = await b.browse(`/api/forward-auth/login?rd=${encodeURIComponent(`${ISSUER}/`)}`)
      const home = await b.browse(formAction(login.html, '/login'), { method: 'POST', form: { username, password } })
      return { b, home }
    }
    const proxied = (b: Browser) => fetch(new URL('/api/forward-auth/caddy', server.current().url), {
      headers: {
        cookie: b.jar.header(new URL(`${ISSUER}/`)), accept: 'text/html',
        'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost', 'x-forwarded-uri': '/dashboard',
      },
      redirect: 'manual',
    })
    const audit = async (action: string) => (await body(await api(`/api/v1/audit?action=${action}`))).items as Array<{ actor: string; target: string; details: any }>

    it('creates a local account with the command line and lists accounts a page at a time', async () => {
      const s = server.current()
      const env: Record<string, string> = { GATEHOUSE_DATA_DIR: s.dataDir, GATEHOUSE_NEW_PASSWORD: ANN_PASSWORD, GATEHOUSE_LOG_LEVEL: 'silent' }
      if (s.databaseUrl) Object.assign(env, { GATEHOUSE_DATABASE_URL: s.databaseUrl, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY })
      const made = await runCaptured(['accounts', 'create', 'ann', '--email', 'ann@example.com'], env, process.cwd())
      assert.equal(made.code, 0, made.stderr)
      const first = await body(await api('/api/v1/accounts?page_size=1'))
      assert.deepEqual(first.items.map((a: { username: string }) => a.username), ['admin'])
      assert.ok(first.continuation_token)
      const second = await body(await api(`/api/v1/accounts?page_size=1&continuation_token=${first.continuation_token}`))
      assert.deepEqual(second.items.map((a: { subject: string; email: string }) => [a.subject, a.email]), [['local:ann', 'ann@example.com']])
      assert.equal(JSON.stringify(second).includes('passwordHash'), false)
      assert.deepEqual(await body(await api('/api/v1/people')), { items: [] }, 'no upstream user has signed in')
    })

    it('refuses bad paging, subjects and bodies with a 4xx and a stable code', async () => {
      const cases: Array<[string, RequestInit, number, string]> = [
        ['/api/v1/accounts?page_size=0', {}, 400, 'validation_error'],
        ['/api/v1/accounts?page_size=500', {}, 400, 'validation_error'],
        ['/api/v1/accounts?continuation_token=garbage', {}, 400, 'invalid_continuation_token'],
        ['/api/v1/people?continuation_token=garbage', {}, 400, 'invalid_continuation_token'],
        ['/api/v1/people/nobody', {}, 400, 'invalid_subject'],
        ['/api/v1/people/local:nobody', {}, 404, 'account_not_found'],
        ['/api/v1/people/local:ann/sessions/not-a-session', { method: 'DELETE' }, 404, 'session_not_found'],
        ['/api/v1/accounts/nobody/disable', { method: 'POST', body: '{}' }, 404, 'account_not_found'],
        ['/api/v1/accounts/ann/password', { method: 'POST', body: JSON.stringify({ password: 'short' }) }, 400, 'validation_error'],
        ['/api/v1/accounts/ann/password', { method: 'POST', body: JSON.stringify({ password: 'long-enough-password', extra: 1 }) }, 400, 'validation_error'],
        ['/api/v1/accounts/ann/password', { method: 'POST', body: JSON.stringify({ password: 42 }) }, 400, 'validation_error'],
      ]
      for (const [path, init, status, code] of cases) {
        const res = await api(path, init)
        assert.equal(res.status, status, `${init.method ?? 'GET'} ${path}`)
        assert.equal((await body(res)).code, code, path)
      }
      assert.equal((await fetch(new URL('/api/v1/accounts', server.current().url))).status, 401, 'no credential')
    })

    it("lists a person's sessions and ends one: the next proxied request goes to sign-in", async () => {
      assert.equal((await api('/api/v1/forward-auth/applications', { method: 'POST', body: JSON.stringify({ id: 'dash', hosts: ['localhost'] }) })).status, 201)
      const { b, home } = await portalSignIn('ann', ANN_PASSWORD)
      assert.match(home.html, /Signed in as/)
      assert.equal((await proxied(b)).status, 200)
      const person = (await body(await api('/api/v1/people/local:ann'))).person
      assert.equal(person.kind, 'local')
      assert.equal(person.account.username, 'ann')
      assert.deepEqual(person.organizations, [])
      const kinds = person.sessions.map((s: Session) => s.kind).sort()
      assert.deepEqual(kinds, ['forward_auth', 'oidc'])
      const listed = await body(await api('/api/v1/people/local:ann/sessions'))
      assert.deepEqual(listed.items.map((s: Session) => s.id).sort(), person.sessions.map((s: Session) => s.id).sort())
      assert.equal((await body(await api('/api/v1/people/local:admin/sessions'))).items.length, 0, "another person's sessions are apart")

      const portal = person.sessions.find((s: Session) => s.kind === 'forward_auth')
      assert.equal((await api(`/api/v1/people/local:admin/sessions/${portal.id}`, { method: 'DELETE' })).status, 404, 'only through its owner')
      assert.equal((await api(`/api/v1/people/local:ann/sessions/${portal.id}`, { method: 'DELETE' })).status, 204)
      const after = await proxied(b)
      assert.equal(after.status, 302)
      assert.match(after.headers.get('location') ?? '', /\/api\/forward-auth\/login\?rd=/)
      const oidc = person.sessions.find((s: Session) => s.kind === 'oidc')
      assert.equal((await api(`/api/v1/people/local:ann/sessions/${oidc.id}`, { method: 'DELETE' })).status, 204)
      assert.deepEqual((await body(await api('/api/v1/people/local:ann/sessions'))).items, [])
      assert.equal((await api(`/api/v1/people/local:ann/sessions/${oidc.id}`, { method: 'DELETE' })).status, 404)
      const entries = await audit('session.revoke')
      assert.equal(entries.length, 2)
      assert.deepEqual(entries.map((e) => [e.actor, e.target, e.details.kind]), [['api', 'user:local:ann', 'oidc'], ['api', 'user:local:ann', 'forward_auth']])
    })

    it('disables and enables a local account, and sets or generates its password', async () => {
      const disabled = await body(await api('/api/v1/accounts/ann/disable', { method: 'POST', body: '{}' }))
      assert.equal(disabled.account.disabled, true)
      assert.doesNotMatch((await portalSignIn('ann', ANN_PASSWORD)).home.html, /Signed in as/)
      assert.equal((await body(await api('/api/v1/accounts/ann/enable', { method: 'POST' }))).account.disabled, false)
      const chosen = 'ann-chosen-password-2'
      const set = await body(await api('/api/v1/accounts/ann/password', { method: 'POST', body: JSON.stringify({ password: chosen }) }))
      assert.equal(set.password, undefined, 'a chosen password is not echoed')
      assert.match((await portalSignIn('ann', chosen)).home.html, /Signed in as/)
      const generated = await body(await api('/api/v1/accounts/ann/password', { method: 'POST' }))
      assert.ok(typeof generated.password === 'string' && generated.password.length >= 20)
      assert.match((await portalSignIn('ann', generated.password)).home.html, /Signed in as/)
      assert.deepEqual((await audit('account.*')).map((e) => e.target), Array(4).fill('user:local:ann'))
      assert.equal(JSON.stringify(await audit('account.*')).includes(generated.password), false, 'the password is not audited')
    })

    it('simulates requests through the live decision and names the deciding rule', async () => {
      const app = {
        id: 'grafana', hosts: ['grafana.localhost', '*.apps.localhost'], skipPaths: ['^/health'],
        policy: { groups: { anyOf: ['staff'] } },
        rules: [
          { pathPrefix: '/admin', policy: { groups: { allOf: ['admins'] } } },
          { pathPrefix: '/office', policy: { sourceCidrs: ['192.0.2.0/24'] } },
          { pathPrefix: '/hours', policy: { timeWindows: [{ from: '09:00', to: '17:00', timeZone: 'UTC' }] } },
        ],
      }
      assert.equal((await api('/api/v1/forward-auth/applications', { method: 'POST', body: JSON.stringify(app) })).status, 201)
      const simulate = async (input: unknown, id = 'grafana') => {
        const res = await api(`/api/v1/forward-auth/applications/${id}/simulate`, { method: 'POST', body: JSON.stringify(input) })
        return { status: res.status, body: await body(res) }
      }
      const staff = { subject: 'local:sam', groups: ['staff'] }
      const anonymous = await simulate({ path: '/dashboards' })
      assert.equal(anonymous.body.result.outcome, 'redirect')
      assert.match(anonymous.body.result.location, /^http:\/\/localhost:7448\/api\/forward-auth\/login\?rd=https%3A%2F%2Fgrafana\.localhost%2Fdashboards/)
      assert.deepEqual([(await simulate({ user: staff, path: '/x' })).body.result.outcome, (await simulate({ user: staff, path: '/x' })).body.result.rule], ['allow', 'default'])
      const admin = await simulate({ user: staff, path: '/admin/users' })
      assert.deepEqual([admin.body.result.outcome, admin.body.result.rule, admin.body.result.check], ['deny', '/admin: groups.all_of', 'groups.all_of'])
      assert.equal((await simulate({ user: null, path: '/health' })).body.result.rule, 'skipPaths[0]')
      assert.equal((await simulate({ user: staff, path: '/office', sourceIp: '192.0.2.7' })).body.result.rule, '/office')
      assert.equal((await simulate({ user: staff, path: '/office', sourceIp: '198.51.100.7' })).body.result.rule, '/office: source_ip')
      assert.equal((await simulate({ user: staff, path: '/hours', at: '2026-12-01T20:00:00Z' })).body.result.rule, '/hours: time_window')
      assert.equal((await simulate({ user: staff, path: '/hours', at: '2026-12-01T10:00:00Z' })).body.result.outcome, 'allow')
      assert.equal((await simulate({ user: staff, host: 'x.apps.localhost', path: '/' })).body.result.request.host, 'x.apps.localhost')
      // A local account's own groups count when none are given.
      assert.equal((await simulate({ user: { subject: 'local:ann' }, path: '/' })).body.result.rule, 'default: groups.any_of')
      // An unsaved draft is simulated without being stored.
      const draft = await simulate({ user: staff, path: '/admin', application: { ...app, rules: [] } })
      assert.deepEqual([draft.body.result.outcome, draft.body.result.rule], ['allow', 'default'])
      assert.equal((await simulate({ user: staff, path: '/admin' })).body.result.outcome, 'deny', 'the stored application is unchanged')

      const bad: Array<[unknown, number, string]> = [
        [{ method: 'GE T' }, 400, 'validation_error'],
        [{ path: 'relative' }, 400, 'validation_error'],
        [{ sourceIp: 'not-an-ip' }, 400, 'validation_error'],
        [{ at: 'yesterday' }, 400, 'validation_error'],
        [{ unknown: true }, 400, 'validation_error'],
        [{ host: 'elsewhere.example' }, 400, 'forwardauth_invalid_application'],
        [{ application: { hosts: [] } }, 400, 'forwardauth_invalid_application'],
      ]
      for (const [input, status, code] of bad) {
        const answer = await simulate(input)
        assert.deepEqual([answer.status, answer.body.code], [status, code], JSON.stringify(input))
      }
      assert.deepEqual([(await simulate({}, 'missing')).status, (await simulate({}, 'missing')).body.code], [404, 'forwardauth_application_not_found'])
    })

    it('lists resource servers and upstreams', async () => {
      const servers = await body(await api('/api/v1/resource-servers'))
      assert.ok(servers.items.some((rs: { builtin: boolean; indicator: string }) => rs.builtin && rs.indicator.startsWith(ISSUER)), JSON.stringify(servers))
      assert.deepEqual(await body(await api('/api/v1/upstreams')), { items: [] })
    })
  })
}
