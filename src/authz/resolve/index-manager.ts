// Keeps one in-memory TupleIndex per store current: built on first use from pages of the store's
// tuples that yield to the event loop between them (so loading a large store never holds up other
// requests), then advanced by this process's own writes right after they commit and by the
// changelog when the store announces another process's write (onChange). Queries at
// MINIMIZE_LATENCY use the index as it is; HIGHER_CONSISTENCY first asks the store's revision and
// catches up, so it is never stale.
//
// Deleted stores: a deletion is announced like a write (here and, on PostgreSQL, by NOTIFY), and
// the manager remembers the id so every later query on it fails store_not_found without a round
// trip. HIGHER_CONSISTENCY asks the store anyway, so it refuses a deleted store on every replica.
//
// Missed notifications: when the store says some may have been lost (LISTEN reconnected), and on
// a slow periodic poll as a safety net, one query reads the revisions of every store with an
// index; stores behind are caught up from the changelog and deleted ones are dropped.
//
// Memory: indexes are evicted least-recently-used once the tuples held across stores exceed
// `maxTuples`. A single store larger than the budget is still loaded and kept (the engine cannot
// answer from less); it then holds memory beyond the budget while every other store is evicted.
import { StoreError, StoreErrorCodes } from '../../store/errors.ts'
import { STORE_DELETED, type Store, type WriteResult } from '../../store/types.ts'
import { TupleIndex } from './tuple-index.ts'
import { startLoad } from './load-gc.ts'

export interface IndexLogger {
  warn(obj: unknown, msg?: string): void
}

interface Entry {
  storeId: string
  index?: TupleIndex
  loading?: Promise<TupleIndex>
  catchingUp?: Promise<void>
  /** Set when more changes were announced while a catch-up was running. */
  again: boolean
  /** Highest revision announced by onChange. */
  announced: number
}

/** Changes fetched per changelog read while catching up. */
const CATCH_UP_PAGE = 1000
/** Tuples read per query while loading an index. */
const LOAD_PAGE = 5000
/** Deleted store ids remembered; older ones fall back to the store's own refusal. */
const MAX_DELETED = 10_000

export interface IndexManagerOptions {
  /** Milliseconds between revision polls of the loaded indexes; 0 turns the poll off. */
  pollIntervalMs?: number
  /** Called once a store is known to be deleted (to drop other per-store caches). */
  onStoreDeleted?: (storeId: string) => void
}

export class IndexManager {
  private readonly store: Store
  private readonly maxTuples: number
  private readonly logger: IndexLogger | undefined
  private readonly entries = new Map<string, Entry>()
  /** The entry last moved to the LRU end of `entries` (compared by identity with the live one). */
  private newest: Entry | undefined
  private readonly deleted = new Set<string>()
  private readonly onStoreDeleted: ((storeId: string) => void) | undefined
  private readonly unsubscribe: () => void
  private readonly unsubscribeResync: () => void
  private readonly timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | undefined

  constructor(store: Store, maxTuples: number, logger?: IndexLogger, options: IndexManagerOptions = {}) {
    this.store = store
    this.maxTuples = maxTuples
    this.logger = logger
    this.onStoreDeleted = options.onStoreDeleted
    this.unsubscribe = store.onChange((storeId, revision) => this.announce(storeId, revision))
    this.unsubscribeResync = store.onResync(() => void this.poll())
    const every = options.pollIntervalMs ?? 0
    if (every > 0) {
      this.timer = setInterval(() => void this.poll(), every)
      this.timer.unref()
    }
  }

  /** The store's index; at `fresh`, caught up to the store's current revision first. */
  async get(storeId: string, fresh: boolean): Promise<TupleIndex> {
    if (this.deleted.has(storeId)) throw new StoreError(StoreErrorCodes.storeNotFound, `store ${storeId} not found`)
    const e = this.touch(storeId)
    const idx = e.index ?? await this.load(e)
    if (fresh) {
      const revision = await this.store.changelog.revision(storeId)
      while (e.index && e.index.revision < revision) {
        const before = e.index.revision
        await this.catchUp(e)
        if (e.index && e.index.revision === before) {
          // The changelog has nothing newer although the store says so: rebuild from a snapshot.
          e.index = undefined
          await this.load(e)
        }
      }
    } else if (e.announced > idx.revision) {
      this.catchUp(e).catch((err) => this.logger?.warn({ err, storeId }, 'tuple index catch-up failed'))
    }
    return e.index ?? idx
  }

  /** Applies a committed local write so the next query sees it (read-your-writes). */
  async applyLocal(storeId: string, result: WriteResult): Promise<void> {
    const e = this.entries.get(storeId)
    if (!e) return
    if (e.loading) await e.loading.catch(() => undefined)
    const idx = e.index
    if (!idx || result.applied.length === 0 || result.revision <= idx.revision) return
    if (result.revision === idx.revision + 1) {
      for (const change of result.applied) idx.apply(change)
      idx.revision = result.revision
      return
    }
    // Other processes' writes lie between the index and this one: replay the changelog in order
    // (it holds this write too) before the writer is answered, so an older change can never land
    // over this one. If that fails, apply this write anyway; the next catch-up repairs the order.
    try {
      await this.catchUp(e)
    } catch (err) {
      this.logger?.warn({ err, storeId }, 'tuple index catch-up failed')
      if (e.index === idx && result.revision > idx.revision) for (const change of result.applied) idx.apply(change)
    }
  }

  /** Drops a store's index and refuses it from now on (deleted store). */
  evict(storeId: string): void {
    this.entries.delete(storeId)
    if (this.deleted.has(storeId)) return
    this.deleted.add(storeId)
    if (this.deleted.size > MAX_DELETED) this.deleted.delete(this.deleted.values().next().value!)
    this.onStoreDeleted?.(storeId)
  }

  /**
   * Reads the revisions of every store with an index in one query, then catches up the ones that
   * are behind and drops the deleted ones. Recovers notifications lost while LISTEN was down.
   */
  poll(): Promise<void> {
    if (this.polling) return this.polling
    const ids = [...this.entries.values()].filter((e) => e.index).map((e) => e.storeId)
    if (ids.length === 0) return Promise.resolve()
    // Cleared once settled; never from inside the run itself, which may settle before `polling`
    // is assigned (it would then stay set and no poll would run again).
    const run = this.store.changelog.revisions(ids).then((revisions) => {
      for (const id of ids) this.announce(id, revisions.get(id) ?? STORE_DELETED)
    }, (err) => {
      this.logger?.warn({ err }, 'tuple index revision poll failed')
    }).finally(() => {
      if (this.polling === run) this.polling = undefined
    })
    this.polling = run
    return run
  }

  close(): void {
    this.unsubscribe()
    this.unsubscribeResync()
    clearInterval(this.timer)
    this.entries.clear()
  }

  /** Tuples currently held across stores. */
  get heldTuples(): number {
    let n = 0
    for (const e of this.entries.values()) n += e.index?.size ?? 0
    return n
  }

  private touch(storeId: string): Entry {
    let e = this.entries.get(storeId)
    // The entry used last is already at the LRU end: no Map delete + set on every warm query.
    if (e !== undefined && e === this.newest) return e
    if (e) this.entries.delete(storeId)
    else e = { storeId, again: false, announced: 0 }
    this.entries.set(storeId, e)
    this.newest = e
    return e
  }

  private announce(storeId: string, revision: number): void {
    if (revision === STORE_DELETED) {
      this.evict(storeId)
      return
    }
    const e = this.entries.get(storeId)
    if (!e) return
    if (revision > e.announced) e.announced = revision
    // A local write announces itself before its writer applies it (applyLocal); checking after
    // the current microtasks spares that write two changelog queries.
    setImmediate(() => {
      if (e.index && e.announced > e.index.revision && this.entries.get(storeId) === e) {
        this.catchUp(e).catch((err) => this.logger?.warn({ err, storeId }, 'tuple index catch-up failed'))
      }
    })
  }

  private load(e: Entry): Promise<TupleIndex> {
    e.loading ??= (async () => {
      try {
        const idx = await this.build(e.storeId)
        e.index = idx
        this.shrink(e)
        return idx
      } finally {
        e.loading = undefined
      }
    })()
    return e.loading
  }

  /**
   * Builds a store's index from pages of its tuples, giving the event loop a turn after each, so
   * other stores, health checks and metrics keep answering while a large store loads (queries on
   * this store wait for it). The pages are separate reads: the revision is taken before the first
   * and the changelog after it is replayed on top. Replaying is exact whatever a page saw of a
   * later change, since every change after that revision is applied again, in order. Meanwhile
   * V8 keeps the young generation at its usual size and collects the old one more often (load-gc.ts).
   */
  private async build(storeId: string): Promise<TupleIndex> {
    const idx = new TupleIndex(await this.store.changelog.revision(storeId))
    const guard = startLoad()
    idx.beginLoad()
    try {
      let next: string | undefined
      do {
        const page = await this.store.tuples.scan(storeId, next, LOAD_PAGE)
        for (const t of page.tuples) idx.add(t)
        next = page.next
        guard.page()
        await new Promise<void>((resolve) => setImmediate(resolve))
      } while (next !== undefined)
      idx.endLoad()
    } finally {
      guard.end()
    }
    await replay(this.store, storeId, idx)
    return idx
  }

  /** Replays changelog entries after the index's revision until none are left. */
  private catchUp(e: Entry): Promise<void> {
    if (e.catchingUp) {
      e.again = true
      return e.catchingUp
    }
    e.catchingUp = (async () => {
      try {
        do {
          e.again = false
          const idx = e.index
          if (!idx) return
          await replay(this.store, e.storeId, idx)
        } while (e.again)
      } finally {
        e.catchingUp = undefined
      }
    })()
    return e.catchingUp
  }

  private shrink(current: Entry): void {
    let held = this.heldTuples
    for (const [id, e] of this.entries) {
      if (held <= this.maxTuples) break
      if (e === current || !e.index) continue
      held -= e.index.size
      this.entries.delete(id)
    }
    if (held > this.maxTuples) {
      this.logger?.warn({ storeId: current.storeId, tuples: current.index?.size, budget: this.maxTuples },
        'one store holds more tuples than the index budget; it stays loaded')
    }
  }
}

/** Applies the changelog after the index's revision until none is left. */
async function replay(store: Store, storeId: string, idx: TupleIndex): Promise<void> {
  for (;;) {
    const changes = await store.changelog.since(storeId, idx.revision, CATCH_UP_PAGE)
    if (changes.length === 0) return
    for (const c of changes) {
      // Local writes may already have moved the cursor past part of this page.
      if (c.revision <= idx.revision) continue
      idx.apply(c)
    }
    idx.revision = Math.max(idx.revision, changes[changes.length - 1].revision)
  }
}
