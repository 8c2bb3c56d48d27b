// Stores (OpenFGA tenants): soft delete, listing oldest first by insertion order.

import { STORE_DELETED, type StoresRepo } from '../types.ts'
import { pageSizeOf, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { STORE_COLUMNS, toStoreInfo, type StoreRow } from './rows.ts'
import { decodeToken, encodeToken } from './tokens.ts'

const INSERT = prepared(
  `INSERT INTO stores (id, name, revision, created_at, updated_at) VALUES ($1, $2, 0, $3, $3) RETURNING ${STORE_COLUMNS}`,
)
const GET = prepared(`SELECT ${STORE_COLUMNS} FROM stores WHERE id = $1 AND deleted_at IS NULL`)
const LIST = prepared(
  `SELECT ${STORE_COLUMNS} FROM stores WHERE deleted_at IS NULL AND seq > $1 ORDER BY seq LIMIT $2`,
)
const LIST_BY_NAME = prepared(
  `SELECT ${STORE_COLUMNS} FROM stores WHERE deleted_at IS NULL AND seq > $1 AND name = $3 ORDER BY seq LIMIT $2`,
)
const SOFT_DELETE = prepared('UPDATE stores SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL')

export function storesRepo(ctx: RepoContext): StoresRepo {
  const { db, clock } = ctx
  return {
    async create({ id, name }) {
      const rows = await db.all<StoreRow>(INSERT, [id, name, clock.now().getTime()])
      return toStoreInfo(rows[0])
    },

    async get(id) {
      const rows = await db.all<StoreRow>(GET, [id])
      return rows.length === 0 ? null : toStoreInfo(rows[0])
    },

    async list(page, name) {
      const size = pageSizeOf(page)
      const after = page.continuationToken ? (decodeToken('stores', '', page.continuationToken, ['integer'])[0] as number) : 0
      const rows = name === undefined
        ? await db.all<StoreRow>(LIST, [after, size + 1])
        : await db.all<StoreRow>(LIST_BY_NAME, [after, size + 1, name])
      return toPage(rows, size, toStoreInfo, (last) => encodeToken('stores', '', [Number(last.seq)]))
    },

    async delete(id) {
      // Announced like a write so every process drops the store's in-memory state.
      const deleted = await db.write(async (tx) => {
        if ((await tx.run(SOFT_DELETE, [id, clock.now().getTime()])) === 0) return false
        await db.announce(tx, id, STORE_DELETED)
        return true
      })
      if (deleted) ctx.changes.emit(id, STORE_DELETED)
      return deleted
    },
  }
}
