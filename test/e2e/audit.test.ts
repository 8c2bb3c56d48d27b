// The audit log as an operator reads it: application changes with before/after, and
// forward-auth denials carrying the reference the visitor's 403 page shows.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Browser, formAction } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'

const ISSUER = 'http://localhost:7447'
const PASSWORD = 'audit-test-password-1'

interface Entry { action: string; actor: string; target: string; outcome: string; sourceIp: string | null; details: Record<string, any> }

for (const backend of BACKENDS) {
  describe(`audit log API (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    const api = (path: string, init?: RequestInit) => fetch(new URL(path, server.current()!.url), init)
    const json = { 'content-type': 'application/json' }
    const entries = async (query: string) => {
      const res = await api(`/api/v1/audit?${query}`)
      assert.equal(res.status, 200)
      return (await res.json()) as { entries: Entry[]; cursor?: string }
    }

    it('records application changes with before and after, newest first, filtered and paged', async (t) => {
      assert.equal((await api('/api/v1/forward-auth/applications', { method: 'POST', headers: json, body: JSON.stringify({ id: 'wiki', hosts: ['localhost'], policy: { groups: { anyOf: ['eng'] } } }) })).status, 201)
      assert.equal((await api('/api/v1/forward-auth/applications/wiki', { method: 'PUT', headers: json, body: JSON.stringify({ hosts: ['localhost'], policy: { groups: { anyOf: ['eng', 'ops'] } } }) })).status, 200)
      const page = await entries('action=application.*&target=application:wiki')
      assert.deepEqual(page.entries.map((e) => e.action), ['application.update', 'application.create'])
      assert.equal(page.entries[0]!.actor, 'api')
      assert.ok(page.entries[0]!.sourceIp)
      assert.deepEqual(page.entries[0]!.details.before.policy.groups.anyOf, ['eng'])
      assert.deepEqual(page.entries[0]!.details.after.policy.groups.anyOf, ['eng', 'ops'])
      const first = await entries('action=application.*&limit=1')
      assert.equal(first.entries.length, 1)
      const second = await entries(`action=application.*&limit=1&cursor=${encodeURIComponent(first.cursor!)}`)
      assert.equal(second.entries[0]!.action, 'application.create')
    })

    it('records a forward-auth denial under the reference shown on the 403 page', async (t) => {
      const b = new Browser({ base: ISSUER, stopAt: [], route: (url) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current()!.url) : url) })
      const login = await b.browse(`/api/forward-auth/login?rd=${encodeURIComponent(`${ISSUER}/`)}`)
      const home = await b.browse(formAction(login.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
      assert.match(home.html, /Signed in as/)
      const denied = await api('/api/forward-auth/caddy', {
        headers: {
          cookie: b.jar.header(new URL(`${ISSUER}/`)), accept: 'text/html',
          'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost', 'x-forwarded-uri': '/secret',
        },
      })
      assert.equal(denied.status, 403)
      const reference = /Reference: <code>([0-9a-f-]{36})<\/code>/.exec(await denied.text())?.[1]
      assert.ok(reference)
      const [entry] = (await entries('action=forward_auth.deny&outcome=denied')).entries
      assert.equal(entry?.actor, 'local:admin')
      assert.equal(entry?.target, 'application:wiki')
      assert.equal(entry?.details.reference, reference)
      assert.equal(entry?.details.path, '/secret')
    })

    it('records sign-ins: a wrong password as a failure, then the sign-in, with the address', async () => {
      const b = new Browser({ base: ISSUER, stopAt: [], route: (url) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current()!.url) : url) })
      const login = await b.browse(`/api/forward-auth/login?rd=${encodeURIComponent(`${ISSUER}/`)}`)
      const wrong = await b.browse(formAction(login.html, '/login'), { method: 'POST', form: { username: 'Admin', password: 'not-the-password' } })
      assert.doesNotMatch(wrong.html, /Signed in as/)
      const home = await b.browse(formAction(wrong.html, '/login'), { method: 'POST', form: { username: 'admin', password: PASSWORD } })
      assert.match(home.html, /Signed in as/)
      // The failure is recorded without holding up the answer: wait for it briefly.
      let failures = await entries('action=user.sign_in&outcome=failure')
      for (let i = 0; i < 50 && failures.entries.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50))
        failures = await entries('action=user.sign_in&outcome=failure')
      }
      const [failure] = failures.entries
      const [success] = (await entries('action=user.sign_in&outcome=success')).entries
      assert.equal(success?.outcome, 'success')
      assert.equal(success?.actor, 'local:admin')
      assert.equal(success?.details.upstream, 'local')
      assert.ok(success?.sourceIp)
      assert.equal(failure?.outcome, 'failure')
      assert.equal(failure?.actor, 'anonymous')
      assert.equal(failure?.target, 'user:local:admin')
      assert.equal(failure?.details.reason, 'invalid_credentials')
      assert.ok(!JSON.stringify(failure).includes('not-the-password'), 'the typed password is never recorded')
    })

    it('answers 400 with a stable code for bad filters', async (t) => {
      for (const query of ['limit=0', 'limit=5000', 'outcome=maybe', 'since=yesterday', 'cursor=not-a-cursor', 'limit=1&limit=2']) {
        const res = await api(`/api/v1/audit?${query}`)
        assert.equal(res.status, 400, query)
        assert.ok(['validation_error', 'invalid_continuation_token'].includes(((await res.json()) as { code: string }).code), query)
      }
    })
  })
}
