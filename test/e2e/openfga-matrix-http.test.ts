// OpenFGA's behaviour matrix (../shared/conformance/openfga) through the HTTP API of a real server
// process, on SQLite and on PostgreSQL. The in-process run of the same matrix is in src/authz.
import { after, before, describe } from 'node:test'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { openFgaHttpClient } from '../support/openfga-http.ts'
import { runOpenFgaMatrix } from '../support/openfga-matrix.ts'
import { postgresBackendOrSkip } from '../support/postgres.ts'

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`OpenFGA matrix over HTTP (${backend})`, () => {
    let server: GatehouseProcess | undefined
    let dropDb: (() => Promise<void>) | undefined

    before(async (t) => {
      const env: Record<string, string> = {}
      if (backend === 'postgres') {
        const db = await postgresBackendOrSkip(t)
        if (!db) return
        env.GATEHOUSE_DATABASE_URL = db.url
        dropDb = db.drop
      }
      server = await startGatehouse(env)
    })
    after(async () => {
      await server?.close()
      await dropDb?.()
    })

    runOpenFgaMatrix(`matrix (${backend})`, () => {
      if (!server) return null
      return openFgaHttpClient(server.url)
    })
  })
}
