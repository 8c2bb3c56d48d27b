// Assertions: one JSON list per (store, model), replaced wholesale on every write.

import type { AssertionJson, AssertionsRepo } from '../types.ts'
import { parseJsonColumn } from './canonical.ts'
import { requireStore, storeNotFound, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'

const UPSERT = prepared(
  `INSERT INTO assertions (store_id, model_id, assertions, updated_at) VALUES ($1, $2, $3, $4)
   ON CONFLICT (store_id, model_id) DO UPDATE SET assertions = excluded.assertions, updated_at = excluded.updated_at`,
)
// Joined with the live store: no row means the store is unknown or deleted.
const READ = prepared(
  `SELECT a.assertions FROM stores s LEFT JOIN assertions a ON a.store_id = s.id AND a.model_id = $2
   WHERE s.id = $1 AND s.deleted_at IS NULL`,
)

export function assertionsRepo(ctx: RepoContext): AssertionsRepo {
  const { db, clock } = ctx
  return {
    async write(storeId, modelId, assertions) {
      await db.write(async (tx) => {
        await requireStore(tx, storeId)
        await tx.run(UPSERT, [storeId, modelId, JSON.stringify(assertions), clock.now().getTime()])
      })
    },

    async read(storeId, modelId) {
      const rows = await db.all(READ, [storeId, modelId])
      if (rows.length === 0) throw storeNotFound(storeId)
      return rows[0].assertions === null ? [] : (parseJsonColumn(rows[0].assertions) as AssertionJson[])
    },
  }
}
