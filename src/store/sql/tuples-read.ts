// tuples.read (filtered, keyset-paged in key order), tuples.snapshot (one consistent read) and
// tuples.scan (keyset pages of the whole store, for building the engine's index in steps).

import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Page, PageRequest, StoredTuple, TupleFilter, TupleScanPage, TupleSnapshot } from '../types.ts'
import { pageSizeOf, requireStore, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { toTupleKey, TUPLE_COLUMNS, TUPLE_KEY_COLUMNS, valuesToTupleKey, type TupleRow } from './rows.ts'
import { decodeToken, encodeToken } from './tokens.ts'

const KEY_ORDER = 'object_type, object_id, relation, subject'
/** Unfiltered reads answer oldest write first, as OpenFGA's SQL stores do (clients read the first page only). */
const WRITE_ORDER = `write_revision, write_ordinal, ${KEY_ORDER}`
const SNAPSHOT = prepared(`SELECT ${TUPLE_COLUMNS} FROM tuples WHERE store_id = $1`)
// Read as arrays of values (SqlRunner.values): a scan reads the whole store.
const SCAN_FIRST = prepared(`SELECT ${TUPLE_KEY_COLUMNS} FROM tuples WHERE store_id = $1 ORDER BY ${KEY_ORDER} LIMIT $2`)
const SCAN_NEXT = prepared(`SELECT ${TUPLE_KEY_COLUMNS} FROM tuples WHERE store_id = $1 AND (${KEY_ORDER}) > ($2, $3, $4, $5) ORDER BY ${KEY_ORDER} LIMIT $6`)

export async function readTuples(ctx: RepoContext, storeId: string, filter: TupleFilter, page: PageRequest): Promise<Page<StoredTuple>> {
  await requireStore(ctx.db, storeId)
  const size = pageSizeOf(page)
  const where = ['store_id = $1']
  const params: unknown[] = [storeId]
  const add = (sql: (n: number) => string, ...values: unknown[]): void => {
    where.push(sql(params.length + 1))
    params.push(...values)
  }
  if (filter.objectType !== undefined) add((n) => `object_type = $${n}`, filter.objectType)
  if (filter.objectId !== undefined) add((n) => `object_id = $${n}`, filter.objectId)
  if (filter.relation !== undefined) add((n) => `relation = $${n}`, filter.relation)
  if (filter.user !== undefined) {
    if (filter.user.endsWith(':')) {
      // Every user of a type: a range on the byte-ordered user column (':' + 1 is ';'), which
      // uses the user index, unlike LIKE with its escaping rules.
      const type = filter.user.slice(0, -1)
      add((n) => `subject >= $${n} AND subject < $${n + 1}`, `${type}:`, `${type};`)
    } else {
      add((n) => `subject = $${n}`, filter.user)
    }
  }
  const unfiltered = where.length === 1
  if (page.continuationToken) {
    if (unfiltered) {
      const after = decodeToken('tuplesByWrite', storeId, page.continuationToken, ['integer', 'integer', 'string', 'string', 'string', 'string'])
      add((n) => `(${WRITE_ORDER}) > ($${n}, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`, ...after)
    } else {
      const after = decodeToken('tuples', storeId, page.continuationToken, ['string', 'string', 'string', 'string'])
      add((n) => `(${KEY_ORDER}) > ($${n}, $${n + 1}, $${n + 2}, $${n + 3})`, ...after)
    }
  }
  params.push(size + 1)
  // The text varies only with which filters are present: a small, fixed set worth preparing.
  const columns = unfiltered ? `${TUPLE_COLUMNS}, write_revision, write_ordinal` : TUPLE_COLUMNS
  const query = prepared(`SELECT ${columns} FROM tuples WHERE ${where.join(' AND ')} ORDER BY ${unfiltered ? WRITE_ORDER : KEY_ORDER} LIMIT $${params.length}`)
  const rows = await ctx.db.all<TupleRow & { write_revision?: number | string; write_ordinal?: number | string }>(query, params)
  return toPage(
    rows, size,
    (row) => ({ key: toTupleKey(row), timestamp: new Date(Number(row.created_at)) }),
    (last) => unfiltered
      ? encodeToken('tuplesByWrite', storeId, [Number(last.write_revision), Number(last.write_ordinal), last.object_type, last.object_id, last.relation, last.subject])
      : encodeToken('tuples', storeId, [last.object_type, last.object_id, last.relation, last.subject]),
  )
}

export async function snapshotTuples(ctx: RepoContext, storeId: string): Promise<TupleSnapshot> {
  return ctx.db.read(async (tx) => {
    const revision = await requireStore(tx, storeId)
    const rows = await tx.all<TupleRow>(SNAPSHOT, [storeId])
    return { revision, tuples: rows.map(toTupleKey) }
  })
}

export async function scanTuples(ctx: RepoContext, storeId: string, after: string | undefined, limit: number): Promise<TupleScanPage> {
  const size = pageSizeOf({ pageSize: limit })
  let rows: unknown[][]
  if (after === undefined) {
    await requireStore(ctx.db, storeId)
    rows = await ctx.db.values(SCAN_FIRST, [storeId, size])
  } else {
    const cursor = parseCursor(after)
    rows = await ctx.db.values(SCAN_NEXT, [storeId, ...cursor, size])
    // A store deleted between pages ends the scan the way it would have refused the first page.
    if (rows.length === 0) await requireStore(ctx.db, storeId)
  }
  const last = rows.length === size ? rows[rows.length - 1] : undefined
  return {
    tuples: rows.map(valuesToTupleKey),
    // The key columns: object_type, object_id, relation, subject.
    next: last ? JSON.stringify(last.slice(0, 4)) : undefined,
  }
}

function parseCursor(after: string): string[] {
  let cursor: unknown
  try { cursor = JSON.parse(after) } catch { cursor = undefined }
  if (!Array.isArray(cursor) || cursor.length !== 4 || !cursor.every((c) => typeof c === 'string')) {
    throw new StoreError(StoreErrorCodes.invalidContinuationToken, 'invalid scan cursor')
  }
  return cursor
}
