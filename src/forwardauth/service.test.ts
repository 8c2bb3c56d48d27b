import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileApplications } from './application.ts'
import { cookieValue, createForwardAuth, type AuditSink } from './service.ts'
import type { PortalSession, SessionStore } from './sessions.ts'

type Identity = PortalSession['identity']
const anne: Identity = { subject: 'ext:anne', accountType: 'user', username: 'anne', groups: ['eng'] }
const bob: Identity = { subject: 'ext:bob', accountType: 'user', username: 'bob', groups: ['sales', 'größe'] }
const admin: Identity = { subject: 'local:admin', accountType: 'user', username: 'admin', groups: [] }

function setup(tokens: Record<string, Identity>, bearer: Record<string, Identity> = {}) {
  const audited: Parameters<AuditSink['append']>[0][] = []
  const sessions: SessionStore = {
    create: async () => { throw new Error('unused') },
    list: async () => [],
    destroyAll: async () => 0,
    get: async (token) => (tokens[token] ? { identity: tokens[token], createdAt: 0, lastSeenAt: 0, endsAt: Infinity } : undefined),
    destroy: async () => {},
    listFor: async () => [],
    revoke: async () => false,
  }
  const registry = compileApplications([{ id: 'wiki', hosts: ['wiki.example.test'], policy: { groups: { anyOf: ['eng'] } } }])
  const service = createForwardAuth({
    registry: { current: async () => registry, invalidate() {} }, sessions, relations: { check: async () => false },
    bearer: async (t) => bearer[t], cookieName: 'gh', cookieDomain: 'example.test',
    loginUrl: (u) => `https://id.example.test/login?rd=${encodeURIComponent(u)}`, trustedProxies: ['127.0.0.0/8'], adminGroups: ['ops'],
    audit: { append: async (e) => { audited.push(e) } },
  })
  const ask = (headers: Record<string, string>) => service.authorize('forwarded', {
    peerAddress: '127.0.0.1',
    headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'wiki.example.test', 'x-forwarded-uri': '/page', 'x-forwarded-for': '198.51.100.4', accept: 'text/html', ...headers },
  })
  return { ask, audited }
}

describe('forward-auth service', () => {
  it('allows a session that passes the policy, with its identity headers', async () => {
    const { ask } = setup({ t1: anne })
    const out = await ask({ cookie: 'other=1; gh=t1' })
    assert.equal(out.decision.kind, 'allow')
    assert.equal(out.decision.kind === 'allow' && out.decision.headers['Remote-User'], 'anne')
  })

  it('denies a session outside the policy, records it, and tells only administrators why', async () => {
    const { ask, audited } = setup({ b: bob, a: { ...admin, groups: ['größe'] }, o: { ...bob, subject: 'ext:o', groups: ['ops'] } })
    const denied = await ask({ cookie: 'gh=b' })
    assert.equal(denied.decision.kind, 'deny')
    assert.equal(denied.debugReason, undefined)
    assert.equal(audited.length, 1)
    assert.deepEqual({ ...audited[0], details: undefined }, {
      actor: 'ext:bob', actorType: 'user', action: 'forward_auth.deny', target: 'application:wiki', outcome: 'denied', sourceIp: '198.51.100.4', details: undefined,
    })
    assert.equal(audited[0]!.details?.rule, 'default: groups.any_of')
    assert.equal(audited[0]!.details?.reference, denied.reference, 'the page\'s reference finds the audit entry')
    assert.match((await ask({ cookie: 'gh=a' })).debugReason ?? '', /^default: groups.any_of: requires membership in one of: eng$/)
    assert.ok((await ask({ cookie: 'gh=o' })).debugReason, 'members of an admin group see the reason')
  })

  it('falls back to the session when a bearer token is not Gatehouse\'s, and prefers a valid one', async () => {
    const { ask } = setup({ t1: anne }, { 'gatehouse-token-0123456789': bob })
    const own = await ask({ cookie: 'gh=t1', authorization: 'Bearer application-own-token-123' })
    assert.equal(own.decision.kind, 'allow')
    const viaToken = await ask({ cookie: 'gh=t1', authorization: 'Bearer gatehouse-token-0123456789' })
    assert.equal(viaToken.identity?.username, 'bob')
  })

  it('sends an anonymous browser to sign in with the original URL, and a script gets a bare 401', async () => {
    const { ask } = setup({})
    const browser = await ask({})
    assert.equal(browser.decision.kind === 'login' && browser.decision.location, 'https://id.example.test/login?rd=https%3A%2F%2Fwiki.example.test%2Fpage')
    const xhr = await ask({ 'x-requested-with': 'XMLHttpRequest', accept: 'application/json' })
    assert.deepEqual([xhr.decision.status, xhr.decision.kind === 'login' && xhr.decision.location], [401, undefined])
  })

  it('reads one cookie out of a Cookie header', () => {
    assert.equal(cookieValue('a=1; gh=x; gh=y', 'gh'), 'x')
    assert.equal(cookieValue('agh=1', 'gh'), undefined)
    assert.equal(cookieValue(undefined, 'gh'), undefined)
  })
})
