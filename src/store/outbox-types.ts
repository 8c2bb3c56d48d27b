// The provisioning outbox: one row per delivery of one event to one action of one rule, written
// in the transaction of the change that caused it and delivered at least once by workers that
// lease rows. Rows of one ordering key are delivered in order: a row waits while an older row of
// its key is still pending. Finished rows (done or dead) stay for inspection until pruned.

import type { JsonObject } from './identity-types.ts'
import type { Page } from './types.ts'

export type OutboxState = 'pending' | 'done' | 'dead'

export interface OutboxItemInput {
  /** The event this delivery belongs to (one event fans out to several actions). */
  eventId: string
  /** `<noun>.<past-verb>`, e.g. `user.signed_in`. */
  eventType: string
  /** Who or what the event is about (a user's subject, `project:<id>`): the unit of ordering. */
  subject: string
  /** The downstream target's id (`lab`, `billing`, `store:<id>`). */
  target: string
  /** The rule and action that deliver it, e.g. `personal.incusProject`. Unique per event. */
  action: string
  /** The event as delivered (schema in docs/events.md). */
  payload: JsonObject
}

export interface OutboxAttempt {
  at: Date
  outcome: 'done' | 'retry' | 'dead'
  /** What the downstream system did or said (never secrets). */
  detail: string
  durationMs: number
}

export interface OutboxItem extends OutboxItemInput {
  /** Increasing: the order of enqueueing. */
  id: number
  state: OutboxState
  attempts: number
  nextAttemptAt: Date
  lastError: string | null
  /** The most recent attempts, oldest first (bounded). */
  history: OutboxAttempt[]
  createdAt: Date
  updatedAt: Date
  finishedAt: Date | null
}

export interface OutboxClaimInput {
  /** Identifies the worker; only the lease owner may finish a row. */
  owner: string
  /** How long the row stays leased; an unfinished row is claimable again afterwards. */
  leaseMs: number
  limit: number
}

export interface OutboxFinish {
  owner: string
  attempt: OutboxAttempt
  /** 'retry' needs nextAttemptAt. */
  state: 'done' | 'retry' | 'dead'
  nextAttemptAt?: Date
}

export interface OutboxFilter {
  state?: OutboxState
  target?: string
  subject?: string
  eventType?: string
  eventId?: string
  /** 1..500 */
  limit: number
  /** From a previous page: rows with a smaller id (lists go newest first). */
  continuationToken?: string
}

export interface OutboxStats {
  pending: number
  dead: number
  done: number
  /** Enqueue time of the oldest pending row. */
  oldestPendingAt: Date | null
  byTarget: Array<{ target: string; state: OutboxState; count: number }>
}

export interface OwnedItemsChange {
  /** Owner key, e.g. the rule and action (`personal.groupSync`). */
  owner: string
  subject: string
  add: string[]
  remove: string[]
}

export interface OutboxRepo {
  /** Enqueues in a transaction of its own (most callers pass items to the change's own commit instead). */
  enqueue(items: OutboxItemInput[]): Promise<number[]>
  /**
   * Leases up to `limit` due rows, each the oldest pending row of its ordering key, bumping their
   * attempts. Replicas never lease one row at the same time.
   */
  claim(input: OutboxClaimInput): Promise<OutboxItem[]>
  /** Extends the leases `owner` holds on these rows (a delivery still running); returns how many it still held. */
  renew(ids: readonly number[], owner: string, leaseMs: number): Promise<number>
  /** Records an attempt's outcome; false when the lease was lost (another worker owns it now). */
  finish(id: number, input: OutboxFinish): Promise<boolean>
  get(id: number): Promise<OutboxItem | undefined>
  /** Newest first. */
  list(filter: OutboxFilter): Promise<Page<OutboxItem>>
  /**
   * Makes finished rows pending again, due now, with attempts reset: one row by id, or every dead
   * row (of one target when given). Returns how many.
   */
  replay(selector: { id: number } | { state: 'dead'; target?: string }): Promise<number>
  stats(): Promise<OutboxStats>
  /** Deletes done rows finished before `before`; returns how many. */
  prune(before: Date): Promise<number>
  /** What an action created downstream for a subject (so it removes only what it made). */
  owned(owner: string, subject: string): Promise<string[]>
  changeOwned(change: OwnedItemsChange): Promise<void>
}

export interface OutboxPage extends Page<OutboxItem> {}
