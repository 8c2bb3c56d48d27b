// Read (tuples by filter, paginated, always from the store) and ReadChanges (the changelog).
import type { TupleFilter } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import { parseRfc3339 } from '../model/params.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, continuationTokenOf, field, isObject, optString, pageSizeOf, queryValue, timestampJson, tupleKeyJson } from './parse.ts'

const READ_USER = /^[^\s]+:[^\s]*$/

function filterOf(raw: unknown): TupleFilter {
  if (raw === undefined || raw === null) return {}
  if (!isObject(raw)) throw validationError(`invalid 'tuple_key': expected an object`)
  const object = optString(raw, 'object')
  const relation = optString(raw, 'relation')
  const user = optString(raw, 'user')
  if (object === '' && relation === '' && user === '') return {}
  if (object.length > 256) throw validationError(`invalid 'tuple_key.object': value length must be at most 256 characters`)
  if (Buffer.byteLength(user) > 512) throw validationError(`invalid 'tuple_key.user': value length must be at most 512 bytes`)
  const colon = object.indexOf(':')
  if (object === '' || colon <= 0) {
    throw validationError(`invalid 'tuple_key.object' '${object}': the object must name a type ('type:id' or 'type:')`)
  }
  const objectType = object.slice(0, colon)
  const objectId = object.slice(colon + 1)
  if (objectId === '' && user === '') {
    throw validationError(`invalid 'tuple_key': when 'object' is only a type ('${object}'), 'user' must be given`)
  }
  if (user !== '' && !READ_USER.test(user)) throw validationError(`invalid 'tuple_key.user' '${user}'`)
  if (relation !== '' && !/^[^:#@\s]{1,50}$/.test(relation)) throw validationError(`invalid 'tuple_key.relation' '${relation}'`)
  const filter: TupleFilter = { objectType }
  if (objectId !== '') filter.objectId = objectId
  if (relation !== '') filter.relation = relation
  if (user !== '') filter.user = user
  return filter
}

export async function read(ctx: EngineContext, storeId: string, body: unknown) {
  const o = bodyOf(body)
  const filter = filterOf(field(o, 'tuple_key', 'tupleKey'))
  const pageSize = pageSizeOf(field(o, 'page_size', 'pageSize'), ctx.limits.defaultPageSize, ctx.limits.maxPageSize)
  const token = continuationTokenOf(field(o, 'continuation_token', 'continuationToken'))
  const page = await ctx.store.tuples.read(storeId, filter, { pageSize, continuationToken: token })
    .catch((err) => { throw fromStoreError(err) })
  return {
    tuples: page.items.map((t) => ({ key: tupleKeyJson(t.key), timestamp: timestampJson(t.timestamp) })),
    continuation_token: page.continuationToken,
  }
}

/**
 * Tuples by any combination of object type, object, relation and user (Read insists on an object
 * or a type with a user, as OpenFGA does; an administrator browsing a store needs every mix).
 */
export async function browseTuples(ctx: EngineContext, storeId: string, query: Record<string, unknown> = {}) {
  const value = (name: string) => queryValue(query[name])?.trim() ?? ''
  const type = value('object_type')
  const object = value('object')
  const relation = value('relation')
  const user = value('user')
  const filter: TupleFilter = {}
  const colon = object.indexOf(':')
  if (colon > 0) {
    filter.objectType = object.slice(0, colon)
    if (object.length > colon + 1) filter.objectId = object.slice(colon + 1)
  } else if (object !== '') {
    if (type === '') throw validationError(`invalid 'object' '${object}': give 'type:id', or the type in 'object_type'`)
    filter.objectId = object
  }
  if (type !== '') {
    if (filter.objectType !== undefined && filter.objectType !== type) throw validationError(`'object' ${object} is not of 'object_type' ${type}`)
    filter.objectType = type
  }
  if (relation !== '') filter.relation = relation
  if (user !== '') filter.user = user
  for (const [name, v] of Object.entries(filter)) {
    if (Buffer.byteLength(v) > 512 || /\s/.test(v)) throw validationError(`invalid '${name}': at most 512 bytes, no spaces`)
  }
  const pageSize = pageSizeOf(queryValue(query.page_size), ctx.limits.defaultPageSize, ctx.limits.maxPageSize)
  const token = continuationTokenOf(queryValue(query.continuation_token))
  const page = await ctx.store.tuples.read(storeId, filter, { pageSize, continuationToken: token })
    .catch((err) => { throw fromStoreError(err) })
  return {
    tuples: page.items.map((t) => ({ key: tupleKeyJson(t.key), timestamp: timestampJson(t.timestamp) })),
    continuation_token: page.continuationToken,
  }
}

export async function readChanges(ctx: EngineContext, storeId: string, query: Record<string, unknown> = {}) {
  const type = queryValue(query.type) ?? ''
  const pageSize = pageSizeOf(queryValue(query.page_size ?? query.pageSize), ctx.limits.defaultPageSize, ctx.limits.maxPageSize)
  const token = continuationTokenOf(queryValue(query.continuation_token ?? query.continuationToken))
  const startRaw = queryValue(query.start_time ?? query.startTime)
  let startTime: Date | undefined
  if (startRaw) {
    startTime = parseRfc3339(startRaw) ?? undefined
    if (!startTime) throw new AuthzError('invalid_start_time', `Invalid start time '${startRaw}': expected RFC 3339`)
  }
  const page = await ctx.store.changelog.read(storeId, {
    objectType: type || undefined,
    pageSize,
    continuationToken: token,
    startTime,
  }).catch((err) => { throw fromStoreError(err) })
  return {
    changes: page.items.map((c) => ({
      tuple_key: tupleKeyJson(c.key),
      operation: c.operation === 'write' ? 'TUPLE_OPERATION_WRITE' : 'TUPLE_OPERATION_DELETE',
      timestamp: timestampJson(c.timestamp),
    })),
    continuation_token: page.continuationToken,
  }
}
