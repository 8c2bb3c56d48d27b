// Tenancy at sign-in, end to end on each store backend: a plain oidc-provider in this process
// plays the company IdP (its users' groups change between sign-ins), Gatehouse runs as a server
// process with tenancy seeded behind its back, and openid-client is the relying party. Covers the
// organization claim, group sync with its audit trail, refusal of users in no organization
// (upstream and local), the bootstrap admin, routing by an organization's email domain, and the
// forward-auth organization header.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import * as oidc from 'openid-client'
import { createLocalAccounts } from '../../src/identity/index.ts'
import { localSubject } from '../../src/lib/index.ts'
import { createTenancy, SYSTEM_PRINCIPAL } from '../../src/tenancy/index.ts'
import { Browser, formAction, type Page } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'
import { companyIdpOptions, listenLoopback, serveSignedIn, spaClient } from '../support/upstream.ts'

const ISSUER = 'http://localhost:7451'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const NAMESPACE = 'https://gatehouse.dev/claims'
const PASSWORD = 'correct horse battery staple'
const KEY = 'tenancy-signin-preshared-key-0123456789'

/** The company IdP's users (by the login_hint Gatehouse forwards) and their groups right now. */
const USERS: Record<string, string> = { 'pat@acme.test': 'pat', 'nobody@elsewhere.test': 'nobody' }
const groups: Record<string, string[]> = {}

async function startUpstream(gatehouseCallback: string): Promise<{ issuer: string; server: Server }> {
  const { server, issuer } = await listenLoopback()
  const provider = new Provider(issuer, companyIdpOptions(gatehouseCallback, async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: sub, groups: groups[sub] ?? [] }),
  })))
  serveSignedIn(server, provider, (details) => USERS[String(details.params.login_hint)] ?? 'pat')
  return { issuer, server }
}

const upstream = await startUpstream(`${ISSUER}/login/callback`)
after(() => new Promise<void>((resolve) => upstream.server.close(() => resolve())))

for (const backend of BACKENDS) {
  describe(`tenancy at sign-in (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_ISSUER: ISSUER,
      GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD,
      GATEHOUSE_PRESHARED_KEYS: KEY,
      // No configured domains: acme.test reaches corp only through the organization.
      GATEHOUSE_UPSTREAMS: JSON.stringify([{
        id: 'corp', kind: 'oidc', name: 'Acme IdP', issuer: upstream.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
        scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups',
      }]),
    })
    const ids: Record<string, string> = {}
    let spa: oidc.Configuration
    const toServer = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current()!.url) : url)
    const rpFetch: oidc.CustomFetch = (url, options) => fetch(toServer(new URL(url)), options as RequestInit)
    const browser = (stopAt = [RP]) => new Browser({ base: ISSUER, stopAt, route: toServer })
    const api = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, server.current()!.url), { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...init.headers } })

    async function startLogin(b: Browser, extra: Record<string, string> = {}) {
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const url = oidc.buildAuthorizationUrl(spa, {
        redirect_uri: CALLBACK, scope: 'openid email profile groups', state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      })
      return { verifier, state, page: await b.browse(url) }
    }

    /** The namespaced claim in userinfo after the relying party redeems the code it got. */
    async function claimAfter(flow: { verifier: string; state: string }, done: Page) {
      assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
      const tokens = await oidc.authorizationCodeGrant(spa, done.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state })
      const sub = tokens.claims()!.sub
      return { sub, tokens, claim: (await oidc.fetchUserInfo(spa, tokens.access_token, sub))[NAMESPACE] }
    }

    const upstreamSignIn = async (email: string, extra: Record<string, string> = {}) => {
      const b = browser()
      const flow = await startLogin(b)
      return { flow, done: await b.browse(formAction(flow.page.html, '/upstream'), { method: 'POST', form: { email, ...extra } }) }
    }

    const localSignIn = async (username: string) => {
      const b = browser()
      const flow = await startLogin(b)
      return { flow, done: await b.browse(formAction(flow.page.html, '/login'), { method: 'POST', form: { username, password: PASSWORD } }) }
    }

    before(async () => {
      const current = server.current()
      if (!current) return
      await withServerStore(current, async (store) => {
        await store.oidcClients.upsert(spaClient(CALLBACK))
        await createLocalAccounts({ repo: store.localAccounts }).create({ username: 'carol', password: PASSWORD })
        const tenancy = createTenancy({ store, upstreamIds: () => new Set(['corp']) })
        await tenancy.start(false)
        const sys = { actor: SYSTEM_PRINCIPAL }
        ids.acme = (await tenancy.organizations.create(sys, { name: 'acme', domains: ['acme.test'], upstreams: ['corp'] })).id
        ids.platform = (await tenancy.groups.create(sys, 'acme', { name: 'platform', upstreamGroups: ['corp:platform-engineers'] })).id
        ids.staff = (await tenancy.groups.create(sys, 'acme', { name: 'staff', upstreamGroups: ['corp:everyone'] })).id
        tenancy.stop()
      })
      spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(),
        { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: rpFetch })
      // The server learns of the organization by notification or its poll: wait until its email
      // step routes acme.test (one request, not followed, so nobody signs in yet).
      for (let i = 0; ; i++) {
        const b = browser()
        const { page } = await startLogin(b)
        const res = await b.request(formAction(page.html, '/upstream'), { method: 'POST', form: { email: 'probe@acme.test' } })
        if (res.status === 303 && new URL(res.headers.get('location')!).origin === upstream.issuer) break
        assert.ok(i < 50, `acme.test is still not routed: ${res.status}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    })

    it('signs pat in through the organization\'s domain; the claim lists acme with the groups named corp:<group>', async (t) => {
      groups.pat = ['platform-engineers', 'everyone']
      const { flow, done } = await upstreamSignIn('pat@acme.test')
      const { claim, sub } = await claimAfter(flow, done)
      ids.pat = sub
      assert.deepEqual(claim, { acctype: 'user', organizations: [{ id: ids.acme, name: 'acme', groups: [ids.platform, ids.staff].sort() }] })
    })

    it('drops the group when the upstream does, at the next sign-in, and audits both syncs', async (t) => {
      groups.pat = ['everyone']
      // An email login_hint of the organization's domain skips the login page.
      const b = browser()
      const flow = await startLogin(b, { login_hint: 'pat@acme.test' })
      const { claim, sub } = await claimAfter(flow, flow.page)
      assert.equal(sub, ids.pat)
      assert.deepEqual(claim, { acctype: 'user', organizations: [{ id: ids.acme, name: 'acme', groups: [ids.staff] }] })

      const res = await api(`/api/v1/audit?action=membership.sync&target=${encodeURIComponent(`user:${ids.pat}`)}`)
      assert.equal(res.status, 200)
      const { entries } = (await res.json()) as { entries: Array<{ actor: string; details: unknown }> }
      assert.deepEqual(entries.map((e) => [e.actor, e.details]), [
        [ids.pat, { added: [], removed: ['corp:platform-engineers'] }],
        [ids.pat, { added: ['corp:everyone', 'corp:platform-engineers'], removed: [] }],
      ])
    })

    it('refuses a user in no organization with a page at Gatehouse, and gives the client nothing', async (t) => {
      groups.nobody = ['contractors']
      const { done } = await upstreamSignIn('nobody@elsewhere.test', { provider: 'corp' })
      assert.equal(done.location.origin, ISSUER)
      assert.equal(done.location.pathname, '/login/callback')
      assert.equal(done.status, 403)
      assert.match(done.html, /<h1>No organization<\/h1>/)
      assert.match(done.html, /not a member of any organization on this platform/)

      const local = await localSignIn('carol')
      assert.equal(local.done.location.origin, ISSUER)
      assert.equal(local.done.status, 403)
      assert.match(local.done.html, /<h1>No organization<\/h1>/)

      // Both refusals are in the audit log, with the provider they came through and why.
      const res = await api('/api/v1/audit?action=user.sign_in&outcome=denied')
      const { entries } = (await res.json()) as { entries: Array<{ actor: string; details: Record<string, unknown> }> }
      assert.deepEqual(entries.map((e) => [e.actor, e.details.upstream, e.details.reason]), [
        ['local:carol', 'local', 'no_organization'],
        [entries[1]!.actor, 'corp', 'no_organization'],
      ])
      assert.match(entries[1]!.actor, /^ext:/)
    })

    it('still signs the bootstrap admin in: it holds the platform-administrator binding', async (t) => {
      const current = server.current()
      const { flow, done } = await localSignIn('admin')
      const { claim } = await claimAfter(flow, done)
      assert.deepEqual(claim, { acctype: 'user' })
      const binding = await withServerStore(current, async (store) => {
        const tenancy = createTenancy({ store })
        await tenancy.core.reload()
        return tenancy.core.state.bindingBySubject.get(localSubject('admin'))
      })
      assert.equal(binding?.source, 'builtin')
    })

    it('fills the forward-auth organization header from the claim', async (t) => {
      const created = await api('/api/v1/forward-auth/applications', { method: 'POST', body: JSON.stringify({ id: 'wiki', hosts: ['localhost'], headers: { organization: 'Remote-Organization' } }) })
      assert.equal(created.status, 201, await created.text())
      const b = browser([])
      const login = await b.browse(`/api/forward-auth/login?rd=${encodeURIComponent(`${ISSUER}/`)}`)
      const home = await b.browse(formAction(login.html, '/upstream'), { method: 'POST', form: { email: 'pat@acme.test' } })
      assert.match(home.html, /Signed in as/)
      const answer = await fetch(new URL('/api/forward-auth/caddy', server.current()!.url), {
        headers: { cookie: b.jar.header(new URL(`${ISSUER}/`)), 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost', 'x-forwarded-uri': '/' },
      })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('remote-organization'), 'acme')
    })
  })
}
