// OpenFGA's behaviour matrix through the embedding API (`openGatehouse`), on SQLite and on
// PostgreSQL: an in-process Gatehouse must be exactly as correct as the server.
import { after, before, describe } from 'node:test'
import { openGatehouse } from '../../src/index.ts'
import { BACKENDS, backendSkip } from '../support/gatehouse.ts'
import { matrixSkipReason, runOpenFgaMatrix } from '../support/openfga-matrix.ts'
import { createTestDatabase } from '../support/postgres.ts'

for (const backend of BACKENDS) {
  describe(`OpenFGA matrix embedded (${backend})`, { skip: matrixSkipReason() ?? await backendSkip(backend) }, () => {
    let gh: Awaited<ReturnType<typeof openGatehouse>> | undefined
    let dropDb: (() => Promise<void>) | undefined
    before(async () => {
      let databaseUrl = 'sqlite::memory:'
      if (backend === 'postgres') {
        const db = await createTestDatabase()
        databaseUrl = db.url
        dropDb = db.drop
      }
      gh = await openGatehouse({ databaseUrl })
    })
    after(async () => {
      await gh?.close()
      await dropDb?.()
    })
    runOpenFgaMatrix(`matrix (embedded, ${backend})`, () => gh ?? null)
  })
}
