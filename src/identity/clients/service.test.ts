import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { JWK } from 'jose'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../../test/support/postgres.ts'
import { isAppError } from '../../lib/index.ts'
import type { Store } from '../../store/index.ts'
import { openPostgresStore } from '../../store/postgres/index.ts'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import { createOidcProvider } from '../provider.ts'
import { verifySecret } from '../secrets.ts'
import { createClientService, type ClientService } from './service.ts'
import { syncBootstrapClients, type DeclaredClient } from './sync.ts'

const ISSUER = 'https://id.example.com'

function validatorFor(store: Store) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const provider = createOidcProvider({
    issuer: ISSUER,
    jwks: { keys: [{ ...(privateKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', use: 'sig', kid: 'k' }, { ...(rsa.export({ format: 'jwk' }) as JWK), alg: 'RS256', use: 'sig', kid: 'r' }] },
    store: { oidc: store.oidc, oidcClients: store.oidcClients },
    secretKey: 'a-test-secret-key-that-is-long-enough-0123',
    ttl: { accessToken: 60, idToken: 60, refreshToken: 600, session: 600 },
    claimNamespace: 'https://gatehouse.dev/claims',
    findAccount: async () => undefined,
    resourceServers: [{ indicator: 'https://api.example.com', scopes: ['api:read', 'api:write'] }],
  })
  return (metadata: Record<string, unknown>) => provider.Client.validate(metadata as never)
}

const code = (expected: string, status: number) => (err: unknown) => isAppError(err) && err.code === expected && err.status === status

const web = {
  id: 'web-app',
  name: 'Web app',
  type: 'confidential',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'email', 'api:read'],
} as const

const backends: { name: string; open: () => Promise<{ store: Store; db?: TestDatabase }>; skip?: () => Promise<string | undefined> }[] = [
  { name: 'SQLite', open: async () => ({ store: await openSqliteStore({ path: ':memory:' }) }) },
  {
    name: 'PostgreSQL',
    skip: postgresSkipReason,
    open: async () => {
      const db = await createTestDatabase()
      return { store: await openPostgresStore({ connectionString: db.url }), db }
    },
  },
]

for (const backend of backends) {
  describe(`client service (${backend.name})`, { skip: await backend.skip?.() }, () => {
    let store: Store
    let db: TestDatabase | undefined
    let clients: ClientService

    before(async () => {
      ;({ store, db } = await backend.open())
      await store.migrate()
      clients = createClientService({
        repo: store.oidcClients, validate: validatorFor(store), resourceScopes: ['api:read', 'api:write'], resourceAudiences: ['https://api.example.com'],
      })
    })
    after(async () => {
      await store.close()
      await db?.drop()
    })

    it('creates a confidential client, returns its secret once and stores only a hash', async () => {
      const created = await clients.create(web)
      assert.equal(typeof created.secret, 'string')
      assert.ok(created.secret!.length >= 32)
      assert.equal(created.client.tokenEndpointAuthMethod, 'client_secret_basic')
      assert.deepEqual(created.client.scopes, ['openid', 'email', 'api:read'])
      assert.equal(created.client.hasSecret, true)
      const record = await store.oidcClients.get('web-app')
      assert.equal(record?.source, 'api')
      assert.ok(await verifySecret(created.secret!, record!.secretHash!))
      assert.ok(!JSON.stringify(record!.metadata).includes(created.secret!))
      const read = await clients.get('web-app')
      assert.ok(!('secret' in read))
      assert.ok(!JSON.stringify(read).includes('scrypt$'))
      assert.equal(read.name, 'Web app')
      await assert.rejects(clients.create(web), code('client_already_exists', 409))
    })

    it('lets a relying party that cannot verify ES256 ask for RS256 ID tokens, and nothing else', async () => {
      const created = await clients.create({ ...web, id: 'rs256-app', idTokenSigningAlg: 'RS256' }, 'api')
      assert.equal(created.client.idTokenSigningAlg, 'RS256')
      assert.equal((await store.oidcClients.get('rs256-app'))?.metadata.id_token_signed_response_alg, 'RS256')
      await assert.rejects(clients.create({ ...web, id: 'hs-app', idTokenSigningAlg: 'HS256' }, 'api'), code('invalid_client_metadata', 400))
    })

    it('takes a public device-flow client with a default audience, and refuses an unknown audience', async () => {
      const device = {
        id: 'cli', type: 'public', grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], defaultAudience: 'https://api.example.com',
      }
      const created = await clients.create(device)
      assert.deepEqual(created.client.grantTypes, device.grantTypes)
      assert.equal(created.client.defaultAudience, 'https://api.example.com')
      const metadata = (await store.oidcClients.get('cli'))!.metadata
      assert.equal(metadata['urn:gatehouse:default_audience'], 'https://api.example.com')
      assert.deepEqual(metadata.response_types, [])
      await assert.rejects(clients.create({ ...device, id: 'cli2', defaultAudience: 'https://nowhere.example' }), (err: unknown) =>
        code('invalid_client_metadata', 400)(err) && /defaultAudience: https:\/\/nowhere\.example is not the audience/.test((err as Error).message))
      assert.equal(await store.oidcClients.get('cli2'), null)
    })

    it('keeps a given secret and refuses a short one', async () => {
      const secret = 'g'.repeat(40)
      const created = await clients.create({ ...web, id: 'given', secret })
      assert.equal(created.secret, secret)
      await assert.rejects(clients.create({ ...web, id: 'short', secret: 'too-short' }), code('invalid_client_metadata', 400))
      assert.equal(await store.oidcClients.get('short'), null)
    })

    it('refuses bad metadata with invalid_client_metadata and writes nothing', async () => {
      const bad: Record<string, unknown>[] = [
        { ...web, id: 'b1', redirectUris: ['javascript:alert(1)'] },
        { ...web, id: 'b2', redirectUris: ['http://app.example.com/cb'] },
        { ...web, id: 'b3', redirectUris: ['https://app.example.com/cb#frag'] },
        { ...web, id: 'b4', redirectUris: ['com.example.app:/cb'] },
        { ...web, id: 'b5', scopes: ['openid', 'admin:everything'] },
        { ...web, id: 'b6', tokenEndpointAuthMethod: 'private_key_jwt' },
        { ...web, id: 'b7', loginUri: 'http://login.example.com/' },
        { ...web, id: 'b8', unknownField: true },
        { ...web, id: 'bad id!' },
        { ...web, id: 'b9', type: 'public', grantTypes: ['client_credentials'] },
        { ...web, id: 'b10', tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=x' },
      ]
      for (const input of bad) {
        await assert.rejects(clients.create(input), code('invalid_client_metadata', 400), JSON.stringify(input))
      }
      assert.deepEqual((await clients.list()).clients.map((c) => c.id).filter((id) => id.startsWith('b')), [])
    })

    it('takes a public native client with a custom scheme and PKCE-only auth', async () => {
      const created = await clients.create({ id: 'cli-app', type: 'public', redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/cb'] })
      assert.equal(created.secret, undefined)
      assert.equal(created.client.tokenEndpointAuthMethod, 'none')
      assert.equal((await store.oidcClients.get('cli-app'))?.metadata.application_type, 'native')
      await assert.rejects(clients.rotateSecret('cli-app'), code('client_secret_not_applicable', 409))
    })

    it('replaces metadata keeping the secret, rotates it, deletes, and answers 404 for unknown ids', async () => {
      const { secret } = await clients.create({ ...web, id: 'svc', grantTypes: ['client_credentials'], redirectUris: [] })
      const updated = await clients.update('svc', { type: 'confidential', grantTypes: ['client_credentials'], name: 'Service', mayIntrospect: true })
      assert.equal(updated.name, 'Service')
      assert.equal(updated.mayIntrospect, true)
      assert.ok(await verifySecret(secret!, (await store.oidcClients.get('svc'))!.secretHash!))
      await assert.rejects(clients.update('svc', { id: 'other', type: 'confidential', grantTypes: ['client_credentials'] }), code('invalid_client_metadata', 400))

      const rotated = await clients.rotateSecret('svc')
      const hash = (await store.oidcClients.get('svc'))!.secretHash!
      assert.ok(await verifySecret(rotated.secret!, hash))
      assert.equal(await verifySecret(secret!, hash), false)

      await clients.delete('svc')
      await assert.rejects(clients.get('svc'), code('client_not_found', 404))
      await assert.rejects(clients.delete('svc'), code('client_not_found', 404))
      await assert.rejects(clients.update('svc', { type: 'public', redirectUris: ['https://x.example.com/'] }), code('client_not_found', 404))
      await assert.rejects(clients.rotateSecret('svc'), code('client_not_found', 404))
    })

    it('keeps the login URI and first-party flag through a round trip', async () => {
      await clients.create({ ...web, id: 'branded', firstParty: true, loginUri: 'https://login.example.com/start', corsOrigins: ['https://app.example.com'] })
      const read = await clients.get('branded')
      assert.equal(read.loginUri, 'https://login.example.com/start')
      assert.equal(read.firstParty, true)
      assert.deepEqual(read.corsOrigins, ['https://app.example.com'])
    })

    describe('bootstrap sync', () => {
      const declared = (secret: string, ids = ['boot-a', 'boot-b']): DeclaredClient[] =>
        ids.map((id, i) => ({ spec: clients.parse({ ...web, id }), secret, where: `clients[${i}]` }))

      it('applies twice with no writes the second time, and prunes removed entries', async () => {
        const secret = 's'.repeat(40)
        const first = await syncBootstrapClients(store.oidcClients, clients, declared(secret))
        assert.deepEqual(first, { created: 2, updated: 0, deleted: 0, unchanged: 0 })
        const before = await store.oidcClients.get('boot-a')
        const second = await syncBootstrapClients(store.oidcClients, clients, declared(secret))
        assert.deepEqual(second, { created: 0, updated: 0, deleted: 0, unchanged: 2 })
        assert.equal((await store.oidcClients.get('boot-a'))!.secretHash, before!.secretHash)

        const changed = await syncBootstrapClients(store.oidcClients, clients, declared('t'.repeat(40), ['boot-a']))
        assert.deepEqual(changed, { created: 0, updated: 1, deleted: 1, unchanged: 0 })
        assert.equal(await store.oidcClients.get('boot-b'), null)
        assert.ok(await verifySecret('t'.repeat(40), (await store.oidcClients.get('boot-a'))!.secretHash!))
      })

      it('never touches API clients, refuses to take one over, and the API cannot change file clients', async () => {
        const apiIds = (await clients.list()).clients.filter((c) => c.source === 'api').map((c) => c.id)
        assert.ok(apiIds.includes('web-app'))
        await syncBootstrapClients(store.oidcClients, clients, [])
        for (const id of apiIds) assert.notEqual(await store.oidcClients.get(id), null)

        await assert.rejects(syncBootstrapClients(store.oidcClients, clients, declared('s'.repeat(40), ['boot-c', 'web-app'])),
          (err: unknown) => isAppError(err) && /clients\[1\]: client web-app was created through the admin API/.test(err.message))
        assert.equal(await store.oidcClients.get('boot-c'), null, 'nothing written when one entry is refused')

        await syncBootstrapClients(store.oidcClients, clients, declared('s'.repeat(40), ['boot-d']))
        await assert.rejects(clients.delete('boot-d'), code('client_managed_by_bootstrap', 409))
        await assert.rejects(clients.rotateSecret('boot-d'), code('client_managed_by_bootstrap', 409))
      })

      it('refuses a confidential entry without a secret', async () => {
        await assert.rejects(syncBootstrapClients(store.oidcClients, clients, [{ spec: clients.parse({ ...web, id: 'nosecret' }), where: 'clients[0]' }]),
          (err: unknown) => isAppError(err) && /give secret or secretFile/.test(err.message))
      })
    })
  })
}
