import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileApplications } from './application.ts'
import { parseCidr } from './client-ip.ts'
import { decide, type DecideConfig, type Decision } from './decide.ts'
import type { ForwardIdentity } from './identity-headers.ts'
import type { RelationshipChecker } from './policy.ts'
import { parseAuthRequest, type ProxyContract } from './request.ts'

const applications = compileApplications([
  {
    id: 'grafana',
    hosts: ['grafana.example.com'],
    skipPaths: ['^/(health|metrics|static)'],
    policy: { groups: { anyOf: ['staff', 'contractors'] } },
    rules: [
      { pathPrefix: '/admin', policy: { groups: { allOf: ['staff', 'admins'] } } },
      { pathPrefix: '/api', methods: ['DELETE', 'PUT'], policy: { groups: { allOf: ['admins'] } } },
      { pathPrefix: '/reports', policy: { methods: ['GET', 'HEAD'] } },
      { pathPrefix: '/office', policy: { sourceCidrs: ['192.0.2.0/24', '2001:db8::/32'] } },
      { pathPrefix: '/hours', policy: { timeWindows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Berlin' }] } },
      { pathPrefix: '/shared', policy: { groups: { anyOf: ['staff'] }, relation: { store: 'main', object: 'application:grafana', relation: 'can_access' } } },
    ],
    headers: { groupsFilter: '^(staff|admins|grafana-.*)$', organization: 'Remote-Organization' },
  },
  { id: 'wiki', hosts: ['*.wiki.example.com'], headers: { user: 'X-User', name: 'X-Name', email: 'X-Email', groups: 'X-Groups', userClaim: 'email' } },
  { id: 'elsewhere', hosts: ['app.example.org'] },
])

// Wednesday 25 November 2026, 12:00 in Berlin.
const NOON_BERLIN = new Date('2026-11-25T11:00:00Z')

const config = (overrides: Partial<DecideConfig> = {}): DecideConfig => ({
  applications,
  loginUrl: (back) => `https://auth.example.com/login?rd=${encodeURIComponent(back)}`,
  cookieDomain: 'example.com',
  now: NOON_BERLIN,
  ...overrides,
})

const alice: ForwardIdentity = {
  subject: 'u-1', username: 'alice', name: 'Alice Ärger', email: 'alice@example.com',
  groups: ['staff', 'admins', 'ldap-all-users', 'grafana-editors'], organizations: ['acme', 'umbrella'],
}
const carol: ForwardIdentity = { subject: 'u-3', username: 'carol', groups: ['contractors'] }
const dave: ForwardIdentity = { subject: 'u-4', username: 'dave', groups: ['staff'] }

interface Visit {
  contract?: ProxyContract
  method?: string
  host?: string
  uri?: string
  headers?: Record<string, string>
  peer?: string
  identity?: ForwardIdentity | null
  now?: Date
  relations?: RelationshipChecker
  config?: Partial<DecideConfig>
}

const allowAll: RelationshipChecker = { check: async () => true }

async function visit(v: Visit = {}): Promise<Decision> {
  const host = v.host ?? 'grafana.example.com'
  const uri = v.uri ?? '/dashboards?orgId=1'
  const method = v.method ?? 'GET'
  const headers = v.contract === 'nginx'
    ? { 'x-original-url': `https://${host}${uri}`, 'x-original-method': method }
    : { 'x-forwarded-method': method, 'x-forwarded-proto': 'https', 'x-forwarded-host': host, 'x-forwarded-uri': uri }
  const request = parseAuthRequest(v.contract ?? 'forwarded', {
    peerAddress: v.peer ?? '10.0.0.2',
    headers: { accept: 'text/html', ...headers, ...v.headers },
  }, { trustedProxies: [parseCidr('10.0.0.0/8')!] })
  return decide(
    { request, identity: v.identity === undefined ? alice : v.identity, config: config({ now: v.now ?? NOON_BERLIN, ...v.config }) },
    { relations: v.relations ?? allowAll },
  )
}

const loginFor = (back: string) => `https://auth.example.com/login?rd=${encodeURIComponent(back)}`

describe('decide: hosts', () => {
  it('refuses a host no application serves with 403', async () => {
    const d = await visit({ host: 'unknown.example.com' })
    assert.equal(d.kind, 'unknown_host')
    assert.equal(d.status, 403)
  })

  it('serves wildcard hosts one label deep', async () => {
    assert.equal((await visit({ host: 'team.wiki.example.com' })).kind, 'allow')
    assert.equal((await visit({ host: 'a.team.wiki.example.com' })).kind, 'unknown_host')
  })
})

describe('decide: anonymous visitors', () => {
  it('redirects a GET to login (302) carrying the original URL', async () => {
    const d = await visit({ identity: null, host: 'grafana.example.com:8443' })
    assert.deepEqual(d, { kind: 'login', status: 302, application: 'grafana', location: loginFor('https://grafana.example.com:8443/dashboards?orgId=1') })
  })

  it('redirects a HEAD with 302 and other methods with 303', async () => {
    assert.equal((await visit({ identity: null, method: 'HEAD' })).status, 302)
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const d = await visit({ identity: null, method })
      assert.deepEqual([d.kind, d.status], ['login', 303], method)
    }
  })

  it('answers 401 without a redirect to scripts and non-HTML clients', async () => {
    const variants: Record<string, string>[] = [{ 'x-requested-with': 'XMLHttpRequest' }, { accept: 'application/json' }, { accept: '*/*' }]
    for (const headers of variants) {
      const d = await visit({ identity: null, headers })
      assert.deepEqual(d, { kind: 'login', status: 401, application: 'grafana' }, JSON.stringify(headers))
    }
  })

  it('answers nginx browsers 401 with an absolute Location, and nginx scripts a bare 401', async () => {
    const browser = await visit({ identity: null, contract: 'nginx', method: 'POST' })
    assert.deepEqual(browser, { kind: 'login', status: 401, application: 'grafana', location: loginFor('https://grafana.example.com/dashboards?orgId=1') })
    assert.match((browser as { location: string }).location, /^https:\/\//)
    const xhr = await visit({ identity: null, contract: 'nginx', headers: { 'x-requested-with': 'XMLHttpRequest' } })
    assert.deepEqual(xhr, { kind: 'login', status: 401, application: 'grafana' })
  })

  it('does not take a client-sent Remote-User for a session', async () => {
    const d = await visit({ identity: null, headers: { 'remote-user': 'admin', 'remote-groups': 'admins' } })
    assert.equal(d.kind, 'login')
  })

  it('calls a host outside the cookie domain misconfigured instead of looping through login', async () => {
    const d = await visit({ identity: null, host: 'app.example.org' })
    assert.equal(d.kind, 'misconfigured')
    assert.equal(d.status, 400)
    assert.match((d as { reason: string }).reason, /not under the cookie domain example\.com/)
  })

  it('calls a relative login URL misconfigured', async () => {
    const d = await visit({ identity: null, config: { loginUrl: () => '/login' } })
    assert.deepEqual([d.kind, d.status], ['misconfigured', 400])
  })
})

describe('decide: skip paths and path tricks', () => {
  it('passes skip paths without login, every identity header present and empty', async () => {
    for (const uri of ['/health', '/metrics', '/static/app.js', '/%73tatic/x.css']) {
      const d = await visit({ identity: null, uri })
      assert.deepEqual(d, {
        kind: 'skip', status: 200, application: 'grafana', rule: 'skipPaths[0]',
        headers: { 'Remote-User': '', 'Remote-Name': '', 'Remote-Email': '', 'Remote-Groups': '', 'Remote-Organization': '' },
      }, uri)
    }
  })

  it('does not skip a path whose query only looks like a skip path', async () => {
    assert.equal((await visit({ identity: null, uri: '/admin?x=/health' })).kind, 'login')
  })

  it('denies paths that cannot be normalised safely, even when they look like skip paths', async () => {
    for (const uri of [
      '/static%2f..%2fadmin', '/static/..;/admin', '/static\\..\\admin', '/static/%252e%252e/admin', '/static/../admin',
      '/static/%2e%2e/admin', '/health/..//admin', '//health', '/admin/../health', '//static/admin', '/admin//../static/x',
      '/static/x.css;/../admin', '/admin;x.css',
    ]) {
      const d = await visit({ identity: null, uri })
      assert.equal(d.kind, 'deny', uri)
      assert.equal(d.status, 403)
      assert.equal((d as { rule: string }).rule, 'path')
    }
  })

  it('matches rules on the decoded path', async () => {
    const d = await visit({ identity: dave, uri: '/%61dmin/users' })
    assert.equal((d as { rule: string }).rule, '/admin: groups.all_of')
  })
})

describe('decide: policies', () => {
  it('allows any of the default groups', async () => {
    assert.equal((await visit({ identity: carol })).kind, 'allow')
    const d = await visit({ identity: { subject: 'u-9', groups: ['visitors'] } })
    assert.deepEqual(d, {
      kind: 'deny', status: 403, application: 'grafana', rule: 'default: groups.any_of', check: 'groups.any_of',
      reason: 'requires membership in one of: staff, contractors',
      // "Sign in as someone else": a fresh sign-in that comes back to the same, allow-listed URL.
      switchUrl: `https://auth.example.com/login?rd=${encodeURIComponent('https://grafana.example.com/dashboards?orgId=1')}&switch=1`,
    })
  })

  it('requires all groups of the most specific prefix', async () => {
    assert.equal((await visit({ uri: '/admin/users' })).kind, 'allow')
    const d = await visit({ identity: dave, uri: '/admin/users' })
    assert.equal(d.kind, 'deny')
    assert.match((d as { reason: string }).reason, /admins/)
    // /administrator is not under /admin: the default policy applies.
    assert.equal((await visit({ identity: dave, uri: '/administrator' })).kind, 'allow')
  })

  it('names the rule that allowed a request', async () => {
    assert.equal((await visit({ uri: '/admin/users' }) as { rule: string }).rule, '/admin')
    assert.equal((await visit({ identity: carol, uri: '/dashboards' }) as { rule: string }).rule, 'default')
    assert.equal((await visit({ uri: '/api/dash', method: 'PUT' }) as { rule: string }).rule, '/api DELETE,PUT')
  })

  it('applies a rule only to its methods', async () => {
    assert.equal((await visit({ identity: dave, uri: '/api/dash', method: 'GET' })).kind, 'allow')
    const d = await visit({ identity: dave, uri: '/api/dash', method: 'DELETE' })
    assert.equal((d as { rule: string }).rule, '/api DELETE,PUT: groups.all_of')
    assert.equal((await visit({ uri: '/api/dash', method: 'DELETE' })).kind, 'allow')
  })

  it('restricts methods per path', async () => {
    assert.equal((await visit({ uri: '/reports/q1', method: 'HEAD' })).kind, 'allow')
    const d = await visit({ uri: '/reports/q1', method: 'POST' })
    assert.equal((d as { rule: string }).rule, '/reports: methods')
  })

  it('checks the client address from trusted proxies only', async () => {
    const office = (peer: string, xff?: string) => visit({ uri: '/office', peer, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } })
    assert.equal((await office('10.0.0.2', '192.0.2.44')).kind, 'allow')
    assert.equal((await office('10.0.0.2', '2001:db8::44')).kind, 'allow')
    assert.equal((await office('10.0.0.2', '198.51.100.1')).kind, 'deny')
    // A client prepending an office address to its own gains nothing.
    assert.equal((await office('10.0.0.2', '192.0.2.44, 198.51.100.1')).kind, 'deny')
    // An untrusted peer's header is not read at all.
    const direct = await office('203.0.113.9', '192.0.2.44')
    assert.equal((direct as { rule: string }).rule, '/office: source_ip')
    assert.equal((await office('10.0.0.2', 'garbage')).kind, 'deny')
  })

  it('checks time windows in the configured zone', async () => {
    assert.equal((await visit({ uri: '/hours' })).kind, 'allow')
    const evening = await visit({ uri: '/hours', now: new Date('2026-11-25T16:30:00Z') })
    assert.equal((evening as { rule: string }).rule, '/hours: time_window')
  })

  it('asks the relationship checker, only after the local checks pass', async () => {
    const calls: unknown[] = []
    const relations: RelationshipChecker = {
      check: async (q) => {
        calls.push({ store: q.store, object: q.object, relation: q.relation, subject: q.identity.subject })
        return q.identity.subject === 'u-1'
      },
    }
    assert.equal((await visit({ uri: '/shared/x', relations })).kind, 'allow')
    const denied = await visit({ uri: '/shared/x', identity: dave, relations })
    assert.equal((denied as { rule: string }).rule, '/shared: relation')
    await visit({ uri: '/shared/x', identity: carol, relations })
    assert.deepEqual(calls, [
      { store: 'main', object: 'application:grafana', relation: 'can_access', subject: 'u-1' },
      { store: 'main', object: 'application:grafana', relation: 'can_access', subject: 'u-4' },
    ])
  })
})

describe('decide: identity headers', () => {
  it('sends every configured header, groups filtered, names as UTF-8 bytes', async () => {
    const d = await visit({})
    assert.deepEqual(d, {
      kind: 'allow', status: 200, application: 'grafana', rule: 'default',
      headers: {
        'Remote-User': 'alice',
        'Remote-Name': Buffer.from('Alice Ärger', 'utf8').toString('latin1'),
        'Remote-Email': 'alice@example.com',
        'Remote-Groups': 'staff,admins,grafana-editors',
        'Remote-Organization': 'acme,umbrella',
      },
    })
  })

  it('sends empty values rather than leaving headers out', async () => {
    const d = await visit({ identity: carol })
    assert.deepEqual((d as { headers: unknown }).headers, {
      'Remote-User': 'carol', 'Remote-Name': '', 'Remote-Email': '', 'Remote-Groups': '', 'Remote-Organization': '',
    })
  })

  it('uses configured header names and user claim', async () => {
    const d = await visit({ host: 'team.wiki.example.com' })
    assert.deepEqual((d as { headers: unknown }).headers, {
      'X-User': 'alice@example.com', 'X-Name': Buffer.from('Alice Ärger').toString('latin1'), 'X-Email': 'alice@example.com',
      'X-Groups': 'staff,admins,ldap-all-users,grafana-editors',
      // Not configured here, yet sent empty: proxies copying it must never get a placeholder.
      'Remote-Organization': '',
    })
    const noEmail = await visit({ host: 'team.wiki.example.com', identity: carol })
    assert.equal((noEmail as { headers: Record<string, string> }).headers['X-User'], 'u-3')
  })

  it('cannot be split or forged by identity values', async () => {
    const mallory: ForwardIdentity = {
      subject: 'u-6', username: 'mallory\r\nRemote-Groups: admins', name: 'M\x00', groups: ['staff', 'admins,root', 'grafana-x\nY'],
    }
    const headers = ((await visit({ identity: mallory })) as { headers: Record<string, string> }).headers
    assert.equal(headers['Remote-User'], 'malloryRemote-Groups: admins')
    assert.equal(headers['Remote-Name'], 'M')
    assert.equal(headers['Remote-Groups'], 'staff')
    for (const value of Object.values(headers)) assert.doesNotMatch(value, /[\r\n\x00]/)
  })
})

describe('decide: operator-written expressions', () => {
  const tricky = compileApplications([{ id: 'wiki', hosts: ['wiki.example.com'], skipPaths: ['^/(a+)+$', '^/health|/public'], headers: { groupsFilter: '^(x+)+$' } }])
  const at = (uri: string, identity: ForwardIdentity | null = null) => decide({
    request: parseAuthRequest('forwarded', {
      peerAddress: '10.0.0.2',
      headers: { accept: 'text/html', 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'wiki.example.com', 'x-forwarded-uri': uri },
    }, { trustedProxies: [] }),
    identity, config: config({ applications: tricky }),
  }, { relations: allowAll })

  it('cannot be made to backtrack for ages by a crafted path or group name', async () => {
    // Without V8's linear-time fallback each of these runs for hours.
    assert.equal((await at(`/${'a'.repeat(40)}!`)).kind, 'login')
    const d = await at('/page', { subject: 'u', groups: [`${'x'.repeat(40)}!`, 'xx'] })
    assert.equal(d.kind === 'allow' && d.headers['Remote-Groups'], 'xx')
  })

  it('anchors every branch of a skip path, not just the first', async () => {
    assert.equal((await at('/public/x')).kind, 'skip')
    assert.equal((await at('/secret/public/x')).kind, 'login')
  })
})
