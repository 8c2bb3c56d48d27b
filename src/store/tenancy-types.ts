// The tenancy part of the storage contract: organizations, roles, groups, projects, service
// accounts and global bindings as validated JSON documents, plus each user's upstream groups.
// Meaning and validation live above the store; the store keeps records, enforces unique names,
// and commits record changes, their relationship tuples and audit entries in one transaction.

import type { AuditEntryInput } from './audit-types.ts'
import type { JsonObject } from './identity-types.ts'
import type { OutboxItemInput } from './outbox-types.ts'
import type { TupleKey } from './types.ts'

/**
 * One tenancy record. `(kind, scope, name)` is unique: `scope` is the owning organization's id for
 * records that live in one (groups, projects, service accounts) and '' for global ones.
 * Derived uniqueness (email domains, namespace slugs) is kept by extra records of their own kind.
 */
export interface TenancyRecord {
  kind: string
  id: string
  scope: string
  name: string
  /** Strings must not contain U+0000 or lone surrogates. */
  data: JsonObject
}

/** Tuples of the system store that change together with the records. */
export interface TenancyTupleChange {
  storeId: string
  writes: TupleKey[]
  deletes: TupleKey[]
}

export interface TenancyCommit {
  /**
   * The tenancy revision the change was computed from. When the stored revision differs, nothing
   * changes and commit fails with StoreError `version_conflict` (the caller reloads and recomputes).
   */
  expectedRevision: number
  /**
   * Inserted or replaced by (kind, id); of several puts of one (kind, id) the last wins. Names are
   * checked against the state after the commit, so one commit may swap or reuse names.
   */
  put: TenancyRecord[]
  /** Removed by (kind, id); missing ones are ignored. Applied before `put`. */
  remove: Array<{ kind: string; id: string }>
  /**
   * Written with onDuplicate/onMissing 'ignore' (the mirror converges whatever it held). An unknown
   * or deleted store fails the commit with `store_not_found`.
   */
  tuples?: TenancyTupleChange
  audit?: AuditEntryInput[]
  /** Provisioning events the change causes, enqueued in its transaction. */
  outbox?: OutboxItemInput[]
}

export interface TenancySnapshot {
  revision: number
  /** Every record, ordered by kind then id. */
  records: TenancyRecord[]
}

export interface UpstreamGroupsRecord {
  subject: string
  /** Sorted, distinct. */
  groups: string[]
  updatedAt: Date
}

export interface ReplaceUpstreamGroupsInput {
  subject: string
  /** The user's current upstream groups (qualified names); stored sorted and distinct. */
  groups: string[]
  /** The system store the membership tuples live in. */
  storeId: string
  /** The membership tuple of one upstream group. */
  tupleFor(group: string): TupleKey
  /** An audit entry for a change (called only when the set changed, inside the transaction). */
  audit(added: string[], removed: string[]): AuditEntryInput
  /** Provisioning events of this sign-in, enqueued in its transaction whether or not the groups changed. */
  outbox?: OutboxItemInput[]
}

export interface TenancyRepo {
  /** Every record and the revision they reflect, read in one snapshot. */
  load(): Promise<TenancySnapshot>
  /** Starts at 0; +1 on every commit. Bumped in the same transaction as the change. */
  revision(): Promise<number>
  /**
   * One transaction: checks the revision, removes then puts records, writes the tuples under the
   * system store's next revision (when any apply), appends the audit entries, and bumps the
   * tenancy revision. Fails with `version_conflict` (revision moved) or `already_exists` (a unique name
   * taken), changing nothing. Returns the new tenancy revision.
   */
  commit(change: TenancyCommit): Promise<number>
  upstreamGroups(subject: string): Promise<UpstreamGroupsRecord | undefined>
  /**
   * Reconciles a user's upstream groups in one transaction: tuples for new groups written, for
   * stale ones deleted, an audit entry when anything changed. Does not bump the tenancy revision.
   * A first sync without groups stores nothing. Concurrent calls for one subject run one after
   * another. Returns what was added and removed (each sorted).
   */
  replaceUpstreamGroups(input: ReplaceUpstreamGroupsInput): Promise<{ added: string[]; removed: string[] }>
}
