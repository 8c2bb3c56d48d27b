// The tenancy core: the current state (reloaded when any replica commits), and `mutate`, which
// turns a change computed from one state into one store transaction — records, their mirrored
// tuples and audit entries together — retrying from a fresh state when another write won.

import { type Clock, systemClock } from '../lib/index.ts'
import type { AuditEntryInput, OutboxItemInput, Store, StoreLogger, TenancyRecord } from '../store/index.ts'
import { isStoreError, StoreErrorCodes } from '../store/index.ts'
import { permits, standing, type Standing } from './acl.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { changeTuples } from './mirror.ts'
import { SYSTEM_STORE_ID } from './model.ts'
import type { RecordKey } from './records.ts'
import { allows, TenancyState } from './state.ts'
import type { Operation, Principal } from './types.ts'

/** Who asks, and from where (for the audit log). */
export interface RequestContext {
  actor: Principal
  sourceIp?: string
}

export interface Mutation<T> {
  put: TenancyRecord[]
  remove: RecordKey[]
  /** Actor, actor type and source address are filled in. */
  audit: Array<Omit<AuditEntryInput, 'actor' | 'actorType' | 'sourceIp'>>
  result: T
}

export interface TenancyCoreOptions {
  store: Store
  clock?: Clock
  logger?: StoreLogger
  /** How often to re-read the revision in case a notification was missed. */
  pollIntervalMs?: number
  /** Provisioning events of a change, committed in its transaction. */
  changeEvents?: (before: TenancyState, after: TenancyState, changed: readonly RecordKey[]) => OutboxItemInput[]
  /** After a commit that enqueued events. */
  onEvents?: () => void
}

const MAX_ATTEMPTS = 8
const recordKey = (r: { kind: string; id: string }) => `${r.kind}:${r.id}`

export class TenancyCore {
  readonly store: Store
  readonly clock: Clock
  #state: TenancyState = new TenancyState(-1, [])
  #records = new Map<string, TenancyRecord>()
  #loading: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #unsubscribe: Array<() => void> = []
  readonly #options: TenancyCoreOptions

  constructor(options: TenancyCoreOptions) {
    this.store = options.store
    this.clock = options.clock ?? systemClock
    this.#options = options
  }

  get state(): TenancyState {
    return this.#state
  }

  /** Re-reads every record (coalesced: concurrent callers share one load). */
  reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const snapshot = await this.store.tenancy.load()
        // A load that started before a commit of this process may end after it: never go back.
        if (snapshot.revision <= this.#state.revision) return
        this.#records = new Map(snapshot.records.map((r) => [recordKey(r), r]))
        this.#state = new TenancyState(snapshot.revision, snapshot.records)
      } finally {
        this.#loading = undefined
      }
    })()
    return this.#loading
  }

  /**
   * Catches up with every commit acknowledged before this call (by any replica or the CLI): one
   * revision read, and a reload when behind. Reads call it so that an answer never contradicts a
   * write the caller could have seen (a 404 for an organization just created elsewhere).
   */
  async current(): Promise<void> {
    const revision = await this.store.tenancy.revision()
    // A reload already under way (started by a notification) may have read before `revision`;
    // the next one starts after it, so two are enough.
    for (let i = 0; i < 2 && this.#state.revision < revision; i++) await this.reload()
  }

  /** Follows other replicas: tuple changes of the system store are announced, the rest polled. */
  follow(): void {
    const refresh = () => { this.reload().catch((err) => this.#options.logger?.warn({ err }, 'tenancy reload failed')) }
    this.#unsubscribe.push(this.store.onChange((storeId) => { if (storeId === SYSTEM_STORE_ID) refresh() }))
    this.#unsubscribe.push(this.store.onResync(refresh))
    this.#timer = setInterval(async () => {
      try {
        if ((await this.store.tenancy.revision()) !== this.#state.revision) refresh()
      } catch (err) {
        this.#options.logger?.warn({ err }, 'tenancy revision poll failed')
      }
    }, this.#options.pollIntervalMs ?? 2000)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    for (const u of this.#unsubscribe) u()
    this.#unsubscribe = []
  }

  async mutate<T>(ctx: RequestContext, build: (state: TenancyState) => Mutation<T>): Promise<T> {
    if (this.#state.revision < 0) await this.reload()
    for (let attempt = 0; ; attempt++) {
      const before = this.#state
      const m = build(before)
      const records = new Map(this.#records)
      for (const k of m.remove) records.delete(recordKey(k))
      for (const r of m.put) records.set(recordKey(r), r)
      const after = new TenancyState(before.revision + 1, records.values())
      const changed = [...m.remove, ...m.put].map(recordKey)
      const tuples = changeTuples(before, after, changed)
      const outbox = this.#options.changeEvents?.(before, after, [...m.remove, ...m.put]) ?? []
      const actorType = ctx.actor.kind
      try {
        const revision = await this.store.tenancy.commit({
          expectedRevision: before.revision,
          put: m.put,
          remove: m.remove,
          tuples: { storeId: SYSTEM_STORE_ID, ...tuples },
          audit: m.audit.map((a) => ({ ...a, actor: ctx.actor.subject, actorType, ...(ctx.sourceIp ? { sourceIp: ctx.sourceIp } : {}) })),
          outbox,
        })
        if (outbox.length > 0) this.#options.onEvents?.()
        if (this.#state === before) {
          this.#records = records
          this.#state = revision === after.revision ? after : new TenancyState(revision, records.values())
        }
        return m.result
      } catch (err) {
        if (isStoreError(err, StoreErrorCodes.versionConflict) && attempt < MAX_ATTEMPTS) {
          await this.current()
          continue
        }
        if (isStoreError(err, StoreErrorCodes.versionConflict)) throw new TenancyError(TenancyErrorCodes.busy, 'tenancy changed concurrently; retry')
        if (isStoreError(err, StoreErrorCodes.alreadyExists)) {
          // Another replica took the name between our read and our write.
          await this.current()
          if (attempt < MAX_ATTEMPTS) continue
        }
        throw err
      }
    }
  }

  /**
   * The caller's standing in an organization; throws organization_forbidden for outsiders.
   * Commands pass the state their change is computed from, so a retry on a fresher state
   * authorizes again: a caller removed meanwhile cannot finish a write it started before.
   */
  standing(ctx: RequestContext, organizationId: string, state: TenancyState = this.#state): Standing {
    return standing(state, organizationId, ctx.actor)
  }

  /** Requires a grant in the organization (or project), else permission_denied. */
  authorize(ctx: RequestContext, organizationId: string, scope: string, op: Operation, projectId?: string, state: TenancyState = this.#state): Standing {
    const s = this.standing(ctx, organizationId, state)
    if (ctx.actor.kind !== 'system' && !permits(state, s, scope, op, projectId)) {
      throw new TenancyError(TenancyErrorCodes.permissionDenied, `${op} on ${scope} is not granted to you here`, { scope, operation: op })
    }
    return s
  }

  /** Whether the caller holds a global grant (platform administrators, the operator). */
  holdsGlobal(ctx: RequestContext, scope: string, op: Operation, state: TenancyState = this.#state): boolean {
    return ctx.actor.kind === 'system' || allows(state.globalGrants(ctx.actor.subject), scope, op)
  }

  /** Requires a global grant. */
  authorizeGlobal(ctx: RequestContext, scope: string, op: Operation, state: TenancyState = this.#state): void {
    if (!this.holdsGlobal(ctx, scope, op, state)) {
      throw new TenancyError(TenancyErrorCodes.permissionDenied, `${op} on ${scope} needs a platform-wide grant`, { scope, operation: op })
    }
  }

  now(): string {
    return this.clock.now().toISOString()
  }
}

/** Records the bootstrap file declares are changed only through it (the next start would revert them). */
export function guardSource(record: { source: string; name: string }, source: string, what: string): void {
  if (record.source === 'bootstrap' && source !== 'bootstrap') {
    throw new TenancyError(TenancyErrorCodes.bootstrapManaged, `${what} ${record.name} is declared in the bootstrap file; change it there`)
  }
}
