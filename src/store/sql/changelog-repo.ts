// The changelog: OpenFGA ReadChanges paging, and `since` for catching an in-memory index up.

import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { ChangelogRepo } from '../types.ts'
import { pageSizeOf, requireStore, type RepoContext } from './context.ts'
import { adHoc, chunks, prepared } from './executor.ts'
import { CHANGE_COLUMNS, toTupleChange, type ChangeRow } from './rows.ts'
import { decodeToken, encodeToken } from './tokens.ts'

/** Ordinal meaning "after every change of the revision" (ordinal is a 32-bit column). */
const END_OF_REVISION = 2_147_483_647
const NO_LIMIT = Number.MAX_SAFE_INTEGER

// A revision is never split: everything up to and including the revision of the limit-th change.
const SINCE = prepared(
  `SELECT ${CHANGE_COLUMNS} FROM changelog
   WHERE store_id = $1 AND revision > $2 AND revision <= COALESCE(
     (SELECT revision FROM changelog WHERE store_id = $1 AND revision > $2 ORDER BY revision, ordinal LIMIT 1 OFFSET $3),
     ${NO_LIMIT})
   ORDER BY revision, ordinal`,
)

/** Store ids per revisions() statement. */
const REVISIONS_CHUNK = 200

export function changelogRepo(ctx: RepoContext): ChangelogRepo {
  const { db } = ctx
  return {
    async revisions(storeIds) {
      const out = new Map<string, number>()
      for (const part of chunks([...new Set(storeIds)], REVISIONS_CHUNK)) {
        const marks = part.map((_, i) => `$${i + 1}`).join(', ')
        const rows = await db.all(adHoc(`SELECT id, revision FROM stores WHERE deleted_at IS NULL AND id IN (${marks})`), part)
        for (const row of rows) out.set(String(row.id), Number(row.revision))
      }
      return out
    },

    read(storeId, query) {
      return db.read(async (tx) => {
        const latest = await requireStore(tx, storeId)
        const type = query.objectType ?? ''
        const size = pageSizeOf(query)
        const where = ['store_id = $1']
        const params: unknown[] = [storeId]
        if (type !== '') {
          params.push(type)
          where.push(`object_type = $${params.length}`)
        }
        if (query.continuationToken) {
          const [revision, ordinal, tokenType] = decodeToken('changes', storeId, query.continuationToken, ['integer', 'integer', 'string'])
          if (tokenType !== type) {
            throw new StoreError(StoreErrorCodes.tokenTypeMismatch, 'continuation token was issued for a different object type filter')
          }
          params.push(revision, ordinal)
          where.push(`(revision, ordinal) > ($${params.length - 1}, $${params.length})`)
        } else if (query.startTime !== undefined) {
          params.push(query.startTime.getTime())
          where.push(`created_at >= $${params.length}`)
        }
        params.push(size)
        const sql = prepared(`SELECT ${CHANGE_COLUMNS} FROM changelog WHERE ${where.join(' AND ')} ORDER BY revision, ordinal LIMIT $${params.length}`)
        const rows = await tx.all<ChangeRow>(sql, params)

        const endToken = (): string => encodeToken('changes', storeId, [latest, END_OF_REVISION, type])
        if (rows.length === 0) {
          // Nothing newer: hand the caller's token back so it can poll with it again. Without a
          // token, still point at the end once the store has changes, so a poller can resume.
          return { items: [], continuationToken: query.continuationToken || (latest > 0 ? endToken() : '') }
        }
        const last = rows[rows.length - 1]
        // A short page saw everything up to `latest` (same snapshot): skip past the non-matching tail.
        const token = rows.length < size ? endToken() : encodeToken('changes', storeId, [Number(last.revision), Number(last.ordinal), type])
        return { items: rows.map(toTupleChange), continuationToken: token }
      })
    },

    async since(storeId, afterRevision, limit) {
      const rows = await db.all<ChangeRow>(SINCE, [storeId, afterRevision, Math.max(0, Math.floor(limit) - 1)])
      return rows.map(toTupleChange)
    },

    revision(storeId) {
      return requireStore(db, storeId)
    },
  }
}
