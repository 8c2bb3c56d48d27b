// The official OpenFGA JavaScript SDK drives a real Gatehouse server process, on SQLite and on
// PostgreSQL: what a user of OpenFGA does, unchanged, against Gatehouse.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CredentialsMethod, FgaApiAuthenticationError, FgaApiValidationError, OpenFgaClient } from '@openfga/sdk'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { modelFromDsl } from '../../src/index.ts'

const MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define owner: [user]
    define viewer: [user, user:*, group#member] or owner
type document
  relations
    define parent: [folder]
    define editor: [user, user with office_hours]
    define viewer: [user] or editor or viewer from parent
condition office_hours(hour: int) {
  hour >= 9 && hour < 17
}
`
const KEY = 'e2e-preshared-key-0123456789'

for (const backend of BACKENDS) {
  describe(`@openfga/sdk against a Gatehouse server (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, { GATEHOUSE_PRESHARED_KEYS: KEY })
    const client = () => new OpenFgaClient({
      apiUrl: server.current()!.url,
      credentials: { method: CredentialsMethod.ApiToken, config: { token: KEY } },
    })

    it('rejects a client without the preshared key', async (t) => {
      const anonymous = new OpenFgaClient({ apiUrl: server.current()!.url })
      await assert.rejects(anonymous.listStores(), FgaApiAuthenticationError)
    })

    it('creates a store, writes a model and tuples, and answers every query', async (t) => {
      const fga = client()
      const store = await fga.createStore({ name: 'e2e store' })
      assert.match(store.id, /^[0-9A-HJKMNP-TV-Z]{26}$/)
      fga.storeId = store.id
      assert.equal((await fga.getStore()).name, 'e2e store')
      assert.ok((await fga.listStores()).stores.some((s) => s.id === store.id))

      const { authorization_model_id: modelId } = await fga.writeAuthorizationModel(modelFromDsl(MODEL) as never)
      assert.equal((await fga.readLatestAuthorizationModel()).authorization_model?.id, modelId)
      fga.authorizationModelId = modelId

      await fga.write({
        writes: [
          { user: 'user:anne', relation: 'member', object: 'group:eng' },
          { user: 'group:eng#member', relation: 'viewer', object: 'folder:plans' },
          { user: 'user:beth', relation: 'owner', object: 'folder:plans' },
          { user: 'folder:plans', relation: 'parent', object: 'document:roadmap' },
          { user: 'user:carl', relation: 'editor', object: 'document:roadmap', condition: { name: 'office_hours', context: {} } },
        ],
      })

      assert.equal((await fga.check({ user: 'user:anne', relation: 'viewer', object: 'document:roadmap' })).allowed, true)
      assert.equal((await fga.check({ user: 'user:dave', relation: 'viewer', object: 'document:roadmap' })).allowed, false)
      assert.equal((await fga.check({ user: 'user:carl', relation: 'editor', object: 'document:roadmap', context: { hour: 10 } })).allowed, true)
      assert.equal((await fga.check({ user: 'user:carl', relation: 'editor', object: 'document:roadmap', context: { hour: 20 } })).allowed, false)
      // A contextual tuple grants for one request only.
      assert.equal((await fga.check({
        user: 'user:dave', relation: 'viewer', object: 'document:roadmap',
        contextualTuples: [{ user: 'user:dave', relation: 'member', object: 'group:eng' }],
      })).allowed, true)

      const batch = await fga.batchCheck({
        checks: [
          { user: 'user:beth', relation: 'viewer', object: 'document:roadmap', correlationId: 'beth' },
          { user: 'user:dave', relation: 'viewer', object: 'document:roadmap', correlationId: 'dave' },
        ],
      })
      const byId = Object.fromEntries(batch.result.map((r) => [r.correlationId, r.allowed]))
      assert.deepEqual(byId, { beth: true, dave: false })

      const objects = await fga.listObjects({ user: 'user:anne', relation: 'viewer', type: 'document' })
      assert.deepEqual(objects.objects, ['document:roadmap'])
      const streamed: string[] = []
      for await (const item of fga.streamedListObjects({ user: 'user:anne', relation: 'viewer', type: 'document' })) streamed.push(item.object)
      assert.deepEqual(streamed, ['document:roadmap'])

      const users = await fga.listUsers({
        object: { type: 'folder', id: 'plans' }, relation: 'viewer', user_filters: [{ type: 'user' }],
      })
      assert.deepEqual(users.users.map((u) => u.object?.id).sort(), ['anne', 'beth'])

      const expanded = await fga.expand({ relation: 'viewer', object: 'folder:plans' })
      assert.equal(expanded.tree?.root?.name, 'folder:plans#viewer')

      const read = await fga.read({ object: 'document:roadmap' })
      assert.equal(read.tuples.length, 2)
      const changes = await fga.readChanges({ type: 'document' })
      assert.equal(changes.changes.length, 2)
      assert.ok(changes.continuation_token)

      await fga.writeAssertions([{ user: 'user:anne', relation: 'viewer', object: 'document:roadmap', expectation: true }])
      assert.equal((await fga.readAssertions()).assertions?.length, 1)

      await fga.deleteTuples([{ user: 'user:anne', relation: 'member', object: 'group:eng' }])
      assert.equal((await fga.check({ user: 'user:anne', relation: 'viewer', object: 'document:roadmap' }, { consistency: 'HIGHER_CONSISTENCY' as never })).allowed, false)

      await fga.deleteStore()
    })

    it('surfaces validation errors as the SDK expects', async (t) => {
      const fga = client()
      const store = await fga.createStore({ name: 'errors' })
      fga.storeId = store.id
      fga.authorizationModelId = (await fga.writeAuthorizationModel(modelFromDsl(MODEL) as never)).authorization_model_id
      await assert.rejects(
        fga.write({ writes: [{ user: 'user:anne', relation: 'no_such_relation', object: 'document:x' }] }),
        (err: unknown) => err instanceof FgaApiValidationError && err.apiErrorCode === 'validation_error',
      )
      // The failed write changed nothing.
      assert.equal((await fga.read({})).tuples.length, 0)
      await fga.deleteStore()
    })
  })
}
