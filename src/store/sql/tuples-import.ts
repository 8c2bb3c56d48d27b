// tuples.import: a write-only tuples.write for bulk loads, one revision per call, with the insert
// each database does fastest. SQLite: one prepared single-row INSERT reused for every row (no
// network, so a statement per row costs only the binding; RETURNING would cost more than it
// saves). PostgreSQL: one prepared INSERT ... SELECT FROM unnest(arrays) per call, so the whole
// batch is one round trip and one plan, without ON CONFLICT unless a stored key is met; which rows
// went in is read back only when not all did. Either way the changelog is copied from the
// inserted rows in one statement instead of being bound row by row.
import type { ImportTuplesInput, WriteResult } from '../types.ts'
import type { RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { conditionColumns, keyString } from './rows.ts'
import { ALL_INSERTED, writeTuples, type Planned, type TupleInserter } from './tuples-write.ts'

const INSERT_ONE = prepared(
  `INSERT INTO tuples (store_id, created_at, write_revision, write_ordinal, object_type, object_id, relation, subject, condition_name, condition_context)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
   ON CONFLICT (store_id, object_type, object_id, relation, subject) DO NOTHING`,
)

const insertRowByRow: TupleInserter = async (tx, storeId, rows, now, revision) => {
  const inserted = new Set<string>()
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]
    const changed = await tx.run(INSERT_ONE, [storeId, now, revision, i, ...p.cols, ...conditionColumns(p.key.condition)])
    if (changed > 0) inserted.add(p.id)
  }
  return inserted.size === rows.length ? ALL_INSERTED : inserted
}

const UNNEST_INSERT = `INSERT INTO tuples (store_id, created_at, write_revision, write_ordinal, object_type, object_id, relation, subject, condition_name, condition_context)
   SELECT $1, $2, $3, r.ordinal, r.object_type, r.object_id, r.relation, r.subject, r.condition_name, r.condition_context::jsonb
   FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
     AS r (ordinal, object_type, object_id, relation, subject, condition_name, condition_context)`
const INSERT_UNNEST = prepared(UNNEST_INSERT)
const INSERT_UNNEST_NEW_ONLY = prepared(`${UNNEST_INSERT}
   ON CONFLICT (store_id, object_type, object_id, relation, subject) DO NOTHING`)
// The rows this revision inserted: asked only when some were already there.
const INSERTED = prepared('SELECT object_type, object_id, relation, subject FROM tuples WHERE store_id = $1 AND write_revision = $2')
// PostgreSQL's SQLSTATE for a duplicate key (this inserter runs on PostgreSQL only).
const UNIQUE_VIOLATION = '23505'

/** One PostgreSQL array literal element: NULL, or the text double-quoted with \\ and " escaped. */
function arrayElement(value: string | null): string {
  if (value === null) return 'NULL'
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`
}
const NEEDS_ESCAPE = /["\\]/
const ESCAPED = /["\\]/g

/**
 * The batch as seven array literals (ordinal, the key columns, the condition columns), written
 * here rather than by the driver: it would escape every element with two regular expressions.
 */
function columnArrays(rows: Planned[]): string[] {
  const ordinals: string[] = []
  const cells: string[][] = [[], [], [], [], [], []]
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]
    const [name, context] = conditionColumns(p.key.condition)
    ordinals.push(String(i))
    for (let c = 0; c < 4; c++) cells[c].push(arrayElement(p.cols[c]))
    cells[4].push(arrayElement(name))
    cells[5].push(arrayElement(context))
  }
  return [`{${ordinals.join(',')}}`, ...cells.map((column) => `{${column.join(',')}}`)]
}

const insertArrays: TupleInserter = async (tx, storeId, rows, now, revision) => {
  const columns = columnArrays(rows)
  const params = [storeId, now, revision, ...columns]
  // A plain INSERT first: ON CONFLICT's speculative insertion cost about a fifth of the insert,
  // and a load usually holds no tuple already stored. One that does fails on its first stored key
  // and is rolled back to the savepoint, then inserted again skipping stored keys.
  await tx.exec('SAVEPOINT import_batch')
  try {
    await tx.run(INSERT_UNNEST, params)
    return ALL_INSERTED
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err
    await tx.exec('ROLLBACK TO SAVEPOINT import_batch')
  }
  // RETURNING would cost about a third of the insert; the count tells whether every row went in.
  const changed = await tx.run(INSERT_UNNEST_NEW_ONLY, params)
  if (changed === rows.length) return ALL_INSERTED
  const inserted = await tx.all(INSERTED, [storeId, revision])
  return new Set(inserted.map((row) => keyString([row.object_type, row.object_id, row.relation, row.subject])))
}

export function importTuples(ctx: RepoContext, storeId: string, input: ImportTuplesInput): Promise<WriteResult> {
  const insert = ctx.db.dialect === 'sqlite' ? insertRowByRow : insertArrays
  return writeTuples(ctx, storeId, { writes: input.writes, deletes: [], onDuplicate: input.onDuplicate, onMissing: 'error' }, { insert, changesFromRows: true })
}
