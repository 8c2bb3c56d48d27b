// OpenFGA's behaviour matrix through the engine facade, in process, on the real SQLite store.
// The same cases run over HTTP in test/e2e/openfga-matrix-http.test.ts.
import { after, before } from 'node:test'
import { openSqliteStore } from '../store/sqlite/index.ts'
import type { Store } from '../store/types.ts'
import { runOpenFgaMatrix } from '../../test/support/openfga-matrix.ts'
import { Authz } from './index.ts'

let store: Store | undefined
let authz: Authz | undefined

before(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  authz = new Authz({ store })
})

after(async () => {
  await authz?.close()
  await store?.close()
})

runOpenFgaMatrix('OpenFGA matrix (in-process, SQLite)', () => authz ?? null)
