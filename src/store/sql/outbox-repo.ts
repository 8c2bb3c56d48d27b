// The provisioning outbox on both backends. Workers lease due rows: each the oldest pending row
// of its ordering key, so one subject's events reach one action in order while other subjects'
// go on. On PostgreSQL, FOR UPDATE SKIP LOCKED keeps replicas from leasing one row twice; on
// SQLite the single writer does. Finishing requires the lease: a worker whose lease ran out (and
// whose row another worker took) cannot overwrite the newer outcome.

import { validationError } from '../../lib/index.ts'
import type { JsonObject, OutboxAttempt, OutboxFinish, OutboxItem, OutboxItemInput, OutboxRepo, OutboxState } from '../types.ts'
import { parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { adHoc, prepared, type SqlRunner } from './executor.ts'
import { storableJson, storableText } from './json-text.ts'
import { decodeToken, encodeToken } from './tokens.ts'

interface PendingFinish {
  id: number
  input: OutboxFinish
  resolve(finished: boolean): void
  reject(err: unknown): void
}

interface OutboxRow {
  id: number | string
  event_id: string
  event_type: string
  subject: string
  target: string
  action: string
  payload: unknown
  state: string
  attempts: number | string
  next_attempt_at: number | string
  last_error: string | null
  history: unknown
  created_at: number | string
  updated_at: number | string
  finished_at: number | string | null
  [column: string]: unknown
}

const COLUMNS = 'id, event_id, event_type, subject, target, action, payload, state, attempts, next_attempt_at, last_error, history, created_at, updated_at, finished_at'
const INSERT_COLUMNS = 'event_id, event_type, subject, target, action, ordering_key, payload, state, next_attempt_at, created_at, updated_at'
const INSERT = prepared(`INSERT INTO outbox (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10) RETURNING id`)
/** Attempts kept per row for inspection. */
const HISTORY = 20
const MAX_LIST = 500
const MAX_CLAIM = 1000

const claimSql = (dialect: 'sqlite' | 'postgres') => prepared(
  `UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3
   WHERE id IN (
     SELECT o.id FROM outbox o
     WHERE o.state = 'pending' AND o.next_attempt_at <= $3 AND (o.lease_until IS NULL OR o.lease_until <= $3)
       AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.state = 'pending' AND p.id < o.id)
     ORDER BY o.id LIMIT $4${dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''})
   RETURNING ${COLUMNS}`,
)
const LEASED = prepared('SELECT history FROM outbox WHERE id = $1 AND lease_owner = $2 AND state = \'pending\'')
const FINISH = prepared(
  `UPDATE outbox SET state = $3, next_attempt_at = $4, lease_owner = NULL, lease_until = NULL, last_error = $5,
     history = $6, updated_at = $7, finished_at = $8
   WHERE id = $1 AND lease_owner = $2`,
)
const GET = prepared(`SELECT ${COLUMNS} FROM outbox WHERE id = $1`)
const REPLAY_ONE = prepared(
  `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $2, lease_owner = NULL, lease_until = NULL,
     finished_at = NULL, updated_at = $2 WHERE id = $1 AND state <> 'pending'`,
)
const REPLAY_DEAD = prepared(
  `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL, lease_until = NULL,
     finished_at = NULL, updated_at = $1 WHERE state = 'dead' AND ($2 = '' OR target = $2)`,
)
const COUNTS = prepared('SELECT target, state, COUNT(*) AS n FROM outbox GROUP BY target, state ORDER BY target, state')
const OLDEST = prepared("SELECT MIN(created_at) AS at FROM outbox WHERE state = 'pending'")
const PRUNE = prepared("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'done' AND finished_at < $1 LIMIT 5000)")
const OWNED = prepared('SELECT item FROM provisioning_owned WHERE owner = $1 AND subject = $2 ORDER BY item')
const OWN = prepared('INSERT INTO provisioning_owned (owner, subject, item) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING')
const DISOWN = prepared('DELETE FROM provisioning_owned WHERE owner = $1 AND subject = $2 AND item = $3')

const STATES: readonly string[] = ['pending', 'done', 'dead'] satisfies OutboxState[]

/** Inserts outbox rows inside the caller's transaction (the change that causes the events). */
export async function insertOutboxItems(tx: SqlRunner, items: readonly OutboxItemInput[], now: Date): Promise<number[]> {
  const ids: number[] = []
  for (const item of items) {
    const rows = await tx.all<{ id: number | string }>(INSERT, [
      storableText(item.eventId), storableText(item.eventType), storableText(item.subject), storableText(item.target),
      storableText(item.action), JSON.stringify([storableText(item.target), storableText(item.subject)]),
      JSON.stringify(storableJson(item.payload)), now.getTime(), now.getTime(), now.getTime(),
    ])
    ids.push(Number(rows[0].id))
  }
  return ids
}

export function validateOutboxItems(items: unknown): OutboxItemInput[] {
  if (!Array.isArray(items)) throw validationError('outbox items must be an array')
  for (const item of items as OutboxItemInput[]) {
    for (const field of ['eventId', 'eventType', 'subject', 'target', 'action'] as const) {
      if (typeof item?.[field] !== 'string' || item[field] === '') throw validationError(`outbox item ${field} must be a non-empty string`)
    }
    if (item.payload === null || typeof item.payload !== 'object' || Array.isArray(item.payload)) throw validationError('outbox item payload must be an object')
  }
  return items as OutboxItemInput[]
}

export function outboxRepo(ctx: RepoContext): OutboxRepo {
  const { db, clock } = ctx
  const claim = claimSql(db.dialect)

  /** One row's outcome, if the caller still holds its lease. */
  async function finishRow(tx: SqlRunner, id: number, input: OutboxFinish, now: number): Promise<boolean> {
    const leased = await tx.all<{ history: unknown }>(LEASED, [id, input.owner])
    if (leased.length === 0) return false
    const history = [...(parseJsonColumn(leased[0].history) as unknown[]), attemptJson(input.attempt)].slice(-HISTORY)
    const state = input.state === 'retry' ? 'pending' : input.state
    const next = input.state === 'retry' ? (input.nextAttemptAt ?? new Date(now)).getTime() : now
    const error = input.state === 'done' ? null : storableText(input.attempt.detail)
    const finished = state === 'pending' ? null : now
    return (await tx.run(FINISH, [id, input.owner, state, next, error, JSON.stringify(history), now, finished])) > 0
  }

  // Group commit: the outcomes that arrive in one turn of the event loop, or while the previous
  // group is being written, are written in one transaction. A commit (the WAL frames of the row
  // and its indexes) costs more than the rows' statements; a worker finishing a few deliveries at
  // once pays it once. Each row still needs its own lease, and each caller learns its own result
  // only once its row is committed. Should a group fail, its rows are retried one transaction
  // each, so a bad row fails alone, as it would without grouping.
  let finishing: PendingFinish[] = []
  let flushing = false
  function flushFinishes(): void {
    const group = finishing
    finishing = []
    flushing = true
    const write = (rows: PendingFinish[]) => {
      const now = clock.now().getTime()
      return db.write(async (tx) => {
        const results: boolean[] = []
        for (const f of rows) results.push(await finishRow(tx, f.id, f.input, now))
        return results
      })
    }
    const settle = (rows: PendingFinish[], results: boolean[]) => rows.forEach((f, i) => f.resolve(results[i]))
    write(group)
      .then(
        (results) => settle(group, results),
        () => Promise.all(group.map((f) => write([f]).then((results) => settle([f], results), f.reject))),
      )
      .finally(() => {
        flushing = false
        if (finishing.length > 0) setImmediate(flushFinishes)
      })
  }

  return {
    async enqueue(items) {
      const valid = validateOutboxItems(items)
      if (valid.length === 0) return []
      return db.write((tx) => insertOutboxItems(tx, valid, clock.now()))
    },

    async claim({ owner, leaseMs, limit }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CLAIM) throw validationError(`limit must be an integer from 1 to ${MAX_CLAIM}`)
      const now = clock.now().getTime()
      const rows = await db.write((tx) => tx.all<OutboxRow>(claim, [owner, now + leaseMs, now, limit]))
      return rows.map(toItem).sort((a, b) => a.id - b.id)
    },

    async renew(ids, owner, leaseMs) {
      if (ids.length === 0) return 0
      const until = clock.now().getTime() + leaseMs
      const marks = ids.map((_, i) => `$${i + 3}`).join(', ')
      return db.run(adHoc(`UPDATE outbox SET lease_until = $1 WHERE lease_owner = $2 AND state = 'pending' AND id IN (${marks})`), [until, owner, ...ids])
    },

    finish(id, input) {
      return new Promise<boolean>((resolve, reject) => {
        finishing.push({ id, input, resolve, reject })
        if (finishing.length === 1 && !flushing) setImmediate(flushFinishes)
      })
    },

    async get(id) {
      if (!Number.isSafeInteger(id) || id < 1) return undefined
      const rows = await db.all<OutboxRow>(GET, [id])
      return rows.length === 0 ? undefined : toItem(rows[0])
    },

    async list(filter) {
      const { limit } = filter
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) throw validationError(`limit must be an integer from 1 to ${MAX_LIST}`)
      if (filter.state !== undefined && !STATES.includes(filter.state)) throw validationError(`state must be one of ${STATES.join(', ')}`)
      const where: string[] = []
      const params: unknown[] = []
      const add = (column: string, value: unknown): void => {
        params.push(value)
        where.push(`${column} = $${params.length}`)
      }
      if (filter.state !== undefined) add('state', filter.state)
      if (filter.target !== undefined) add('target', storableText(filter.target))
      if (filter.subject !== undefined) add('subject', storableText(filter.subject))
      if (filter.eventType !== undefined) add('event_type', storableText(filter.eventType))
      if (filter.eventId !== undefined) add('event_id', storableText(filter.eventId))
      const scope = JSON.stringify([filter.state, filter.target, filter.subject, filter.eventType, filter.eventId])
      if (filter.continuationToken) {
        const [before] = decodeToken('outbox', scope, filter.continuationToken, ['integer'])
        params.push(before)
        where.push(`id < $${params.length}`)
      }
      params.push(limit + 1)
      const text = `SELECT ${COLUMNS} FROM outbox${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`
      const rows = await db.all<OutboxRow>(adHoc(text), params)
      const more = rows.length > limit
      const items = rows.slice(0, limit).map(toItem)
      return { items, continuationToken: more ? encodeToken('outbox', scope, [items[items.length - 1].id]) : '' }
    },

    async replay(selector) {
      const now = clock.now().getTime()
      if ('id' in selector) return db.run(REPLAY_ONE, [selector.id, now])
      return db.run(REPLAY_DEAD, [now, selector.target ?? ''])
    },

    async stats() {
      return db.read(async (tx) => {
        const counts = await tx.all<{ target: string; state: string; n: number | string }>(COUNTS)
        const oldest = await tx.all<{ at: number | string | null }>(OLDEST)
        const total = (state: string) => counts.filter((c) => c.state === state).reduce((sum, c) => sum + Number(c.n), 0)
        return {
          pending: total('pending'), dead: total('dead'), done: total('done'),
          oldestPendingAt: oldest[0]?.at == null ? null : new Date(Number(oldest[0].at)),
          byTarget: counts.map((c) => ({ target: c.target, state: c.state as OutboxState, count: Number(c.n) })),
        }
      })
    },

    async prune(before) {
      let total = 0
      for (;;) {
        const n = await db.run(PRUNE, [before.getTime()])
        total += n
        if (n < 5000) return total
      }
    },

    async owned(owner, subject) {
      return (await db.all<{ item: string }>(OWNED, [owner, subject])).map((r) => r.item)
    },

    async changeOwned({ owner, subject, add, remove }) {
      if (add.length === 0 && remove.length === 0) return
      await db.write(async (tx) => {
        for (const item of remove) await tx.run(DISOWN, [owner, subject, storableText(item)])
        for (const item of add) await tx.run(OWN, [owner, subject, storableText(item)])
      })
    },
  }
}

function attemptJson(a: OutboxAttempt): JsonObject {
  return { at: a.at.getTime(), outcome: a.outcome, detail: storableText(a.detail.slice(0, 2000)), durationMs: Math.round(a.durationMs) }
}

function toItem(row: OutboxRow): OutboxItem {
  const history = (parseJsonColumn(row.history) as Array<{ at: number; outcome: OutboxAttempt['outcome']; detail: string; durationMs: number }>)
    .map((h) => ({ at: new Date(h.at), outcome: h.outcome, detail: h.detail, durationMs: h.durationMs }))
  return {
    id: Number(row.id),
    eventId: row.event_id,
    eventType: row.event_type,
    subject: row.subject,
    target: row.target,
    action: row.action,
    payload: parseJsonColumn(row.payload) as JsonObject,
    state: row.state as OutboxState,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(Number(row.next_attempt_at)),
    lastError: row.last_error,
    history,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)),
  }
}
