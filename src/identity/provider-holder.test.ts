// The provider holder on a private SQLite store, served by node:http through its delegating
// handler: a key change made behind its back (as the CLI or another replica would) reaches the
// endpoints after a refresh, tokens signed before stay verifiable, and a failed refresh keeps
// the server answering with the keys it had.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { openSqliteStore } from '../store/sqlite/index.ts'
import type { Store } from '../store/index.ts'
import { createSigningKeys, type SigningKeys } from './keys.ts'
import { createOidcProvider } from './provider.ts'
import { createProviderHolder, type ProviderHolder } from './provider-holder.ts'
import { GENERATED_SECRET_PARAMS, hashSecret } from './secrets.ts'

const SECRET = 'holder-test-secret-0123456789abcdefghij'
const API = 'https://api.example.com'
const CLIENT_SECRET = 'svc-secret-0123456789'

describe('provider holder', () => {
  let store: Store
  let keys: SigningKeys
  let holder: ProviderHolder
  let server: Server
  let issuer: string
  let builds = 0
  const rebuilt: string[][] = []

  const jwks = async () => (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet
  const kids = async () => (await jwks()).keys.map((k) => k.kid).sort()
  async function accessToken(): Promise<string> {
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`svc:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'read' }),
    })
    const body = (await res.json()) as { access_token?: string }
    assert.equal(res.status, 200, JSON.stringify(body))
    return body.access_token!
  }
  const activeKid = async (alg: string) => (await keys.list()).find((k) => k.alg === alg && k.status === 'active')!.kid

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    await store.oidcClients.upsert({
      clientId: 'svc',
      metadata: { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', 'urn:gatehouse:resource_scopes': ['read'] },
      secretHash: await hashSecret(CLIENT_SECRET, GENERATED_SECRET_PARAMS),
      source: 'api',
    })
    keys = createSigningKeys({ repo: store.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 3600 })
    await keys.ensureKeys()
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    holder = await createProviderHolder({
      keys,
      build: (set) => {
        builds++
        return createOidcProvider({
          issuer,
          jwks: set,
          store: { oidc: store.oidc, oidcClients: store.oidcClients },
          secretKey: SECRET,
          ttl: { accessToken: 600, idToken: 600, refreshToken: 3600, session: 3600 },
          claimNamespace: 'https://gatehouse.dev/claims',
          findAccount: async () => undefined,
          resourceServers: [{ indicator: API, scopes: ['read'] }],
        })
      },
      onRebuilt: ({ kids }) => rebuilt.push(kids),
    })
    server.on('request', holder.handler)
  })
  after(async () => {
    await holder.stop()
    await new Promise((resolve) => server.close(resolve))
    await store.close()
  })

  it('keeps the same instance while the stored keys are unchanged', async () => {
    const first = holder.current()
    assert.equal(await holder.refresh(), false)
    assert.equal(holder.current(), first)
    assert.equal(builds, 1)
  })

  it('publishes staged keys after a refresh, still signing with the active key', async () => {
    const before = await kids()
    const signer = await activeKid('ES256')
    const staged = await keys.stageNext()
    assert.deepEqual(await kids(), before, 'nothing changes until the refresh')
    assert.equal(await holder.refresh(), true)
    assert.deepEqual(await kids(), [...before, ...staged].sort())
    assert.equal(decodeProtectedHeader(await accessToken()).kid, signer)
    assert.deepEqual(rebuilt.at(-1)?.slice().sort(), [...before, ...staged].sort())
  })

  it('signs with the new key after a rotation and keeps verifying tokens signed by the retired one', async () => {
    const oldToken = await accessToken()
    const oldKid = decodeProtectedHeader(oldToken).kid
    const oldProvider = holder.current()
    const { activated, retired } = await keys.rotate()
    assert.ok(retired.includes(oldKid!))
    assert.equal(await holder.refresh(), true)
    assert.notEqual(holder.current(), oldProvider)

    const newToken = await accessToken()
    const newKid = decodeProtectedHeader(newToken).kid
    assert.equal(newKid, await activeKid('ES256'))
    assert.ok(activated.includes(newKid!))
    const published = createLocalJWKSet(await jwks())
    await jwtVerify(oldToken, published, { issuer })
    await jwtVerify(newToken, published, { issuer })
  })

  it('refreshes on its own timer', async () => {
    const before = holder.current()
    await keys.rotate()
    holder.startRefreshing(20)
    try {
      while (holder.current() === before) await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      await holder.stop()
    }
    assert.equal(decodeProtectedHeader(await accessToken()).kid, await activeKid('ES256'))
  })

  it('keeps serving with the current instance when the keys cannot be read', async () => {
    let fail = false
    const errors: unknown[] = []
    const flaky = await createProviderHolder({
      keys: {
        list: async () => {
          if (fail) throw new Error('store down')
          return keys.list()
        },
        jwks: () => keys.jwks(),
      },
      build: () => holder.current(),
      onRefreshError: (err) => errors.push(err),
    })
    const current = flaky.current()
    fail = true
    await assert.rejects(flaky.refresh(), /store down/)
    flaky.startRefreshing(10)
    try {
      while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      await flaky.stop()
    }
    assert.equal(flaky.current(), current)
    assert.match(String(errors[0]), /store down/)
  })
})
