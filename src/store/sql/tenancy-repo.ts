// Tenancy records: validated JSON documents committed together with their relationship tuples
// and audit entries. Commits compare-and-set one revision row first: on PostgreSQL its row lock
// makes commits run one after another (a waiting commit then finds the revision moved), so the
// name checks below never race another commit.
//
// Puts are applied as delete-then-insert rather than an upsert: a commit that swaps two names
// would otherwise trip the (kind, scope, name) constraint on its first row, which both databases
// check row by row. ON CONFLICT DO NOTHING reports a taken name without raising a database
// error, which on PostgreSQL would also abort the transaction.

import { validationError } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { JsonObject, TenancyCommit, TenancyRecord, TenancyRepo, WriteResult } from '../types.ts'
import { auditRecordsOf, insertAuditRecords } from './audit-repo.ts'
import { canonicalJson, parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { adHoc, chunks, prepared, rowsSql, type SqlRunner } from './executor.ts'
import { unstorableString } from './json-text.ts'
import { insertOutboxItems, validateOutboxItems } from './outbox-repo.ts'
import { keyString } from './rows.ts'
import { readUpstreamGroups, replaceUpstreamGroups } from './upstream-groups.ts'
import { writeTuplesInTx } from './tuples-write.ts'

interface RecordRow {
  kind: string
  id: string
  scope: string
  name: string
  data: unknown
  [column: string]: unknown
}

const COLUMNS = 'kind, id, scope, name, data'
/** Rows per multi-row statement (5 parameters each). */
const CHUNK = 200

const REVISION = prepared('SELECT revision FROM tenancy_revision WHERE singleton = 1')
const BUMP = prepared('UPDATE tenancy_revision SET revision = revision + 1 WHERE singleton = 1 AND revision = $1 RETURNING revision')
const LOAD = prepared(`SELECT ${COLUMNS} FROM tenancy_records ORDER BY kind, id`)

type RecordKey = { kind: string; id: string }

export function tenancyRepo(ctx: RepoContext): TenancyRepo {
  const { db, clock } = ctx
  return {
    load() {
      return db.read(async (tx) => {
        const revision = await currentRevision(tx)
        const rows = await tx.all<RecordRow>(LOAD)
        return { revision, records: rows.map(toRecord) }
      })
    },

    revision: () => currentRevision(db),

    async commit(change) {
      const { puts, removes } = validateCommit(change)
      // Validated before the transaction; ids stay fixed across PostgreSQL's retries of it.
      const audit = auditRecordsOf(change.audit ?? [], clock.now())
      const tuples = change.tuples
      const outbox = validateOutboxItems(change.outbox ?? [])
      const { revision, written } = await db.write(async (tx) => {
        const bumped = await tx.all(BUMP, [change.expectedRevision])
        if (bumped.length === 0) {
          const stored = await currentRevision(tx)
          throw new StoreError(
            StoreErrorCodes.versionConflict,
            `the tenancy revision is ${stored}, not ${change.expectedRevision}; reload and recompute the change`,
          )
        }
        await deleteRecords(tx, [...removes, ...puts])
        await insertRecords(tx, puts)
        let written: WriteResult | undefined
        if (tuples !== undefined) {
          written = await writeTuplesInTx(ctx, tx, tuples.storeId, {
            writes: tuples.writes, deletes: tuples.deletes, onDuplicate: 'ignore', onMissing: 'ignore',
          })
        }
        await insertAuditRecords(tx, audit)
        await insertOutboxItems(tx, outbox, clock.now())
        return { revision: Number(bumped[0].revision), written }
      })
      if (tuples !== undefined && written !== undefined && written.applied.length > 0) ctx.changes.emit(tuples.storeId, written.revision)
      return revision
    },

    upstreamGroups: (subject) => readUpstreamGroups(ctx, subject),
    replaceUpstreamGroups: (input) => replaceUpstreamGroups(ctx, input),
  }
}

async function currentRevision(runner: SqlRunner): Promise<number> {
  return Number((await runner.all(REVISION))[0].revision)
}

async function deleteRecords(tx: SqlRunner, keys: RecordKey[]): Promise<void> {
  for (const part of chunks(keys, CHUNK)) {
    const sql = adHoc(`DELETE FROM tenancy_records WHERE (kind, id) IN (VALUES ${rowsSql(part.length, 2, 0)})`)
    await tx.run(sql, part.flatMap((k) => [k.kind, k.id]))
  }
}

async function insertRecords(tx: SqlRunner, records: TenancyRecord[]): Promise<void> {
  const inserted = new Set<string>()
  for (const part of chunks(records, CHUNK)) {
    // No conflict target: the only conflict left after deleteRecords is a taken (kind, scope, name).
    const sql = adHoc(`INSERT INTO tenancy_records (${COLUMNS}) VALUES ${rowsSql(part.length, 5, 0)} ON CONFLICT DO NOTHING RETURNING kind, id`)
    const rows = await tx.all(sql, part.flatMap((r) => [r.kind, r.id, r.scope, r.name, canonicalJson(r.data)]))
    for (const row of rows) inserted.add(keyString([row.kind, row.id]))
  }
  const refused = records.find((r) => !inserted.has(keyString([r.kind, r.id])))
  if (refused !== undefined) {
    const where = refused.scope === '' ? '' : ` in scope "${refused.scope}"`
    throw new StoreError(StoreErrorCodes.alreadyExists, `a ${refused.kind} named "${refused.name}"${where} already exists`)
  }
}

/** Checks the whole commit before any statement runs; returns puts with the last of each (kind, id) kept. */
function validateCommit(change: TenancyCommit): { puts: TenancyRecord[]; removes: RecordKey[] } {
  const expected = change.expectedRevision
  if (!(Number.isSafeInteger(expected) && expected >= 0)) throw validationError('expectedRevision must be a non-negative integer')
  if (!Array.isArray(change.put) || !Array.isArray(change.remove)) throw validationError('put and remove must be arrays')
  const removes = change.remove.map((key) => {
    checkText(key.kind, 'record kind', false)
    checkText(key.id, 'record id', false)
    return { kind: key.kind, id: key.id }
  })
  const puts = new Map<string, TenancyRecord>()
  for (const record of change.put) {
    checkText(record.kind, 'record kind', false)
    checkText(record.id, 'record id', false)
    checkText(record.scope, 'record scope', true)
    checkText(record.name, 'record name', true)
    const data: unknown = record.data
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw validationError('record data must be a JSON object')
    if (unstorableString(data) !== undefined) throw validationError('record data must not contain U+0000 or lone surrogates in its strings')
    puts.set(keyString([record.kind, record.id]), { kind: record.kind, id: record.id, scope: record.scope, name: record.name, data: record.data })
  }
  const tuples = change.tuples
  if (tuples !== undefined) {
    checkText(tuples.storeId, 'tuples storeId', false)
    if (!Array.isArray(tuples.writes) || !Array.isArray(tuples.deletes)) throw validationError('tuple writes and deletes must be arrays')
  }
  return { puts: [...puts.values()], removes }
}

function checkText(value: unknown, what: string, emptyAllowed: boolean): void {
  if (typeof value !== 'string' || (!emptyAllowed && value === '') || unstorableString(value) !== undefined) {
    throw validationError(`${what} must be a ${emptyAllowed ? '' : 'non-empty '}string without U+0000 or lone surrogates`)
  }
}

function toRecord(row: RecordRow): TenancyRecord {
  return { kind: row.kind, id: row.id, scope: row.scope, name: row.name, data: parseJsonColumn(row.data) as JsonObject }
}
