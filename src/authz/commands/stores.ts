// Stores: CreateStore, ListStores, GetStore, DeleteStore in OpenFGA's JSON shapes.
import { newUlid } from '../../lib/index.ts'
import type { StoreInfo } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, continuationTokenOf, optString, pageSizeOf, queryValue, timestampJson } from './parse.ts'

const STORE_NAME = /^[a-zA-Z0-9\s.\-/^_&@]{3,64}$/

function storeJson(s: StoreInfo) {
  return {
    id: s.id,
    name: s.name,
    created_at: timestampJson(s.createdAt),
    updated_at: timestampJson(s.updatedAt),
    deleted_at: s.deletedAt ? timestampJson(s.deletedAt) : null,
  }
}

export async function createStore(ctx: EngineContext, body: unknown) {
  const name = optString(bodyOf(body), 'name')
  if (!STORE_NAME.test(name)) {
    throw validationError(`invalid CreateStoreRequest.Name: value does not match regex pattern "^[a-zA-Z0-9\\s\\.\\-\\/^_&@]{3,64}$"`)
  }
  const s = await ctx.store.stores.create({ id: newUlid(ctx.clock.now().getTime()), name }).catch((err) => { throw fromStoreError(err) })
  const { deleted_at: _, ...out } = storeJson(s)
  return out
}

export async function listStores(ctx: EngineContext, query: Record<string, unknown> = {}) {
  const pageSize = pageSizeOf(queryValue(query.page_size ?? query.pageSize), ctx.limits.defaultPageSize, ctx.limits.maxPageSize)
  const token = continuationTokenOf(queryValue(query.continuation_token ?? query.continuationToken))
  const name = queryValue(query.name)
  const page = await ctx.store.stores.list({ pageSize, continuationToken: token }, name || undefined)
    .catch((err) => { throw fromStoreError(err) })
  return { stores: page.items.map(storeJson), continuation_token: page.continuationToken }
}

export async function getStore(ctx: EngineContext, storeId: string) {
  const s = await ctx.store.stores.get(storeId).catch((err) => { throw fromStoreError(err) })
  if (!s || s.deletedAt) throw new AuthzError('store_id_not_found', `store '${storeId}' not found`)
  return storeJson(s)
}

export async function deleteStore(ctx: EngineContext, storeId: string): Promise<void> {
  const deleted = await ctx.store.stores.delete(storeId).catch((err) => { throw fromStoreError(err) })
  ctx.indexes.evict(storeId)
  ctx.models.forgetStore(storeId)
  if (!deleted) throw new AuthzError('store_id_not_found', `store '${storeId}' not found`)
}
