// Gatehouse in-process: the same operations and JSON bodies as the HTTP API, without a server.
// Run: npx node examples/embedding.ts
import { modelFromDsl, openGatehouse } from '../src/index.ts'

const gh = await openGatehouse({ databaseUrl: 'sqlite::memory:' })
const { id: store } = await gh.createStore({ name: 'embedded' })
await gh.writeAuthorizationModel(store, modelFromDsl(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user]`))
await gh.write(store, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'document:plan' }] } })
console.log(await gh.check(store, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' } }))
await gh.close()
