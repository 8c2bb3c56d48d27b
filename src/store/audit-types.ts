// The audit part of the storage contract: one append-only log for security-relevant events
// (forward-auth denials, tenancy changes). Never consulted for authorization.

import type { JsonObject } from './identity-types.ts'

export type AuditActorType = 'user' | 'service' | 'system' | 'anonymous'

export type AuditOutcome = 'success' | 'denied' | 'failure'

/**
 * Strings may come from untrusted requests: U+0000 and lone surrogates (which PostgreSQL cannot
 * store) are replaced with U+FFFD in every field and in details, on both backends, so an entry
 * is never lost to its content.
 */
export interface AuditEntryInput {
  /** Defaults to the store clock's now. */
  at?: Date
  /** A subject, a client id, or 'system'. Non-empty. */
  actor: string
  actorType: AuditActorType
  /** Dotted, e.g. 'forward_auth.deny', 'organization.create'. Non-empty. */
  action: string
  /** `type:id`, e.g. 'application:grafana'. Non-empty. */
  target: string
  outcome: AuditOutcome
  sourceIp?: string
  organizationId?: string
  details?: JsonObject
}

export interface AuditRecord {
  /** A ULID; among entries with equal `at`, a later append has a greater id. */
  id: string
  at: Date
  actor: string
  actorType: AuditActorType
  action: string
  target: string
  outcome: AuditOutcome
  sourceIp: string | null
  organizationId: string | null
  /** {} when none were given. */
  details: JsonObject
}

export interface AuditFilter {
  /** Exact match, or a prefix when it ends with '*' ('forward_auth.*'; '*' alone matches all). */
  action?: string
  actor?: string
  target?: string
  organizationId?: string
  outcome?: AuditOutcome
  /** Entries at or after this instant. */
  since?: Date
  /** Entries strictly before this instant. */
  until?: Date
  /** An integer in 1..1000, else validation_error. */
  limit: number
  /**
   * From a previous page of the same filter (a cursor from another filter is rejected with
   * invalid_continuation_token). Entries appended after the first page never shift later pages.
   */
  cursor?: string
}

export interface AuditPage {
  /** Newest first: by `at`, then by id. */
  entries: AuditRecord[]
  /** Absent when there are no more entries. */
  cursor?: string
}

export interface AuditRepo {
  append(entry: AuditEntryInput): Promise<AuditRecord>
  /** All or nothing, in one transaction; records in input order. */
  appendMany(entries: readonly AuditEntryInput[]): Promise<AuditRecord[]>
  list(filter: AuditFilter): Promise<AuditPage>
  /** Deletes entries strictly older than `olderThan`; returns how many. */
  prune(olderThan: Date): Promise<number>
}
