// What every command works with: the store, the limits, the tuple indexes and the compiled-model
// cache. Models are immutable, so a compiled model is cached by id for good (bounded LRU); the
// "latest model" of a store is remembered briefly so a warm check makes no store round trip.
import type { Clock } from '../../lib/index.ts'
import { isStoreError, StoreErrorCodes } from '../../store/errors.ts'
import type { Store } from '../../store/types.ts'
import { AuthzError, fromStoreError } from '../errors.ts'
import type { AuthzLimits } from '../limits.ts'
import type { CompiledModel } from '../model/compiled.ts'
import { normalizeModel } from '../model/json.ts'
import { compileModel } from '../model/validate.ts'
import type { IndexManager } from '../resolve/index-manager.ts'

export interface AuthzLogger {
  warn(obj: unknown, msg?: string): void
  info(obj: unknown, msg?: string): void
  debug(obj: unknown, msg?: string): void
}

export interface EngineContext {
  store: Store
  limits: AuthzLimits
  clock: Clock
  logger: AuthzLogger | undefined
  indexes: IndexManager
  models: ModelCache
}

/**
 * How long the latest-model answer is reused at MINIMIZE_LATENCY. Writes of models through this
 * engine update it at once; a model written by another replica is seen within this time (and at
 * once by HIGHER_CONSISTENCY queries).
 */
const LATEST_MODEL_TTL_MS = 1000
const MAX_COMPILED_MODELS = 500

export class ModelCache {
  private readonly store: Store
  private readonly compiled = new Map<string, CompiledModel>()
  /** The key last moved to the LRU end of `compiled`. */
  private newest: string | undefined
  private readonly latest = new Map<string, { id: string; at: number }>()
  private readonly staleMaxMs: number
  private readonly onStale: ((storeId: string, ageMs: number) => void) | undefined

  constructor(store: Store, options: { staleMaxMs?: number; onStale?: (storeId: string, ageMs: number) => void } = {}) {
    this.store = store
    this.staleMaxMs = options.staleMaxMs ?? 0
    this.onStale = options.onStale
  }

  /** The model to evaluate with: `modelId` when given, else the store's latest. */
  async resolve(storeId: string, modelId: string, fresh = false): Promise<CompiledModel> {
    if (modelId !== '') return this.byId(storeId, modelId)
    const hit = this.latest.get(storeId)
    if (hit && !fresh && Date.now() - hit.at < LATEST_MODEL_TTL_MS) return this.byId(storeId, hit.id)
    let rec
    try {
      rec = await this.store.models.latest(storeId)
    } catch (err) {
      // The database is away: at MINIMIZE_LATENCY the model known a moment ago still answers,
      // for a bounded time, and the caller is told the answer is stale.
      const age = hit ? Date.now() - hit.at : Infinity
      if (!fresh && hit && isStoreError(err, StoreErrorCodes.unavailable) && age < this.staleMaxMs) {
        this.onStale?.(storeId, age)
        return this.byId(storeId, hit.id)
      }
      throw fromStoreError(err)
    }
    if (!rec) {
      const exists = await this.store.stores.get(storeId)
      if (!exists) throw new AuthzError('store_id_not_found', `store '${storeId}' not found`)
      throw new AuthzError('latest_authorization_model_not_found', `No authorization models found for store '${storeId}'`)
    }
    // A lookup that started before this engine wrote a newer model may finish after it: within the
    // TTL, keep the newer id (model ids are time-ordered ULIDs) rather than step back.
    const current = this.latest.get(storeId)
    if (current && current.id > rec.id && Date.now() - current.at < LATEST_MODEL_TTL_MS) return this.byId(storeId, current.id)
    this.latest.set(storeId, { id: rec.id, at: Date.now() })
    return this.compiled.get(`${storeId}/${rec.id}`) ?? this.remember(storeId, rec.id, rec.model)
  }

  async byId(storeId: string, modelId: string): Promise<CompiledModel> {
    const key = `${storeId}/${modelId}`
    const hit = this.compiled.get(key)
    if (hit) {
      // Re-inserting moves the entry to the LRU end; every warm check asks for the same model,
      // which is already there, and a Map delete + set costs more than the rest of this lookup.
      if (this.newest !== key) {
        this.compiled.delete(key)
        this.compiled.set(key, hit)
        this.newest = key
      }
      return hit
    }
    const rec = await this.store.models.get(storeId, modelId).catch((err) => { throw fromStoreError(err) })
    if (!rec) throw new AuthzError('authorization_model_not_found', `Authorization Model '${modelId}' not found`)
    return this.remember(storeId, rec.id, rec.model)
  }

  /** Records a model this engine just wrote (it becomes the store's latest). */
  written(storeId: string, model: CompiledModel): void {
    this.put(`${storeId}/${model.id}`, model)
    this.latest.set(storeId, { id: model.id, at: Date.now() })
  }

  forgetStore(storeId: string): void {
    this.latest.delete(storeId)
    for (const key of this.compiled.keys()) if (key.startsWith(`${storeId}/`)) this.compiled.delete(key)
  }

  private remember(storeId: string, id: string, json: unknown): CompiledModel {
    const model = compileModel(id, normalizeModel(json))
    this.put(`${storeId}/${id}`, model)
    return model
  }

  private put(key: string, model: CompiledModel): void {
    this.compiled.delete(key)
    this.compiled.set(key, model)
    this.newest = key
    if (this.compiled.size > MAX_COMPILED_MODELS) this.compiled.delete(this.compiled.keys().next().value!)
  }
}
