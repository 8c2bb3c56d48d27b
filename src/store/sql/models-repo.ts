// Authorization models: immutable once written; listed newest first by insertion order. Every read
// refuses an unknown or deleted store (store_not_found), so a deleted store's models are gone too.

import type { ModelRecord, ModelsRepo } from '../types.ts'
import { pageSizeOf, requireStore, storeNotFound, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { MODEL_COLUMNS, toModelRecord, type ModelRow } from './rows.ts'
import { decodeToken, encodeToken } from './tokens.ts'

const INSERT = prepared(
  `INSERT INTO authorization_models (store_id, id, model, created_at) VALUES ($1, $2, $3, $4) RETURNING ${MODEL_COLUMNS}`,
)
// Reads of one model join the live store: no row means the store is unknown or deleted, a row
// without a model id means the store lives but has no such model. One round trip either way.
const JOINED_COLUMNS = MODEL_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')
const GET = prepared(
  `SELECT ${JOINED_COLUMNS} FROM stores s LEFT JOIN authorization_models m ON m.store_id = s.id AND m.id = $2
   WHERE s.id = $1 AND s.deleted_at IS NULL`,
)
const LATEST = prepared(
  `SELECT ${JOINED_COLUMNS} FROM stores s LEFT JOIN authorization_models m ON m.store_id = s.id
     AND m.seq = (SELECT MAX(seq) FROM authorization_models WHERE store_id = $1)
   WHERE s.id = $1 AND s.deleted_at IS NULL`,
)
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
      return joined(await db.all<ModelRow>(GET, [storeId, id]), storeId)
    },

    async latest(storeId) {
      return joined(await db.all<ModelRow>(LATEST, [storeId]), storeId)
    },

    async list(storeId, page) {
      const size = pageSizeOf(page)
      const after = page.continuationToken ? decodeToken('models', storeId, page.continuationToken, ['integer'])[0] : undefined
      const rows = await db.read(async (tx) => {
        await requireStore(tx, storeId)
        return after === undefined
          ? tx.all<ModelRow>(LIST_FIRST, [storeId, size + 1])
          : tx.all<ModelRow>(LIST_AFTER, [storeId, size + 1, after])
      })
      return toPage(rows, size, toModelRecord, (last) => encodeToken('models', storeId, [Number(last.seq)]))
    },
  }
}

function joined(rows: ModelRow[], storeId: string): ModelRecord | null {
  if (rows.length === 0) throw storeNotFound(storeId)
  return rows[0].id === null ? null : toModelRecord(rows[0])
}
