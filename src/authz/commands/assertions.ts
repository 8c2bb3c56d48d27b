// Assertions: WriteAssertions (replace all of a model's assertions, validated against that model)
// and ReadAssertions.
import type { AssertionJson } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import { toRecord, userObjectRelationProblem } from '../resolve/tuples.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, checkTupleKeyOf, contextOf, field, isObject, isUlidLike, tupleKeyJson, tupleKeyOf } from './parse.ts'
import { validateContextual } from './query.ts'

const MAX_CONTEXTUAL_PER_ASSERTION = 20
const MAX_PAYLOAD_BYTES = 64 * 1024

function requireModelId(modelId: string): void {
  if (!isUlidLike(modelId)) throw validationError(`invalid 'authorization_model_id' '${modelId}'`)
}

export async function writeAssertions(ctx: EngineContext, storeId: string, modelId: string, body: unknown): Promise<void> {
  requireModelId(modelId)
  const o = bodyOf(body)
  const list = o.assertions ?? []
  if (!Array.isArray(list)) throw validationError(`invalid 'assertions': expected an array`)
  if (list.length > ctx.limits.maxAssertions) {
    throw new AuthzError('assertions_too_many_items', `the number of assertions exceeds the allowed limit of ${ctx.limits.maxAssertions}`)
  }
  if (Buffer.byteLength(JSON.stringify(list)) > MAX_PAYLOAD_BYTES) {
    throw validationError(`assertions exceed ${MAX_PAYLOAD_BYTES} bytes`)
  }
  const model = await ctx.models.byId(storeId, modelId)
  const assertions: AssertionJson[] = list.map((a, i) => {
    if (!isObject(a)) throw validationError(`invalid assertions[${i}]: expected an object`)
    const key = checkTupleKeyOf(field(a, 'tuple_key', 'tupleKey'), `assertions[${i}].tuple_key`)
    const problem = userObjectRelationProblem(model, toRecord(key))
    if (problem) throw validationError(`invalid assertions[${i}]: ${problem.reason}`)
    const ctRaw = field(a, 'contextual_tuples', 'contextualTuples') ?? []
    if (!Array.isArray(ctRaw)) throw validationError(`invalid assertions[${i}].contextual_tuples: expected an array`)
    if (ctRaw.length > MAX_CONTEXTUAL_PER_ASSERTION) {
      throw validationError(`assertions[${i}] has more than ${MAX_CONTEXTUAL_PER_ASSERTION} contextual tuples`)
    }
    const contextual = ctRaw.map((t, j) => tupleKeyOf(t, { condition: true, where: `assertions[${i}].contextual_tuples[${j}]` }))
    validateContextual(model, contextual)
    if (a.expectation !== undefined && typeof a.expectation !== 'boolean') {
      throw validationError(`invalid assertions[${i}].expectation: expected a boolean`)
    }
    return {
      tuple_key: { object: key.object, relation: key.relation, user: key.user },
      expectation: a.expectation === true,
      contextual_tuples: contextual.map(tupleKeyJson),
      context: contextOf(a) ?? {},
    }
  })
  await ctx.store.assertions.write(storeId, modelId, assertions).catch((err) => { throw fromStoreError(err) })
}

export async function readAssertions(ctx: EngineContext, storeId: string, modelId: string) {
  requireModelId(modelId)
  const assertions = await ctx.store.assertions.read(storeId, modelId).catch((err) => { throw fromStoreError(err) })
  return { authorization_model_id: modelId, assertions }
}
