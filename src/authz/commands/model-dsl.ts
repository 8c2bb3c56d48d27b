// Models as DSL for editors: the stored model written out as DSL, and DSL checked the way
// WriteAuthorizationModel would check it, with each problem's line and column.
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import { checkModelDsl } from '../model/dsl-check.ts'
import { modelToDsl } from '../model/dsl.ts'
import type { EngineContext } from './context.ts'
import { bodyOf } from './parse.ts'
import { readAuthorizationModel } from './models.ts'

async function knownStore(ctx: EngineContext, storeId: string): Promise<void> {
  const store = await ctx.store.stores.get(storeId).catch((err) => { throw fromStoreError(err) })
  if (!store) throw new AuthzError('store_id_not_found', `store '${storeId}' not found`)
}

export async function modelDsl(ctx: EngineContext, storeId: string, modelId: string) {
  await knownStore(ctx, storeId)
  const id = modelId === '' ? (await ctx.models.resolve(storeId, '', true)).id : modelId
  const { authorization_model: model } = await readAuthorizationModel(ctx, storeId, id)
  return { id: model.id, dsl: modelToDsl(model) }
}

export async function validateModelDsl(ctx: EngineContext, storeId: string, body: unknown) {
  const dsl = bodyOf(body).dsl
  if (typeof dsl !== 'string') throw validationError(`invalid 'dsl': expected the model as DSL text`)
  if (Buffer.byteLength(dsl) > ctx.limits.maxModelSizeBytes) {
    throw new AuthzError('exceeded_entity_limit', `model exceeds size limit of ${ctx.limits.maxModelSizeBytes} bytes`)
  }
  await knownStore(ctx, storeId)
  const { model, problems } = checkModelDsl(dsl)
  return { valid: problems.length === 0, problems, ...(model ? { authorization_model: model } : {}) }
}
