// Sign-in federated to an upstream OpenID Connect provider, with real HTTP end to end on each
// store backend: a plain oidc-provider in this process plays the company IdP (it signs in a
// test user with groups), Gatehouse runs as a server process with it configured for the domain
// example.test, and openid-client is the relying party against Gatehouse.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import * as oidc from 'openid-client'
import { Browser, formAction } from '../support/browser.ts'
import { companyIdpOptions, listenLoopback, spaClient } from '../support/upstream.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'

const ISSUER = 'http://localhost:7443'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const NAMESPACE = 'https://gatehouse.dev/claims'
const UPSTREAM_SUB = 'anne-0001'

/** What the company IdP answers, chosen by the login_hint Gatehouse forwards. */
const UPSTREAM_ANSWERS: Record<string, { error: string; error_description: string }> = {
  'deny@example.test': { error: 'access_denied', error_description: 'the user declined' },
  'broken@example.test': { error: 'temporarily_unavailable', error_description: 'down for maintenance' },
}

/** The company IdP: signs in anne without asking and consents to whatever is requested. */
async function startUpstream(gatehouseCallback: string): Promise<{ issuer: string; server: Server }> {
  const { server, issuer } = await listenLoopback()
  const provider = new Provider(issuer, companyIdpOptions(gatehouseCallback, async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: 'anne@example.test', email_verified: true, name: 'Anne Example', preferred_username: 'anne', groups: ['eng', 'ops'] }),
  })))
  const handler = provider.callback()
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void provider.interactionDetails(req, res)
        .then((details) => provider.interactionFinished(req, res,
          UPSTREAM_ANSWERS[String(details.params.login_hint)] ?? { login: { accountId: UPSTREAM_SUB } }, { mergeWithLastSubmission: false }))
        .catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
      return
    }
    handler(req, res)
  })
  return { issuer, server }
}

const upstream = await startUpstream(`${ISSUER}/login/callback`)
after(() => new Promise<void>((resolve) => upstream.server.close(() => resolve())))

for (const backend of BACKENDS) {
  describe(`sign-in federated to an upstream OpenID Connect provider (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_ISSUER: ISSUER,
      GATEHOUSE_BOOTSTRAP_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_UPSTREAMS: JSON.stringify([{
        id: 'corp', kind: 'oidc', name: 'Example Corp', issuer: upstream.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
        scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups', domains: ['example.test'],
      }]),
    })
    let spa: oidc.Configuration
    const toServer = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current()!.url) : url)
    const rpFetch: oidc.CustomFetch = (url, options) => fetch(toServer(new URL(url)), options as RequestInit)
    const browser = () => new Browser({ base: ISSUER, stopAt: [RP], route: toServer })

    async function startLogin(b: Browser, extra: Record<string, string> = {}) {
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const nonce = oidc.randomNonce()
      const url = oidc.buildAuthorizationUrl(spa, {
        redirect_uri: CALLBACK, scope: 'openid email profile groups', state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      })
      return { verifier, state, nonce, page: await b.browse(url) }
    }

    before(async () => {
      const current = server.current()
      if (!current) return
      await withServerStore(current, (store) => store.oidcClients.upsert(spaClient(CALLBACK)))
      spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(),
        { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: rpFetch })
    })

    it('reports the upstream answering discovery, for the console\'s overview', async () => {
      const res = await fetch(new URL('/api/v1/upstreams/corp/health', server.current()!.url))
      assert.equal(res.status, 200)
      const health = (await res.json()) as { ok: boolean; checkedAt: string }
      assert.equal(health.ok, true)
      const unknown = await fetch(new URL('/api/v1/upstreams/nope/health', server.current()!.url))
      assert.equal(unknown.status, 404)
      assert.equal(((await unknown.json()) as { code: string }).code, 'upstream_not_found')
    })

    it('lists the upstream provider on the login page next to an email field', async (t) => {
      const { page } = await startLogin(browser())
      assert.equal(page.status, 200)
      assert.match(page.html, /<label for="email">/)
      assert.match(page.html, /Sign in with Example Corp/)
    })

    it('routes anne@example.test to the upstream and back, with upstream groups and email in the tokens', async (t) => {
      const current = server.current()
      const b = browser()
      const flow = await startLogin(b)
      const done = await b.browse(formAction(flow.page.html, '/upstream'), { method: 'POST', form: { email: 'anne@example.test' } })
      assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
      const tokens = await oidc.authorizationCodeGrant(spa, done.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })
      const claims = tokens.claims()!
      assert.equal(claims.iss, ISSUER)
      assert.match(claims.sub, /^ext:[A-Za-z0-9_-]{43}$/)
      const info = await oidc.fetchUserInfo(spa, tokens.access_token, claims.sub)
      assert.equal(info.email, 'anne@example.test')
      assert.equal(info.email_verified, true)
      assert.equal(info.name, 'Anne Example')
      assert.equal(info.preferred_username, 'anne')
      assert.deepEqual(info.groups, ['eng', 'ops'])
      assert.deepEqual(info[NAMESPACE], { acctype: 'user' })

      // The login is kept for audit under the upstream's own issuer and subject.
      const record = await withServerStore(current, (store) => store.userRecords.get(upstream.issuer, UPSTREAM_SUB))
      assert.equal(record?.email, 'anne@example.test')
      assert.deepEqual(record?.groups, ['eng', 'ops'])

      // The subject is stable per (upstream issuer, upstream sub): a second sign-in gets the same one.
      const b2 = browser()
      const again = await startLogin(b2)
      const back = await b2.browse(formAction(again.page.html, '/upstream'), { method: 'POST', form: { provider: 'corp' } })
      assert.equal(back.location.origin, RP, `${back.status} ${back.html}`)
      const second = await oidc.authorizationCodeGrant(spa, back.location, { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce })
      assert.equal(second.claims()!.sub, claims.sub)
    })

    it('skips the login page when login_hint is an email of a routed domain, and shows it otherwise', async (t) => {
      const b = browser()
      const flow = await startLogin(b, { login_hint: 'anne@example.test' })
      assert.equal(flow.page.location.origin, RP, `${flow.page.status} ${flow.page.html}`)
      const tokens = await oidc.authorizationCodeGrant(spa, flow.page.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })
      assert.match(tokens.claims()!.sub, /^ext:/)
      const other = await startLogin(browser(), { login_hint: 'someone@unknown.test' })
      assert.equal(other.page.status, 200)
      assert.match(other.page.html, /value="someone@unknown.test"/)
    })

    it('goes straight to the upstream named by the upstream parameter, and ignores an unknown one', async () => {
      const flow = await startLogin(browser(), { upstream: 'corp' })
      assert.equal(flow.page.location.origin, RP, `${flow.page.status} ${flow.page.html}`)
      const tokens = await oidc.authorizationCodeGrant(spa, flow.page.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })
      const sub = tokens.claims()!.sub
      assert.match(sub, /^ext:/)
      const unknown = await startLogin(browser(), { upstream: 'nope' })
      assert.equal(unknown.page.status, 200)
      assert.match(unknown.page.html, /Sign in with Example Corp/)
      // The people admin API lists who signed in upstream, under the subject Gatehouse issued.
      const people = (await (await fetch(new URL('/api/v1/people', server.current()!.url))).json()) as { items: Array<{ subject: string; issuer: string }> }
      assert.ok(people.items.some((p) => p.subject === sub && p.issuer === upstream.issuer), JSON.stringify(people))
    })

    it('an upstream access_denied reaches the client as access_denied with its state', async (t) => {
      const b = browser()
      const flow = await startLogin(b)
      const res = await b.browse(formAction(flow.page.html, '/upstream'), { method: 'POST', form: { email: 'deny@example.test' } })
      assert.equal(res.location.origin, RP, `${res.status} ${res.html}`)
      assert.equal(res.location.searchParams.get('state'), flow.state)
      await assert.rejects(
        oidc.authorizationCodeGrant(spa, res.location, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }),
        (err: unknown) => err instanceof oidc.AuthorizationResponseError && err.error === 'access_denied',
      )
    })

    it('another upstream error ends on a clear page at Gatehouse', async (t) => {
      const b = browser()
      const flow = await startLogin(b)
      const res = await b.browse(formAction(flow.page.html, '/upstream'), { method: 'POST', form: { email: 'broken@example.test' } })
      assert.equal(res.location.pathname, '/login/callback')
      assert.equal(res.status, 400)
      assert.match(res.html, /Example Corp could not complete the sign-in \(temporarily_unavailable\)/)
    })

    it('refuses an email domain no provider is set up for, on the login page', async (t) => {
      const b = browser()
      const flow = await startLogin(b)
      const res = await b.browse(formAction(flow.page.html, '/upstream'), { method: 'POST', form: { email: 'bob@elsewhere.test' } })
      assert.equal(res.status, 400)
      assert.match(res.html, /No identity provider is set up for this email domain/)
    })

    it('refuses a bad or replayed state on /login/callback with a clear page', async (t) => {
      const bad = await browser().browse(`${ISSUER}/login/callback?code=x&state=not-a-state`)
      assert.equal(bad.status, 400)
      assert.match(bad.html, /Sign-in expired/)
      assert.doesNotMatch(bad.html, /at .*\.ts:\d+/)

      // Capture the upstream's redirect to Gatehouse, use it once, then replay it.
      const b = browser()
      const flow = await startLogin(b)
      let target = new URL(formAction(flow.page.html, '/upstream'), ISSUER)
      let res = await b.request(target, { method: 'POST', form: { email: 'anne@example.test' } })
      for (let hops = 0; hops < 10 && new URL(res.headers.get('location')!, target).pathname !== '/login/callback'; hops++) {
        target = new URL(res.headers.get('location')!, target)
        res = await b.request(target)
      }
      const callback = new URL(res.headers.get('location')!, target)
      assert.equal(callback.pathname, '/login/callback')
      const first = await b.browse(callback)
      assert.equal(first.location.origin, RP, `${first.status} ${first.html}`)
      const replay = await b.browse(callback)
      assert.equal(replay.status, 400)
      assert.match(replay.html, /Sign-in expired/)
    })
  })
}
