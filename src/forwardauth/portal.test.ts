import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createApplicationService } from './applications.ts'
import { createLoginFlow } from './login-flow.ts'
import { createLiveRegistry } from './registry.ts'
import { createSessionStore, SESSION_CACHE_MS } from './sessions.ts'

const anne = { subject: 'ext:anne', accountType: 'user' as const, username: 'anne', groups: ['eng'] }
let store: Store
before(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
})
after(() => store.close())

describe('portal sessions', () => {
  it('finds a session by its token only, and never stores the token itself', async () => {
    const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 600, maxSeconds: 3600 })
    const { token } = await sessions.create(anne)
    assert.equal((await sessions.get(token))?.identity.username, 'anne')
    assert.equal(await store.oidc.find('ForwardAuthSession', token), undefined)
    assert.ok(await store.oidc.find('ForwardAuthSession', createHash('sha256').update(token).digest('base64url')))
    assert.equal(await sessions.get(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined)
    assert.equal(await sessions.get('not a token'), undefined)
  })

  it('lists a subject\'s live sessions, marks the caller\'s own, and signs out everywhere', async () => {
    const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 600, maxSeconds: 3600 })
    const carol = { ...anne, subject: 'ext:carol', username: 'carol' }
    const laptop = await sessions.create(carol, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0' })
    const phone = await sessions.create(carol, { userAgent: 'Mozilla/5.0 (iPhone) Safari/605.1' })
    const other = await sessions.create({ ...anne, subject: 'ext:dan' })
    const listed = await sessions.list('ext:carol', phone.token)
    assert.deepEqual(listed.map((s) => [s.userAgent?.includes('iPhone'), s.current]), [[true, true], [false, false]])
    await sessions.destroy(laptop.token)
    assert.equal((await sessions.list('ext:carol')).length, 1, 'an ended session is not listed')
    assert.equal(await sessions.destroyAll('ext:carol'), 1)
    assert.equal(await sessions.get(phone.token), undefined)
    assert.deepEqual(await sessions.list('ext:carol'), [])
    assert.ok(await sessions.get(other.token), 'another subject keeps its session')
  })

  it('ends after the idle time without requests, and keeps going while used', async () => {
    let now = 1_000_000
    const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 300, maxSeconds: 86_400, now: () => now })
    const { token } = await sessions.create(anne)
    for (let i = 0; i < 5; i++) {
      now += 200_000
      assert.ok(await sessions.get(token), `still live after ${i + 1} requests 200 s apart`)
    }
    now += 301_000
    assert.equal(await sessions.get(token), undefined)
  })

  it('ends at the absolute lifetime however active', async () => {
    let now = 2_000_000
    const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 600, maxSeconds: 900, now: () => now })
    const { token } = await sessions.create(anne)
    now += 500_000
    assert.ok(await sessions.get(token))
    now += 401_000
    assert.equal(await sessions.get(token), undefined)
  })

  it('a session destroyed by one process is refused by another once its cache ages out', async () => {
    let now = 3_000_000
    const a = createSessionStore({ repo: store.oidc, idleSeconds: 600, maxSeconds: 3600, now: () => now })
    const b = createSessionStore({ repo: store.oidc, idleSeconds: 600, maxSeconds: 3600, now: () => now })
    const { token } = await a.create(anne)
    assert.ok(await b.get(token))
    await a.destroy(token)
    assert.equal(await a.get(token), undefined)
    now += SESSION_CACHE_MS
    assert.equal(await b.get(token), undefined)
  })
})

describe('portal sessions: ending them', () => {
  it('stays ended when another replica writes the idle clock after the sign-out', async () => {
    let now = 5_000_000
    const a = createSessionStore({ repo: store.oidc, idleSeconds: 3600, maxSeconds: 86_400, now: () => now })
    const b = createSessionStore({ repo: store.oidc, idleSeconds: 3600, maxSeconds: 86_400, now: () => now })
    const { token } = await a.create(anne)
    now += 61_000
    assert.ok(await a.get(token))
    await b.destroy(token)
    now += 61_000
    // A's cached copy is due an idle-clock write: it must not bring the row back to life.
    await a.get(token)
    now += SESSION_CACHE_MS
    assert.equal(await a.get(token), undefined)
    assert.equal(await b.get(token), undefined)
  })

  it('ends the sessions of an account that is no longer valid (disabled) at the next store read', async () => {
    let now = 6_000_000
    let valid = true
    const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 3600, maxSeconds: 86_400, now: () => now, stillValid: async () => valid })
    const { token } = await sessions.create(anne)
    now += SESSION_CACHE_MS
    assert.ok(await sessions.get(token))
    valid = false
    now += SESSION_CACHE_MS
    assert.equal(await sessions.get(token), undefined)
  })

  it("lists a subject's sessions by id, never by token, and an administrator ends one", async () => {
    let now = 8_000_000
    const a = createSessionStore({ repo: store.oidc, idleSeconds: 3600, maxSeconds: 86_400, now: () => now })
    const b = createSessionStore({ repo: store.oidc, idleSeconds: 3600, maxSeconds: 86_400, now: () => now })
    const subject = 'local:listed'
    const first = await a.create({ ...anne, subject })
    now += 1000
    const second = await a.create({ ...anne, subject })
    const listed = await a.listFor(subject)
    assert.equal(listed.length, 2)
    for (const s of listed) assert.ok(s.id !== first.token && s.id !== second.token, 'an id is not a usable cookie')
    assert.deepEqual(await a.listFor('local:nobody'), [])
    assert.ok(await b.get(first.token), 'replica b has it cached')
    const id = listed.find((s) => s.createdAt === first.session.createdAt)!.id
    assert.equal(await a.revoke('local:someone-else', id), false, 'only through its owner')
    assert.equal(await a.revoke(subject, 'not-an-id'), false)
    assert.equal(await a.revoke(subject, id), true)
    assert.equal(await a.get(first.token), undefined, 'refused at once where it was ended')
    assert.ok(await a.get(second.token), 'the other session lives on')
    now += SESSION_CACHE_MS
    assert.equal(await b.get(first.token), undefined, 'and on other replicas once their cache ages out')
    assert.deepEqual((await a.listFor(subject)).map((s) => s.createdAt), [second.session.createdAt])
    assert.equal(await a.revoke(subject, id), false, 'ended once')
  })

  it('keeps a session with a short idle time alive while it is used', async () => {
    let now = 7_000_000
    const sessions = createSessionStore({ repo: store.oidc, idleSeconds: 60, maxSeconds: 86_400, now: () => now })
    const { token } = await sessions.create(anne)
    for (let i = 0; i < 6; i++) {
      now += 50_000
      assert.ok(await sessions.get(token), `alive after ${(i + 1) * 50} s of requests every 50 s`)
    }
  })
})

describe('portal sign-in flow', () => {
  const policy = async () => ({ isApplicationHost: (h: string) => h === 'app.other.test', cookieDomain: 'example.test' })
  const flow = (redeem: (code: string, redirectUri: string, verifier: string) => Promise<typeof anne | undefined> = async () => anne) => createLoginFlow({
    issuer: 'https://id.example.test', clientId: 'portal', callbackPath: '/cb', repo: store.oidc,
    sessions: createSessionStore({ repo: store.oidc, idleSeconds: 600, maxSeconds: 3600 }),
    redeem, returnPolicy: policy,
  })

  it('starts a code + PKCE request at the own provider and returns to the original URL with a session', async () => {
    let seen: string[] = []
    const f = flow(async (code, redirectUri, verifier) => {
      seen = [code, redirectUri, verifier]
      return anne
    })
    const start = await f.start('https://app.example.test/dash?x=1')
    const auth = new URL(start.location)
    assert.equal(auth.origin + auth.pathname, 'https://id.example.test/auth')
    assert.equal(auth.searchParams.get('client_id'), 'portal')
    assert.equal(auth.searchParams.get('redirect_uri'), 'https://id.example.test/cb')
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256')
    assert.equal(auth.searchParams.get('state'), start.state)
    const done = await f.finish({ code: 'c1', state: start.state }, start.state)
    assert.equal(done.location, 'https://app.example.test/dash?x=1')
    assert.equal(done.session.identity.username, 'anne')
    assert.equal(seen[0], 'c1')
    assert.equal(seen[1], 'https://id.example.test/cb')
    assert.equal(createHash('sha256').update(seen[2]!).digest('base64url'), auth.searchParams.get('code_challenge'))
  })

  for (const bad of ['//evil.test/x', 'https://evil.test/', '\\\\evil.test', 'https:%2F%2Fevil.test', 'https://app.example.test@evil.test/', 'javascript:alert(1)', '/relative']) {
    it(`refuses to return to ${bad}`, async () => {
      await assert.rejects(flow().start(bad), { code: 'forwardauth_bad_return_url', status: 400 })
    })
  }

  it('returns to a registered application host outside the cookie domain', async () => {
    const start = await flow().start('https://app.other.test/')
    assert.ok(start.location.startsWith('https://id.example.test/auth?'))
  })

  it('refuses a callback without the state cookie, with another state, or replayed', async () => {
    const f = flow()
    const start = await f.start('https://app.example.test/')
    await assert.rejects(f.finish({ code: 'c', state: start.state }, undefined), { code: 'forwardauth_bad_state' })
    await assert.rejects(f.finish({ code: 'c', state: start.state }, 'other'), { code: 'forwardauth_bad_state' })
    await f.finish({ code: 'c', state: start.state }, start.state)
    await assert.rejects(f.finish({ code: 'c', state: start.state }, start.state), { code: 'forwardauth_bad_state' })
  })

  it('refuses a code the provider does not accept, and reports a cancelled sign-in', async () => {
    const f = flow(async () => undefined)
    const one = await f.start('https://app.example.test/')
    await assert.rejects(f.finish({ code: 'c', state: one.state }, one.state), { code: 'forwardauth_bad_code' })
    const two = await f.start('https://app.example.test/')
    await assert.rejects(f.finish({ error: 'access_denied', state: two.state }, two.state), { code: 'forwardauth_bad_code', message: /cancelled/ })
  })
})

describe('applications service and live registry', () => {
  it('validates, refuses a host claimed twice, and every registry sees changes after a refresh', async () => {
    let now = 0
    const registry = createLiveRegistry({ source: store.forwardAuthApps, now: () => now })
    const other = createLiveRegistry({ source: store.forwardAuthApps, now: () => now })
    const apps = createApplicationService({ repo: store.forwardAuthApps, onChange: () => registry.invalidate() })
    await apps.create({ id: 'grafana', hosts: ['grafana.example.test'] }, 'api')
    assert.equal((await registry.current()).find('grafana.example.test')?.id, 'grafana')
    assert.equal((await other.current()).find('grafana.example.test')?.id, 'grafana')
    await assert.rejects(apps.create({ id: 'grafana2', hosts: ['grafana.example.test'] }, 'api'), { code: 'forwardauth_host_taken', status: 409 })
    await assert.rejects(apps.create({ id: 'grafana', hosts: ['g.example.test'] }, 'api'), { code: 'forwardauth_application_exists', status: 409 })
    await assert.rejects(apps.create({ id: 'Bad Id', hosts: ['x.example.test'] }, 'api'), { code: 'forwardauth_invalid_application', status: 400 })
    await apps.delete('grafana')
    assert.equal((await registry.current()).find('grafana.example.test'), undefined)
    assert.ok((await other.current()).find('grafana.example.test'), 'the other process keeps its copy until the refresh interval')
    now += 2_000
    assert.equal((await other.current()).find('grafana.example.test'), undefined)
    await assert.rejects(apps.delete('grafana'), { code: 'forwardauth_application_not_found', status: 404 })
  })

  it('applies a declared set idempotently and removes what the file no longer declares', async () => {
    const apps = createApplicationService({ repo: store.forwardAuthApps })
    const one = { id: 'wiki', hosts: ['wiki.example.test'] }
    const two = { id: 'ci', hosts: ['ci.example.test'], policy: { groups: { anyOf: ['eng'] } } }
    assert.deepEqual(await apps.sync([one, two], 'bootstrap'), { created: 2, updated: 0, deleted: 0, unchanged: 0 })
    assert.deepEqual(await apps.sync([one, two], 'bootstrap'), { created: 0, updated: 0, deleted: 0, unchanged: 2 })
    await apps.create({ id: 'manual', hosts: ['manual.example.test'] }, 'api')
    assert.deepEqual(await apps.sync([{ ...one, skipPaths: ['^/health'] }], 'bootstrap'), { created: 0, updated: 1, deleted: 1, unchanged: 0 })
    assert.deepEqual((await apps.list()).applications.map((a) => a.id).sort(), ['manual', 'wiki'])
    await assert.rejects(apps.sync([one, { ...two, hosts: ['wiki.example.test'] }], 'bootstrap'), { status: 400 })
  })
})

describe('live registry with a stored set that no longer compiles', () => {
  it('serves every application that still fits, the first by id keeping a contested host', async () => {
    const errors: unknown[] = []
    const rows = [
      { spec: { id: 'a-first', hosts: ['shared.example.test'] } },
      { spec: { id: 'b-second', hosts: ['shared.example.test', 'b.example.test'] } },
      { spec: { id: 'c-third', hosts: ['c.example.test'] } },
    ]
    const registry = createLiveRegistry({ source: { list: async () => rows, revision: async () => '1' }, onError: (e) => errors.push(e) })
    const current = await registry.current()
    assert.equal(current.find('shared.example.test')?.id, 'a-first')
    assert.equal(current.find('b.example.test'), undefined)
    assert.equal(current.find('c.example.test')?.id, 'c-third')
    assert.equal(errors.length, 1)
  })
})

describe('applications service: what it refuses', () => {
  it('keeps bootstrap-file applications out of reach of the API and CLI, and refuses doubtful hosts', async () => {
    const apps = createApplicationService({ repo: store.forwardAuthApps })
    await apps.sync([{ id: 'filed', hosts: ['filed.example.test'] }], 'bootstrap')
    await assert.rejects(apps.put('filed', { hosts: ['filed.example.test'], skipPaths: ['^/'] }, 'api'), { code: 'forwardauth_application_managed_by_bootstrap', status: 409 })
    await assert.rejects(apps.delete('filed'), { code: 'forwardauth_application_managed_by_bootstrap', status: 409 })
    await assert.rejects(apps.create({ id: 'twice', hosts: ['t.example.test', 't.example.test'] }, 'api'), { code: 'forwardauth_invalid_application', status: 400 })
    await assert.rejects(apps.create({ id: 'tld', hosts: ['*.com'] }, 'api'), { code: 'forwardauth_invalid_application', status: 400 })
    await assert.rejects(apps.create({ id: 'hdr', hosts: ['h.example.test'], headers: { user: 'Cache-Control' } }, 'api'), { code: 'forwardauth_invalid_application', status: 400 })
    assert.equal((await apps.create({ id: 'wild', hosts: ['*.apps.example.test'] }, 'api')).id, 'wild')
  })
})
