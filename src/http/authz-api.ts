// The engine operations the routes call, stated structurally so the http layer depends on the
// shape of the OpenFGA JSON API rather than on the engine's internals.

/** Filled by a query with the model it resolved; sent as Openfga-Authorization-Model-Id. */
export interface QueryMeta {
  modelId?: string
}

/** Parsed query string: Fastify gives a string per key, an array when the key repeats. */
export type QueryParams = Record<string, string | string[] | undefined>

export interface AuthzApi {
  createStore(body: unknown): Promise<unknown>
  listStores(query: QueryParams): Promise<unknown>
  getStore(storeId: string): Promise<unknown>
  deleteStore(storeId: string): Promise<unknown>
  writeAuthorizationModel(storeId: string, body: unknown): Promise<unknown>
  readAuthorizationModel(storeId: string, modelId: string): Promise<unknown>
  readAuthorizationModels(storeId: string, query: QueryParams): Promise<unknown>
  write(storeId: string, body: unknown): Promise<unknown>
  /** Bulk write from a stream of entries; a failure is an AppError whose details say what was committed. */
  importTuples(storeId: string, source: AsyncIterable<{ tuple?: unknown; error?: string; line?: number }>, options: { onDuplicate?: unknown; authorizationModelId?: unknown; batchSize?: unknown }): Promise<unknown>
  read(storeId: string, body: unknown): Promise<unknown>
  readChanges(storeId: string, query: QueryParams): Promise<unknown>
  check(storeId: string, body: unknown, meta?: QueryMeta): Promise<unknown>
  batchCheck(storeId: string, body: unknown, meta?: QueryMeta): Promise<unknown>
  expand(storeId: string, body: unknown, meta?: QueryMeta): Promise<unknown>
  listObjects(storeId: string, body: unknown, meta?: QueryMeta): Promise<unknown>
  streamedListObjects(storeId: string, body: unknown, meta?: QueryMeta): AsyncIterable<{ object: string }> | Promise<AsyncIterable<{ object: string }>>
  listUsers(storeId: string, body: unknown, meta?: QueryMeta): Promise<unknown>
  writeAssertions(storeId: string, modelId: string, body: unknown): Promise<unknown>
  readAssertions(storeId: string, modelId: string): Promise<unknown>
  modelDsl(storeId: string, modelId: string): Promise<unknown>
  validateModelDsl(storeId: string, body: unknown): Promise<unknown>
  changePreview(storeId: string, body: unknown): Promise<unknown>
  browseTuples(storeId: string, query: QueryParams): Promise<unknown>
}

/** What /readyz asks. */
export interface PingableStore {
  ping(): Promise<void>
}
