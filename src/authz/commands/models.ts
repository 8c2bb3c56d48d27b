// Authorization models: WriteAuthorizationModel (validate completely, then store), ReadAuthorizationModel,
// ReadAuthorizationModels.
import { newUlid } from '../../lib/index.ts'
import type { ModelRecord } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import { normalizeModel } from '../model/json.ts'
import { compileModel } from '../model/validate.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, continuationTokenOf, isUlidLike, pageSizeOf, queryValue } from './parse.ts'

function modelJson(rec: ModelRecord) {
  const m = normalizeModel(rec.model)
  return { id: rec.id, schema_version: m.schema_version, type_definitions: m.type_definitions, conditions: m.conditions }
}

export async function writeAuthorizationModel(ctx: EngineContext, storeId: string, body: unknown) {
  const raw = bodyOf(body)
  const size = Buffer.byteLength(JSON.stringify(raw))
  if (size > ctx.limits.maxModelSizeBytes) {
    throw new AuthzError('exceeded_entity_limit',
      `model exceeds size limit: ${size} bytes exceeds ${ctx.limits.maxModelSizeBytes} bytes`)
  }
  const json = normalizeModel(raw)
  if (json.type_definitions.length > ctx.limits.maxTypesPerModel) {
    throw new AuthzError('exceeded_entity_limit',
      `number of type definitions in an authorization model exceeds the allowed limit of ${ctx.limits.maxTypesPerModel}`)
  }
  const id = newUlid(ctx.clock.now().getTime())
  const model = compileModel(id, json)
  await ctx.store.models.write(storeId, id, model.json).catch((err) => { throw fromStoreError(err) })
  ctx.models.written(storeId, model)
  return { authorization_model_id: id }
}

export async function readAuthorizationModel(ctx: EngineContext, storeId: string, modelId: string) {
  if (!isUlidLike(modelId)) {
    throw validationError(`invalid 'id' '${modelId}': value does not match regex pattern "^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$"`)
  }
  const rec = await ctx.store.models.get(storeId, modelId).catch((err) => { throw fromStoreError(err) })
  if (!rec) throw new AuthzError('authorization_model_not_found', `Authorization Model '${modelId}' not found`)
  return { authorization_model: modelJson(rec) }
}

export async function readAuthorizationModels(ctx: EngineContext, storeId: string, query: Record<string, unknown> = {}) {
  const pageSize = pageSizeOf(queryValue(query.page_size ?? query.pageSize), ctx.limits.defaultPageSize, ctx.limits.maxPageSize)
  const token = continuationTokenOf(queryValue(query.continuation_token ?? query.continuationToken))
  const page = await ctx.store.models.list(storeId, { pageSize, continuationToken: token }).catch((err) => { throw fromStoreError(err) })
  return { authorization_models: page.items.map(modelJson), continuation_token: page.continuationToken }
}
