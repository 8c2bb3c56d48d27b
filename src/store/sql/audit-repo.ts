// The audit log: append-only rows listed newest first with keyset paging on (at, id). Every
// string is made storable rather than rejected (see json-text.ts): an entry recording a hostile
// request must not be lost because of what that request contained.

import { newUlid, validationError } from '../../lib/index.ts'
import type { AuditActorType, AuditEntryInput, AuditFilter, AuditOutcome, AuditRecord, AuditRepo, JsonObject } from '../types.ts'
import { canonicalJson, parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { adHoc, chunks, prepared, rowsSql, type SqlRunner } from './executor.ts'
import { storableJson, storableText } from './json-text.ts'
import { decodeToken, encodeToken } from './tokens.ts'

interface AuditRow {
  id: string
  at: number | string
  actor: string
  actor_type: string
  action: string
  target: string
  outcome: string
  source_ip: string | null
  organization_id: string | null
  details: unknown
  [column: string]: unknown
}

const COLUMNS = 'id, at, actor, actor_type, action, target, outcome, source_ip, organization_id, details'
const WIDTH = 10
/** Rows per INSERT statement in appendMany (10 parameters each). */
const INSERT_CHUNK = 100
/** Rows per DELETE in prune: short statements keep SQLite's write lock and PostgreSQL's WAL bursts small. */
const PRUNE_BATCH = 5000
const MAX_LIMIT = 1000
/** Latest instant a Date can hold; also keeps `at` inside the cursor's integer range. */
const MAX_TIME = 8.64e15

const ACTOR_TYPES: readonly string[] = ['user', 'service', 'system', 'anonymous'] satisfies AuditActorType[]
const OUTCOMES: readonly string[] = ['success', 'denied', 'failure'] satisfies AuditOutcome[]

const INSERT = prepared(`INSERT INTO audit_log (${COLUMNS}) VALUES ${rowsSql(1, WIDTH, 0)}`)
const PRUNE = prepared(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)`)

export function auditRepo(ctx: RepoContext): AuditRepo {
  const { db, clock } = ctx
  return {
    async append(entry) {
      const record = toNewRecord(entry, clock.now())
      await db.run(INSERT, columnsOf(record))
      return record
    },

    async appendMany(entries) {
      const records = auditRecordsOf(entries, clock.now())
      if (records.length === 0) return []
      await db.write((tx) => insertAuditRecords(tx, records))
      return records
    },

    async list(filter) {
      const { limit } = filter
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw validationError(`limit must be an integer from 1 to ${MAX_LIMIT}`)
      if (filter.outcome !== undefined && !OUTCOMES.includes(filter.outcome)) throw validationError(`outcome must be one of ${OUTCOMES.join(', ')}`)
      const where: string[] = []
      const params: unknown[] = []
      const add = (condition: (p: string) => string, value: unknown): void => {
        params.push(value)
        where.push(condition(`$${params.length}`))
      }
      if (filter.action !== undefined) {
        if (filter.action.endsWith('*')) {
          // A range instead of LIKE: uses the index, and needs no escaping of '_' and '%'.
          const prefix = storableText(filter.action.slice(0, -1))
          if (prefix !== '') add((p) => `action >= ${p}`, prefix)
          const end = prefixEnd(prefix)
          if (end !== undefined) add((p) => `action < ${p}`, end)
        } else {
          add((p) => `action = ${p}`, storableText(filter.action))
        }
      }
      if (filter.actor !== undefined) add((p) => `actor = ${p}`, storableText(filter.actor))
      if (filter.target !== undefined) add((p) => `target = ${p}`, storableText(filter.target))
      if (filter.organizationId !== undefined) add((p) => `organization_id = ${p}`, storableText(filter.organizationId))
      if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome)
      if (filter.since !== undefined) add((p) => `at >= ${p}`, timeOf(filter.since, 'since'))
      if (filter.until !== undefined) add((p) => `at < ${p}`, timeOf(filter.until, 'until'))
      const scope = scopeOf(filter)
      if (filter.cursor) {
        const [at, id] = decodeToken('audit', scope, filter.cursor, ['integer', 'string'])
        params.push(at, id)
        where.push(`(at, id) < ($${params.length - 1}, $${params.length})`)
      }
      params.push(limit + 1)
      const sql = `SELECT ${COLUMNS} FROM audit_log ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        ORDER BY at DESC, id DESC LIMIT $${params.length}`
      const rows = await db.all<AuditRow>(prepared(sql), params)
      if (rows.length <= limit) return { entries: rows.map(toRecord) }
      const kept = rows.slice(0, limit)
      const last = kept[kept.length - 1]
      return { entries: kept.map(toRecord), cursor: encodeToken('audit', scope, [Number(last.at), last.id]) }
    },

    async prune(olderThan) {
      const before = timeOf(olderThan, 'olderThan')
      let total = 0
      for (;;) {
        const deleted = await db.run(PRUNE, [before, PRUNE_BATCH])
        total += deleted
        if (deleted < PRUNE_BATCH) return total
      }
    },
  }
}

/**
 * Validates entries and gives each its id, without writing: callers that append audit entries in
 * their own transaction validate first, then pass the records to insertAuditRecords.
 */
export function auditRecordsOf(entries: readonly AuditEntryInput[], now: Date): AuditRecord[] {
  return entries.map((entry) => toNewRecord(entry, now))
}

/** Inserts records from auditRecordsOf on the caller's transaction. */
export async function insertAuditRecords(tx: SqlRunner, records: readonly AuditRecord[]): Promise<void> {
  for (const part of chunks(records, INSERT_CHUNK)) {
    await tx.run(adHoc(`INSERT INTO audit_log (${COLUMNS}) VALUES ${rowsSql(part.length, WIDTH, 0)}`), part.flatMap(columnsOf))
  }
}

function toNewRecord(entry: AuditEntryInput, now: Date): AuditRecord {
  for (const field of ['actor', 'action', 'target'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') throw validationError(`audit ${field} must be a non-empty string`)
  }
  if (!ACTOR_TYPES.includes(entry.actorType)) throw validationError(`actorType must be one of ${ACTOR_TYPES.join(', ')}`)
  if (!OUTCOMES.includes(entry.outcome)) throw validationError(`outcome must be one of ${OUTCOMES.join(', ')}`)
  const at = entry.at ?? now
  const ms = timeOf(at, 'at')
  if (ms < 0) throw validationError('audit entries cannot be dated before 1970')
  // Through JSON first, so details hold exactly what a read returns (Dates as strings, no undefined).
  const details = entry.details === undefined ? {} : storableJson(JSON.parse(JSON.stringify(entry.details)))
  if (details === null || typeof details !== 'object' || Array.isArray(details)) throw validationError('audit details must be a JSON object')
  return {
    id: newUlid(ms),
    at: new Date(ms),
    actor: storableText(entry.actor),
    actorType: entry.actorType,
    action: storableText(entry.action),
    target: storableText(entry.target),
    outcome: entry.outcome,
    sourceIp: entry.sourceIp === undefined ? null : storableText(entry.sourceIp),
    organizationId: entry.organizationId === undefined ? null : storableText(entry.organizationId),
    details: details as JsonObject,
  }
}

function columnsOf(r: AuditRecord): unknown[] {
  const details = Object.keys(r.details).length === 0 ? null : JSON.stringify(r.details)
  return [r.id, r.at.getTime(), r.actor, r.actorType, r.action, r.target, r.outcome, r.sourceIp, r.organizationId, details]
}

function timeOf(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME) throw validationError(`${name} must be a valid date`)
  return ms
}

/** Binds a cursor to the filter that produced it (limit aside: page size may vary). */
function scopeOf(filter: AuditFilter): string {
  const { action, actor, target, organizationId, outcome, since, until } = filter
  return canonicalJson({ action, actor, target, organizationId, outcome, since: since?.getTime(), until: until?.getTime() })
}

/**
 * The least string greater than every string that starts with `prefix`, in code point order
 * (which is UTF-8 byte order: SQLite's BINARY and PostgreSQL's "C" collation). Undefined when
 * no upper bound is needed.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix]
  while (points.length > 0) {
    let next = (points.pop() as string).codePointAt(0)! + 1
    if (next === 0xd800) next = 0xe000
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next)
  }
  return undefined
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    at: new Date(Number(row.at)),
    actor: row.actor,
    actorType: row.actor_type as AuditActorType,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    sourceIp: row.source_ip,
    organizationId: row.organization_id,
    details: row.details === null ? {} : (parseJsonColumn(row.details) as JsonObject),
  }
}
