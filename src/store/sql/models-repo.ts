// Authorization models: immutable once written; listed newest first by insertion order.

import type { ModelsRepo } from '../types.ts'
import { pageSizeOf, requireStore, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { MODEL_COLUMNS, toModelRecord, type ModelRow } from './rows.ts'
import { decodeToken, encodeToken } from './tokens.ts'

const INSERT = prepared(
  `INSERT INTO authorization_models (store_id, id, model, created_at) VALUES ($1, $2, $3, $4) RETURNING ${MODEL_COLUMNS}`,
)
const GET = prepared(`SELECT ${MODEL_COLUMNS} FROM authorization_models WHERE store_id = $1 AND id = $2`)
const LATEST = prepared(`SELECT ${MODEL_COLUMNS} FROM authorization_models WHERE store_id = $1 ORDER BY seq DESC LIMIT 1`)
const LIST_FIRST = prepared(
  `SELECT ${MODEL_COLUMNS} FROM authorization_models WHERE store_id = $1 ORDER BY seq DESC LIMIT $2`,
)
const LIST_AFTER = prepared(
  `SELECT ${MODEL_COLUMNS} FROM authorization_models WHERE store_id = $1 AND seq < $3 ORDER BY seq DESC LIMIT $2`,
)

export function modelsRepo(ctx: RepoContext): ModelsRepo {
  const { db, clock } = ctx
  return {
    async write(storeId, id, model) {
      const row = await db.write(async (tx) => {
        await requireStore(tx, storeId)
        const rows = await tx.all<ModelRow>(INSERT, [storeId, id, JSON.stringify(model), clock.now().getTime()])
        return rows[0]
      })
      return toModelRecord(row)
    },

    async get(storeId, id) {
      const rows = await db.all<ModelRow>(GET, [storeId, id])
      return rows.length === 0 ? null : toModelRecord(rows[0])
    },

    async latest(storeId) {
      const rows = await db.all<ModelRow>(LATEST, [storeId])
      return rows.length === 0 ? null : toModelRecord(rows[0])
    },

    async list(storeId, page) {
      const size = pageSizeOf(page)
      const rows = page.continuationToken
        ? await db.all<ModelRow>(LIST_AFTER, [storeId, size + 1, decodeToken('models', storeId, page.continuationToken, ['integer'])[0]])
        : await db.all<ModelRow>(LIST_FIRST, [storeId, size + 1])
      return toPage(rows, size, toModelRecord, (last) => encodeToken('models', storeId, [Number(last.seq)]))
    },
  }
}
