// The storage contract. Both backends (SQLite, PostgreSQL) implement it and pass one conformance
// suite. The tenant (store id) is always an argument; every write is one transaction.

import type { AuditRepo } from './audit-types.ts'
import type { ForwardAuthAppsRepo } from './forward-auth-types.ts'
import type { LocalAccountsRepo, LocalMfaRepo, OidcArtifactsRepo, OidcClientsRepo, SigningKeysRepo, UserRecordsRepo } from './identity-types.ts'
import type { OutboxRepo } from './outbox-types.ts'
import type { TenancyRepo } from './tenancy-types.ts'

export type * from './identity-types.ts'
export type * from './forward-auth-types.ts'
export type * from './audit-types.ts'
export type * from './tenancy-types.ts'
export type * from './outbox-types.ts'

/** An OpenFGA store (tenant of the relationship engine). */
export interface StoreInfo {
  id: string
  name: string
  createdAt: Date
  updatedAt: Date
  deletedAt: Date | null
}

export interface TupleCondition {
  name: string
  /** Condition parameters bound at write time; absent or {} when none. */
  context?: Record<string, unknown>
}

/** `object` is `type:id`; `user` is `type:id`, `type:*` or `type:id#relation`. */
export interface TupleKey {
  object: string
  relation: string
  user: string
  condition?: TupleCondition
}

export interface StoredTuple {
  key: TupleKey
  timestamp: Date
}

export type TupleOperation = 'write' | 'delete'

export interface TupleChange {
  key: TupleKey
  operation: TupleOperation
  timestamp: Date
  /** Per-store revision of the write transaction that made this change. */
  revision: number
}

/** A stored authorization model in OpenFGA's JSON form (schema_version, type_definitions, conditions). */
export interface ModelRecord {
  id: string
  storeId: string
  model: AuthorizationModelJson
  createdAt: Date
}

export interface AuthorizationModelJson {
  schema_version: string
  type_definitions: unknown[]
  conditions?: Record<string, unknown>
}

/** One assertion as OpenFGA's WriteAssertions body carries it; stored verbatim per model. */
export type AssertionJson = Record<string, unknown>

export interface PageRequest {
  /** 1..100; callers validate. */
  pageSize: number
  /** Opaque token from a previous page; '' or undefined = first page. */
  continuationToken?: string
}

export interface Page<T> {
  items: T[]
  /** '' when there are no more items. */
  continuationToken: string
}

/**
 * Filter for Read: all fields optional. `objectType` alone lists a type; `objectId` requires
 * `objectType`. `user` matches the tuple's user string exactly (`user:anne`, `group:x#member`,
 * `user:*`); a user given as just `type:` matches every user of that type.
 */
export interface TupleFilter {
  objectType?: string
  objectId?: string
  relation?: string
  user?: string
}

export interface WriteTuplesInput {
  writes: TupleKey[]
  deletes: TupleKey[]
  /** 'error': writing an existing tuple fails the whole write; 'ignore': identical tuple is a no-op. */
  onDuplicate: 'error' | 'ignore'
  /** 'error': deleting a missing tuple fails the whole write; 'ignore': no-op. */
  onMissing: 'error' | 'ignore'
}

/** A bulk write: tuples only, no deletes. */
export interface ImportTuplesInput {
  writes: TupleKey[]
  /** As WriteTuplesInput.onDuplicate. */
  onDuplicate: 'error' | 'ignore'
}

export interface WriteResult {
  /** Revision after the write (unchanged when everything was a no-op). */
  revision: number
  /** The changes actually applied, in order (no-ops excluded). */
  applied: TupleChange[]
}

export interface ChangesQuery {
  /** Only changes whose object type equals this. */
  objectType?: string
  pageSize: number
  continuationToken?: string
  /** Changes at or after this time (ignored when a token is given). */
  startTime?: Date
}

/** A consistent snapshot of a store's tuples and the revision it reflects. */
export interface TupleSnapshot {
  revision: number
  tuples: TupleKey[]
}

/** One page of a store's live tuples in key order; `next` resumes after it (undefined: the end). */
export interface TupleScanPage {
  tuples: TupleKey[]
  next: string | undefined
}

// ---- role interfaces ----

export interface StoresRepo {
  create(input: { id: string; name: string }): Promise<StoreInfo>
  /** Returns null for unknown or deleted stores. */
  get(id: string): Promise<StoreInfo | null>
  /** Non-deleted stores, oldest first; `name` is an exact-match filter. */
  list(page: PageRequest, name?: string): Promise<Page<StoreInfo>>
  /**
   * Soft delete; returns false if the store did not exist or was already deleted. A deletion is
   * announced like a write (onChange with revision STORE_DELETED), here and on other processes.
   */
  delete(id: string): Promise<boolean>
}

/** Reads throw store_not_found for an unknown or deleted store; null means no such model. */
export interface ModelsRepo {
  write(storeId: string, id: string, model: AuthorizationModelJson): Promise<ModelRecord>
  get(storeId: string, id: string): Promise<ModelRecord | null>
  latest(storeId: string): Promise<ModelRecord | null>
  /** Newest first. */
  list(storeId: string, page: PageRequest): Promise<Page<ModelRecord>>
}

export interface TuplesRepo {
  /**
   * Applies deletes then writes in one transaction, appends them to the changelog under a new
   * revision, or changes nothing and throws StoreError (tuple_exists / tuple_missing /
   * condition_conflict / store_not_found).
   */
  write(storeId: string, input: WriteTuplesInput): Promise<WriteResult>
  /**
   * Writes many tuples as one transaction under one new revision, exactly as `write` with these
   * writes and no deletes would (same errors, same changelog, same no-op rules), by the insert
   * each database does fastest. Bulk loads call it once per batch of a few thousand tuples.
   */
  import(storeId: string, input: ImportTuplesInput): Promise<WriteResult>
  read(storeId: string, filter: TupleFilter, page: PageRequest): Promise<Page<StoredTuple>>
  /** Every live tuple at one revision (used to build the engine's in-memory index). */
  snapshot(storeId: string): Promise<TupleSnapshot>
  /**
   * Live tuples in key order after `after` (the previous page's `next`), at most `limit`: a large
   * store is read in short queries rather than one long one. Each page is its own read, so a
   * caller combining pages replays the changelog from a revision it took before the first page.
   * Throws store_not_found for an unknown or deleted store.
   */
  scan(storeId: string, after: string | undefined, limit: number): Promise<TupleScanPage>
}

export interface ChangelogRepo {
  /** OpenFGA ReadChanges semantics: ascending; when nothing newer, the same token comes back. */
  read(storeId: string, query: ChangesQuery): Promise<Page<TupleChange>>
  /**
   * Changes with revision > `afterRevision`, ascending (used to catch the in-memory index up).
   * Never splits a revision: it returns whole revisions up to and including the revision of the
   * `limit`-th change, so the result may exceed `limit`; resume from the last change's revision.
   * Does not check that the store exists (an unknown store has no changes).
   */
  since(storeId: string, afterRevision: number, limit: number): Promise<TupleChange[]>
  /** Latest revision of the store (0 when it never changed). */
  revision(storeId: string): Promise<number>
  /**
   * Latest revisions of several stores in one query (bounded polling of many indexes). Unknown
   * and deleted stores are absent from the result.
   */
  revisions(storeIds: readonly string[]): Promise<Map<string, number>>
}

export interface AssertionsRepo {
  /** Replaces every assertion of the model. */
  write(storeId: string, modelId: string, assertions: AssertionJson[]): Promise<void>
  /** Throws store_not_found for an unknown or deleted store. */
  read(storeId: string, modelId: string): Promise<AssertionJson[]>
}

export type StoreDialect = 'sqlite' | 'postgres'

/** The revision a change listener receives when the store was deleted. */
export const STORE_DELETED = -1

/** `revision` is the store's new revision, or STORE_DELETED. */
export type ChangeListener = (storeId: string, revision: number) => void

/** The slice of a pino-style logger the backends use (pino's Logger satisfies it). */
export interface StoreLogger {
  warn(details: Record<string, unknown>, message: string): void
  error(details: Record<string, unknown>, message: string): void
}

export interface Store {
  readonly dialect: StoreDialect
  readonly stores: StoresRepo
  readonly models: ModelsRepo
  readonly tuples: TuplesRepo
  readonly changelog: ChangelogRepo
  readonly assertions: AssertionsRepo
  readonly oidc: OidcArtifactsRepo
  readonly signingKeys: SigningKeysRepo
  readonly oidcClients: OidcClientsRepo
  readonly localAccounts: LocalAccountsRepo
  /** Second factors and recovery codes of local accounts. */
  readonly localMfa: LocalMfaRepo
  /** Audit only: never consulted for authorization. */
  readonly userRecords: UserRecordsRepo
  /** Applications behind forward-auth; replicas poll revision() to reload. */
  readonly forwardAuthApps: ForwardAuthAppsRepo
  /** Append-only; never consulted for authorization. */
  readonly audit: AuditRepo
  /** Organizations, projects, groups and bindings; commits move records, tuples and audit together. */
  readonly tenancy: TenancyRepo
  /** Provisioning events waiting for (or done with) delivery downstream. */
  readonly outbox: OutboxRepo
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  /**
   * Notifies after a committed tuple write, from this process or (PostgreSQL, via LISTEN/NOTIFY)
   * from any other process on the same database. Returns an unsubscribe function.
   */
  onChange(listener: ChangeListener): () => void
  /**
   * Called when notifications may have been missed (PostgreSQL: the LISTEN connection was
   * re-established after a loss). Listeners re-read the revisions they depend on. Returns an
   * unsubscribe function.
   */
  onResync(listener: () => void): () => void
  close(): Promise<void>
}
