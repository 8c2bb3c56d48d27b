// Sign-in through Microsoft Entra (`kind: microsoft`) on each store backend. Entra itself cannot
// be reached from tests, so a local server implements the parts of its documented contract that
// Gatehouse relies on: multi-tenant discovery at /organizations/v2.0 whose issuer is the template
// `<origin>/{tenantid}/v2.0`, id_tokens whose `iss` names the user's tenant and carry `tid`, `oid`
// and a pairwise `sub`, the "groups overage" form (`_claim_names.groups` + `_claim_sources`
// instead of `groups`), and Microsoft Graph's `GET /v1.0/me/transitiveMemberOf`, paged through
// `@odata.nextLink` and authorized by the user's access token.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import * as oidc from 'openid-client'
import { externalSubject } from '../../src/identity/index.ts'
import { Browser, formAction } from '../support/browser.ts'
import { silentUpstreamOptions } from '../support/upstream.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'

const ISSUER = 'http://localhost:7443'
const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'
const OTHER_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const OID = '00000000-0000-0000-66f3-3332eca7ea81'
const PAIRWISE_SUB = 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ'
/** More groups than an id_token carries: Graph returns them over two pages, with a directory role in between. */
const GRAPH_PAGES = [
  [{ '@odata.type': '#microsoft.graph.group', id: 'g-0001' }, { '@odata.type': '#microsoft.graph.directoryRole', id: 'role-1' }, { '@odata.type': '#microsoft.graph.group', id: 'g-0002' }],
  [{ '@odata.type': '#microsoft.graph.group', id: 'g-0003' }],
]

async function startEntra(gatehouseCallback: string) {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(`${origin}/${TENANT}/v2.0`, {
    clients: [{
      client_id: 'gatehouse-app', client_secret: 'entra-secret', redirect_uris: [gatehouseCallback],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
    }],
    scopes: ['openid', 'email', 'profile', 'User.Read'],
    // Entra puts tid/oid and the groups (or their overage) into the id_token itself.
    conformIdTokenClaims: false,
    claims: { openid: ['sub', 'tid', 'oid', 'groups'], email: ['email'], profile: ['name', 'preferred_username'] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub: PAIRWISE_SUB, tid: TENANT, oid: OID, email: 'megan@contoso.test', name: 'Megan Bowen', preferred_username: 'megan@contoso.test',
        _claim_names: { groups: 'src1' },
        _claim_sources: { src1: { endpoint: `https://graph.windows.net/${TENANT}/users/${OID}/getMemberObjects` } },
      }),
    }),
    ...silentUpstreamOptions,
  })
  const handler = provider.callback()
  const graphCalls: string[] = []

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  async function graph(req: IncomingMessage, res: ServerResponse, url: URL) {
    graphCalls.push(url.pathname + url.search)
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const at = token ? await provider.AccessToken.find(token) : undefined
    if (!at || !at.scope?.split(' ').includes('User.Read')) return json(res, 401, { error: { code: 'InvalidAuthenticationToken' } })
    if (url.pathname !== '/graph/v1.0/me/transitiveMemberOf') return json(res, 404, { error: { code: 'Request_ResourceNotFound' } })
    const page = Number(url.searchParams.get('$skiptoken') ?? '0')
    const next = page + 1 < GRAPH_PAGES.length ? `${origin}/graph/v1.0/me/transitiveMemberOf?$skiptoken=${page + 1}` : undefined
    json(res, 200, { value: GRAPH_PAGES[page], ...(next ? { '@odata.nextLink': next } : {}) })
  }

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', origin)
    const failed = (err: unknown) => { res.statusCode = 500; res.end(String(err)) }
    if (url.pathname === '/organizations/v2.0/.well-known/openid-configuration') {
      // The multi-tenant document: the same endpoints, the issuer as a template.
      void fetch(`${origin}/.well-known/openid-configuration`).then(async (r) => {
        json(res, 200, { ...(await r.json() as object), issuer: `${origin}/{tenantid}/v2.0` })
      }).catch(failed)
      return
    }
    if (url.pathname.startsWith('/graph/')) return void graph(req, res, url).catch(failed)
    if (url.pathname.startsWith('/interaction/')) {
      void provider.interactionDetails(req, res)
        .then(() => provider.interactionFinished(req, res, { login: { accountId: 'megan' } }, { mergeWithLastSubmission: false }))
        .catch(failed)
      return
    }
    handler(req, res)
  })
  return { origin, server, graphCalls }
}

const entra = await startEntra(`${ISSUER}/login/callback`)
after(() => new Promise<void>((resolve) => entra.server.close(() => resolve())))

const upstream = (id: string, name: string, tenants: string[]) => ({
  id, kind: 'microsoft', name, issuer: `${entra.origin}/organizations/v2.0`, clientId: 'gatehouse-app', clientSecret: 'entra-secret',
  tenants, graphUrl: `${entra.origin}/graph`,
})

for (const backend of BACKENDS) {
  describe(`sign-in through Microsoft Entra (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_ISSUER: ISSUER,
      GATEHOUSE_BOOTSTRAP_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_UPSTREAMS: JSON.stringify([
        upstream('contoso', 'Contoso', [TENANT]),
        // The same directory, registered for another organization's tenant only.
        upstream('fabrikam', 'Fabrikam', [OTHER_TENANT]),
      ]),
    })
    let spa: oidc.Configuration
    const toServer = (url: URL) => (url.origin === ISSUER ? new URL(url.pathname + url.search, server.current()!.url) : url)
    const browser = () => new Browser({ base: ISSUER, stopAt: [RP], route: toServer })

    async function signIn(providerId: string) {
      const b = browser()
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const url = oidc.buildAuthorizationUrl(spa, {
        redirect_uri: CALLBACK, scope: 'openid email profile groups', state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      })
      const page = await b.browse(url)
      const done = await b.browse(formAction(page.html, '/upstream'), { method: 'POST', form: { provider: providerId } })
      return { verifier, state, done }
    }

    before(async () => {
      const current = server.current()
      if (!current) return
      await withServerStore(current, (store) => store.oidcClients.upsert({
        clientId: 'spa',
        metadata: {
          redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'],
          token_endpoint_auth_method: 'none', 'urn:gatehouse:first_party': true,
        },
        secretHash: null,
        source: 'api',
      }))
      spa = await oidc.discovery(new URL(ISSUER), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(),
        { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: (url, options) => fetch(toServer(new URL(url)), options as RequestInit) })
    })

    it('signs in a user of an allowed tenant with the groups read from Graph on overage, keyed by oid', async (t) => {
      const current = server.current()
      const before = entra.graphCalls.length
      const { verifier, state, done } = await signIn('contoso')
      assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
      const tokens = await oidc.authorizationCodeGrant(spa, done.location, { pkceCodeVerifier: verifier, expectedState: state })
      const sub = tokens.claims()!.sub
      const tenantIssuer = `${entra.origin}/${TENANT}/v2.0`
      assert.equal(sub, externalSubject(tenantIssuer, OID), 'the subject follows oid in the tenant, not the pairwise sub')
      const info = await oidc.fetchUserInfo(spa, tokens.access_token, sub)
      assert.deepEqual(info.groups, ['g-0001', 'g-0002', 'g-0003'])
      assert.equal(info.email, 'megan@contoso.test')
      assert.deepEqual(entra.graphCalls.slice(before), ['/graph/v1.0/me/transitiveMemberOf?$select=id&$top=999', '/graph/v1.0/me/transitiveMemberOf?$skiptoken=1'])

      const record = await withServerStore(current, (store) => store.userRecords.get(tenantIssuer, OID))
      assert.deepEqual(record?.groups, ['g-0001', 'g-0002', 'g-0003'])
    })

    it('refuses a user whose tenant is not on the allow-list, on a clear page', async (t) => {
      const { done } = await signIn('fabrikam')
      assert.equal(done.location.pathname, '/login/callback')
      assert.equal(done.status, 403)
      assert.match(done.html, /Your Fabrikam organization is not allowed to sign in here/)
    })
  })
}
