// Google Workspace sign-ins restricted to one hosted domain: the upstream leg runs against a
// local OpenID Connect provider standing in for Google (which puts the Workspace domain in the
// id_token's `hd` claim), through the real federation code and a store.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import { Browser } from '../../../test/support/browser.ts'
import { serveSignedIn } from '../../../test/support/upstream.ts'
import { loadConfig } from '../../config/index.ts'
import type { Store } from '../../store/index.ts'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import { createFederation, type Federation } from './federation.ts'
import { resolveUpstreams } from './providers.ts'

const GATEHOUSE = 'http://gatehouse.test'

describe('google hostedDomain', () => {
  let store: Store
  let server: Server
  let issuer: string
  /** The `hd` the stand-in puts into the next id_token. */
  let hd: string | undefined

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'gh', client_secret: 'google-secret', redirect_uris: [`${GATEHOUSE}/login/callback`], token_endpoint_auth_method: 'client_secret_post' }],
      conformIdTokenClaims: false,
      claims: { openid: ['sub', 'hd'], email: ['email', 'email_verified'] },
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@example.com`, email_verified: true, ...(hd ? { hd } : {}) }) }),
      features: { devInteractions: { enabled: false }, userinfo: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      loadExistingGrant: async (ctx) => {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! })
        grant.addOIDCScope('openid email')
        await grant.save()
        return grant
      },
    })
    serveSignedIn(server, provider)
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await store.close()
  })

  function federation(hostedDomain: string): Federation {
    const upstreams = loadConfig({ env: { GATEHOUSE_UPSTREAMS: JSON.stringify([{ id: 'g', kind: 'google', issuer, clientId: 'gh', clientSecret: 'google-secret', hostedDomain }]) } }).config.upstreams
    return createFederation({ issuer: GATEHOUSE, providers: resolveUpstreams(upstreams), oidc: store.oidc, userRecords: store.userRecords, accountTtlSeconds: 600 })
  }

  /** Runs the upstream leg and returns what Gatehouse's callback makes of it. */
  async function signIn(fed: Federation) {
    const start = new URL(await fed.begin({ uid: 'interaction-1', providerId: 'g' }))
    const landed = await new Browser({ base: issuer, stopAt: [GATEHOUSE] }).browse(start)
    assert.equal(landed.location.origin, GATEHOUSE, `${landed.status} ${landed.html}`)
    return { start, result: await fed.complete(landed.location) }
  }

  it('asks Google for the domain and accepts an id_token from it', async () => {
    hd = 'example.com'
    const { start, result } = await signIn(federation('Example.com'))
    assert.equal(start.searchParams.get('hd'), 'example.com')
    assert.equal(result.ok, true)
  })

  it('refuses an id_token from another domain, or from a consumer account without hd', async () => {
    for (const other of ['elsewhere.com', undefined]) {
      hd = other
      const { result } = await signIn(federation('example.com'))
      assert.equal(result.ok, false)
      assert.ok(!result.ok && result.status === 403 && /Only example.com accounts may sign in/.test(result.message), JSON.stringify(result))
    }
  })

  it('refuses hostedDomain on a provider that is not google', () => {
    assert.throws(() => loadConfig({ env: { GATEHOUSE_UPSTREAMS: JSON.stringify([{ id: 'x', kind: 'oidc', issuer, clientId: 'a', clientSecret: 's', hostedDomain: 'example.com' }]) } }),
      /hostedDomain is for kind google only/)
  })
})
