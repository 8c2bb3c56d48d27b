// tuples.write: deletes then writes in one transaction under a fresh per-store revision.
//
// The revision bump comes first: `UPDATE stores ... RETURNING revision` row-locks the store on
// PostgreSQL, so writers of one store run one after another and revisions follow commit order.
// When nothing ends up applied the transaction is rolled back, leaving the revision unchanged.
// Other repositories that change tuples together with their own rows (tenancy) run the same
// steps inside their transaction through writeTuplesInTx.

import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { TupleChange, TupleKey, WriteResult, WriteTuplesInput } from '../types.ts'
import { storeNotFound, type RepoContext } from './context.ts'
import { adHoc, chunks, prepared, rowsSql, type SqlRunner } from './executor.ts'
import { conditionColumns, keyColumns, keyString, toTupleKey, TUPLE_COLUMNS, type KeyColumns, type TupleRow } from './rows.ts'

/** Rows per multi-row statement; keeps parameter counts far below both databases' limits. */
const CHUNK = 200

const BUMP = prepared('UPDATE stores SET revision = revision + 1 WHERE id = $1 AND deleted_at IS NULL RETURNING revision')
// A write-only revision's changes are exactly its inserted rows, in write_ordinal order.
const CHANGES_FROM_ROWS = prepared(
  `INSERT INTO changelog (store_id, revision, created_at, ordinal, operation,
     object_type, object_id, relation, subject, condition_name, condition_context)
   SELECT store_id, write_revision, created_at, write_ordinal, 'write',
     object_type, object_id, relation, subject, condition_name, condition_context
   FROM tuples WHERE store_id = $1 AND write_revision = $2`,
)
// Still under the row lock BUMP took: no other writer can have moved the revision since.
const UNBUMP = prepared('UPDATE stores SET revision = revision - 1 WHERE id = $1')

export interface Planned {
  key: TupleKey
  cols: KeyColumns
  id: string
}

export interface Applied {
  cols: KeyColumns
  condition: [string | null, string | null]
  operation: 'write' | 'delete'
}

/** Thrown inside the transaction to roll it back when every operation was a no-op. */
class NothingApplied {
  readonly revision: number
  constructor(revision: number) {
    this.revision = revision
  }
}

/**
 * How the rows get in: `insert` defaults to multi-row INSERT ... RETURNING; `changesFromRows`
 * appends the changelog by copying this revision's rows out of the tuples table (one statement,
 * valid only when the write has no deletes).
 */
export interface WriteStrategy {
  insert?: TupleInserter
  changesFromRows?: boolean
}

export async function writeTuples(ctx: RepoContext, storeId: string, input: WriteTuplesInput, strategy: WriteStrategy = {}): Promise<WriteResult> {
  let result: WriteResult
  try {
    result = await ctx.db.write(async (tx) => {
      const written = await writeTuplesInTx(ctx, tx, storeId, input, strategy)
      // Rolling back is cheaper than committing a transaction that changed nothing.
      if (written.applied.length === 0) throw new NothingApplied(written.revision)
      return written
    })
  } catch (err) {
    if (err instanceof NothingApplied) return { revision: err.revision, applied: [] }
    throw err
  }
  ctx.changes.emit(storeId, result.revision)
  return result
}

/**
 * The body of tuples.write, run on the caller's transaction `tx`: bumps the store's revision,
 * applies deletes then writes, appends the changelog and announces the revision. When nothing
 * applies, the store's revision is put back and `applied` is empty, so the caller's own changes
 * can still commit. Throws as tuples.write does; the caller's transaction must then roll back.
 * After a commit with changes applied, the caller must `ctx.changes.emit(storeId, revision)`.
 */
export async function writeTuplesInTx(
  ctx: RepoContext, tx: SqlRunner, storeId: string, input: WriteTuplesInput, strategy: WriteStrategy = {},
): Promise<WriteResult> {
  // Parse keys before any statement: a malformed object is a validation error, whatever the store.
  const deletes = input.deletes.map(plan)
  const writes = input.writes.map(plan)
  const now = ctx.clock.now().getTime()
  const bumped = await tx.all(BUMP, [storeId])
  if (bumped.length === 0) throw storeNotFound(storeId)
  const revision = Number(bumped[0].revision)
  const applied = [
    ...(await applyDeletes(tx, storeId, deletes, input.onMissing)),
    ...(await applyWrites(tx, storeId, writes, input.onDuplicate, now, revision, strategy.insert)),
  ]
  if (applied.length === 0) {
    await tx.run(UNBUMP, [storeId])
    return { revision: revision - 1, applied: [] }
  }
  if (strategy.changesFromRows === true && deletes.length === 0) await tx.run(CHANGES_FROM_ROWS, [storeId, revision])
  else await appendChanges(tx, storeId, revision, applied, now)
  await ctx.db.announce(tx, storeId, revision)
  return { revision, applied: applied.map((a) => toChange(a, revision, now)) }
}

export function plan(key: TupleKey): Planned {
  const cols = keyColumns(key)
  return { key, cols, id: keyString(cols) }
}

function tupleOf(p: Planned): { object: string; relation: string; user: string } {
  return { object: p.key.object, relation: p.key.relation, user: p.key.user }
}

async function applyDeletes(tx: SqlRunner, storeId: string, deletes: Planned[], onMissing: 'error' | 'ignore'): Promise<Applied[]> {
  if (deletes.length === 0) return []
  const removed = new Set<string>()
  for (const part of chunks(uniqueById(deletes), CHUNK)) {
    const sql = adHoc(
      `DELETE FROM tuples WHERE store_id = $1 AND (object_type, object_id, relation, subject) IN (VALUES ${rowsSql(part.length, 4, 1)})
       RETURNING object_type, object_id, relation, subject`,
    )
    const rows = await tx.all(sql, [storeId, ...part.flatMap((p) => p.cols)])
    for (const row of rows) removed.add(keyString([row.object_type, row.object_id, row.relation, row.subject]))
  }
  // Walk the input in order: a repeated delete finds the tuple already gone, as if applied one by one.
  const applied: Applied[] = []
  const consumed = new Set<string>()
  for (const p of deletes) {
    if (removed.has(p.id) && !consumed.has(p.id)) {
      consumed.add(p.id)
      applied.push({ cols: p.cols, condition: [null, null], operation: 'delete' })
    } else if (onMissing === 'error') {
      throw new StoreError(StoreErrorCodes.tupleMissing, `cannot delete a tuple which does not exist: ${describe(p)}`, { tuple: tupleOf(p) })
    }
  }
  return applied
}

/**
 * Inserts `rows` (unique keys), write_ordinal = position in `rows`, skipping keys already stored,
 * and returns the ids (keyString) of the rows it inserted, or ALL_INSERTED when every row went in.
 */
export type TupleInserter = (
  tx: SqlRunner, storeId: string, rows: Planned[], now: number, revision: number,
) => Promise<Set<string> | typeof ALL_INSERTED>

/** A bulk load's usual outcome, answered without building and probing a set of its keys. */
export const ALL_INSERTED = 'all'

/** Multi-row INSERT ... RETURNING, CHUNK rows a statement: one statement text for both dialects. */
const insertReturning: TupleInserter = async (tx, storeId, rows, now, revision) => {
  const inserted = new Set<string>()
  // (revision, position in this write) orders unfiltered reads by write time, as OpenFGA does.
  let ordinal = 0
  for (const part of chunks(rows, CHUNK)) {
    const params: unknown[] = [storeId, now, revision]
    for (const p of part) params.push(ordinal++, ...p.cols, ...conditionColumns(p.key.condition))
    const sql = adHoc(
      `INSERT INTO tuples (store_id, created_at, write_revision, write_ordinal, object_type, object_id, relation, subject, condition_name, condition_context)
       VALUES ${rowsSql(part.length, 7, 3, '$1, $2, $3, ')}
       ON CONFLICT (store_id, object_type, object_id, relation, subject) DO NOTHING
       RETURNING object_type, object_id, relation, subject`,
    )
    const rows = await tx.all(sql, params)
    for (const row of rows) inserted.add(keyString([row.object_type, row.object_id, row.relation, row.subject]))
  }
  return inserted
}

/**
 * Inserts `writes` and decides, in input order, which were applied: a key inserted by an earlier
 * entry, or stored before, is a duplicate, refused or (with 'ignore' and the same condition) a no-op.
 */
export async function applyWrites(
  tx: SqlRunner, storeId: string, writes: Planned[], onDuplicate: 'error' | 'ignore', now: number, revision: number,
  insert: TupleInserter = insertReturning,
): Promise<Applied[]> {
  if (writes.length === 0) return []
  const unique = uniqueById(writes)
  const outcome = await insert(tx, storeId, unique, now, revision)
  if (outcome === ALL_INSERTED && unique.length === writes.length) {
    return writes.map((p) => ({ cols: p.cols, condition: conditionColumns(p.key.condition), operation: 'write' }))
  }
  const inserted = outcome === ALL_INSERTED ? new Set(unique.map((p) => p.id)) : outcome

  const applied: Applied[] = []
  const consumed = new Set<string>()
  const existing: Planned[] = []
  for (const p of writes) {
    if (inserted.has(p.id) && !consumed.has(p.id)) {
      consumed.add(p.id)
      applied.push({ cols: p.cols, condition: conditionColumns(p.key.condition), operation: 'write' })
    } else if (onDuplicate === 'error') {
      throw new StoreError(StoreErrorCodes.tupleExists, `cannot write a tuple which already exists: ${describe(p)}`, { tuple: tupleOf(p) })
    } else {
      existing.push(p)
    }
  }
  // 'ignore' is only a no-op for the identical tuple; the stored condition must match too.
  if (existing.length > 0) {
    const stored = await readConditions(tx, storeId, uniqueById(existing))
    for (const p of existing) {
      const [name, context] = conditionColumns(p.key.condition)
      const have = stored.get(p.id)
      if (have === undefined || have[0] !== name || have[1] !== context) {
        throw new StoreError(
          StoreErrorCodes.conditionConflict,
          `a tuple with the same key but a different condition already exists: ${describe(p)}`,
          { tuple: tupleOf(p) },
        )
      }
    }
  }
  return applied
}

async function readConditions(tx: SqlRunner, storeId: string, keys: Planned[]): Promise<Map<string, [string | null, string | null]>> {
  const out = new Map<string, [string | null, string | null]>()
  for (const part of chunks(keys, CHUNK)) {
    const sql = adHoc(
      `SELECT ${TUPLE_COLUMNS} FROM tuples WHERE store_id = $1
       AND (object_type, object_id, relation, subject) IN (VALUES ${rowsSql(part.length, 4, 1)})`,
    )
    const rows = await tx.all<TupleRow>(sql, [storeId, ...part.flatMap((p) => p.cols)])
    for (const row of rows) {
      const key = toTupleKey(row)
      out.set(keyString([row.object_type, row.object_id, row.relation, row.subject]), conditionColumns(key.condition))
    }
  }
  return out
}

async function appendChanges(tx: SqlRunner, storeId: string, revision: number, applied: Applied[], now: number): Promise<void> {
  let ordinal = 0
  for (const part of chunks(applied, CHUNK)) {
    const params: unknown[] = [storeId, revision, now]
    for (const a of part) params.push(ordinal++, a.operation, ...a.cols, ...a.condition)
    const sql = adHoc(
      `INSERT INTO changelog (store_id, revision, created_at, ordinal, operation,
         object_type, object_id, relation, subject, condition_name, condition_context)
       VALUES ${rowsSql(part.length, 8, 3, '$1, $2, $3, ')}`,
    )
    await tx.run(sql, params)
  }
}

function toChange(a: Applied, revision: number, now: number): TupleChange {
  const [objectType, objectId, relation, subject] = a.cols
  const key = toTupleKey({
    object_type: objectType, object_id: objectId, relation, subject,
    condition_name: a.condition[0], condition_context: a.condition[1], created_at: now,
  })
  return { key, operation: a.operation, timestamp: new Date(now), revision }
}

export function uniqueById(items: Planned[]): Planned[] {
  const seen = new Set<string>()
  return items.filter((p) => (seen.has(p.id) ? false : (seen.add(p.id), true)))
}

function describe(p: Planned): string {
  return `${p.key.object}#${p.key.relation}@${p.key.user}`
}
