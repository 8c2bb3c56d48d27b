// The engine facade: OpenFGA's API as methods taking OpenFGA's JSON request bodies and returning
// OpenFGA's response JSON. Constructed by src/app (or an embedder) with a Store.
import { systemClock, type Clock } from '../lib/index.ts'
import type { Store } from '../store/types.ts'
import { readAssertions, writeAssertions } from './commands/assertions.ts'
import { batchCheck, check } from './commands/check.ts'
import { ModelCache, type AuthzLogger, type EngineContext } from './commands/context.ts'
import { expand, listObjects, listUsers, streamedListObjects } from './commands/lists.ts'
import { readAuthorizationModel, readAuthorizationModels, writeAuthorizationModel } from './commands/models.ts'
import { modelDsl, validateModelDsl } from './commands/model-dsl.ts'
import { isUlidLike } from './commands/parse.ts'
import { changePreview } from './commands/preview.ts'
import type { QueryMeta } from './commands/query.ts'
import { browseTuples, read, readChanges } from './commands/read.ts'
import { createStore, deleteStore, getStore, listStores } from './commands/stores.ts'
import { importTuples, type ImportItem, type ImportOptions } from './commands/import.ts'
import { write } from './commands/write.ts'
import { AuthzError, validationError } from './errors.ts'
import { resolveLimits, type AuthzLimits } from './limits.ts'
import { IndexManager } from './resolve/index-manager.ts'

export interface AuthzOptions {
  store: Store
  limits?: Partial<AuthzLimits>
  logger?: AuthzLogger
  clock?: Clock
  /** Stores only Gatehouse itself writes (the tenancy system store): readable, never written through the API. */
  readOnlyStores?: readonly string[]
}

/** Query-string parameters as an HTTP layer hands them over (repeated keys as arrays). */
export type QueryParams = Record<string, string | string[] | undefined>

/**
 * OpenFGA store ids are ULIDs: a malformed one is bad input (400 validation_error), not an unknown
 * store (404). A rejected promise rather than a throw, so callers see one failure path.
 */
function badStoreId(storeId: string): Promise<never> | undefined {
  if (typeof storeId === 'string' && isUlidLike(storeId)) return undefined
  return Promise.reject(validationError(`invalid 'store_id' '${String(storeId)}': value does not match regex pattern "^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$"`))
}

function readOnly(storeId: string): Promise<never> {
  return Promise.reject(new AuthzError('forbidden', `store ${storeId} is maintained by Gatehouse and is read-only through this API`))
}

export class Authz {
  readonly limits: AuthzLimits
  /** Queries answered from memory while the database was unreachable (see staleReadMaxMs). */
  staleAnswers = 0
  private readonly ctx: EngineContext
  private closed = false
  private readonly readOnlyStores: ReadonlySet<string>

  constructor(options: AuthzOptions) {
    this.limits = resolveLimits(options.limits)
    this.readOnlyStores = new Set(options.readOnlyStores ?? [])
    let lastStaleWarning = 0
    const models = new ModelCache(options.store, {
      staleMaxMs: this.limits.staleReadMaxMs ?? 0,
      onStale: (storeId, ageMs) => {
        this.staleAnswers++
        if (Date.now() - lastStaleWarning < 10_000) return
        lastStaleWarning = Date.now()
        options.logger?.warn({ storeId, modelAgeMs: ageMs }, 'database unreachable: answering MINIMIZE_LATENCY queries from memory (stale)')
      },
    })
    const indexes = new IndexManager(options.store, this.limits.indexMaxTuples, options.logger, {
      pollIntervalMs: this.limits.indexPollIntervalMs,
      // A deletion heard from another replica drops the compiled models and the latest-model entry
      // too, so a check naming a model id cannot answer from them.
      onStoreDeleted: (storeId) => models.forgetStore(storeId),
    })
    this.ctx = {
      store: options.store,
      limits: this.limits,
      clock: options.clock ?? systemClock,
      logger: options.logger,
      indexes,
      models,
    }
  }

  createStore(body: unknown) { return createStore(this.ctx, body) }
  listStores(query: QueryParams = {}) { return listStores(this.ctx, query) }
  getStore(storeId: string) { return badStoreId(storeId) ?? getStore(this.ctx, storeId) }
  deleteStore(storeId: string): Promise<void> { return badStoreId(storeId) ?? this.writable(storeId) ?? deleteStore(this.ctx, storeId) }

  writeAuthorizationModel(storeId: string, body: unknown) { return badStoreId(storeId) ?? this.writable(storeId) ?? writeAuthorizationModel(this.ctx, storeId, body) }
  readAuthorizationModel(storeId: string, modelId: string) { return badStoreId(storeId) ?? readAuthorizationModel(this.ctx, storeId, modelId) }
  readAuthorizationModels(storeId: string, query: QueryParams = {}) { return badStoreId(storeId) ?? readAuthorizationModels(this.ctx, storeId, query) }

  /** The model as DSL text (the latest when `modelId` is ''). */
  modelDsl(storeId: string, modelId: string) { return badStoreId(storeId) ?? modelDsl(this.ctx, storeId, modelId) }
  /** Parses and type-checks DSL without storing it: problems with line and column, or the JSON model. */
  validateModelDsl(storeId: string, body: unknown) { return badStoreId(storeId) ?? validateModelDsl(this.ctx, storeId, body) }
  /** Tuples by any mix of object type, object, relation and user (query-string fields). */
  browseTuples(storeId: string, query: QueryParams = {}) { return badStoreId(storeId) ?? browseTuples(this.ctx, storeId, query) }
  /** Which answers a candidate model and tuple changes would flip; writes nothing. */
  changePreview(storeId: string, body: unknown) { return badStoreId(storeId) ?? changePreview(this.ctx, storeId, body) }

  write(storeId: string, body: unknown) { return badStoreId(storeId) ?? this.writable(storeId) ?? write(this.ctx, storeId, body) }
  /** Bulk write of a stream of tuples in batches (see commands/import.ts for what a failure leaves). */
  importTuples(storeId: string, source: AsyncIterable<ImportItem> | Iterable<ImportItem>, options?: ImportOptions) {
    return badStoreId(storeId) ?? this.writable(storeId) ?? importTuples(this.ctx, storeId, source, options)
  }
  read(storeId: string, body: unknown) { return badStoreId(storeId) ?? read(this.ctx, storeId, body) }
  readChanges(storeId: string, query: QueryParams = {}) { return badStoreId(storeId) ?? readChanges(this.ctx, storeId, query) }

  check(storeId: string, body: unknown, meta?: QueryMeta) { return badStoreId(storeId) ?? check(this.ctx, storeId, body, meta) }
  batchCheck(storeId: string, body: unknown, meta?: QueryMeta) { return badStoreId(storeId) ?? batchCheck(this.ctx, storeId, body, meta) }
  expand(storeId: string, body: unknown, meta?: QueryMeta) { return badStoreId(storeId) ?? expand(this.ctx, storeId, body, meta) }
  listObjects(storeId: string, body: unknown, meta?: QueryMeta) { return badStoreId(storeId) ?? listObjects(this.ctx, storeId, body, meta) }
  streamedListObjects(storeId: string, body: unknown, meta?: QueryMeta) { return badStoreId(storeId) ?? streamedListObjects(this.ctx, storeId, body, meta) }
  listUsers(storeId: string, body: unknown, meta?: QueryMeta) { return badStoreId(storeId) ?? listUsers(this.ctx, storeId, body, meta) }

  writeAssertions(storeId: string, modelId: string, body: unknown): Promise<void> { return badStoreId(storeId) ?? this.writable(storeId) ?? writeAssertions(this.ctx, storeId, modelId, body) }
  readAssertions(storeId: string, modelId: string) { return badStoreId(storeId) ?? readAssertions(this.ctx, storeId, modelId) }

  private writable(storeId: string): Promise<never> | undefined {
    return this.readOnlyStores.has(storeId) ? readOnly(storeId) : undefined
  }

  /** Tuples held in memory by the indexes across stores (what indexMaxTuples bounds), for metrics. */
  get indexedTuples(): number {
    return this.ctx.indexes.heldTuples
  }

  /** Stops listening for store changes and drops the in-memory indexes; the store stays open (its owner closes it). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.ctx.indexes.close()
  }
}
