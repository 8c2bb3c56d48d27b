// Shared steps of the query commands: resolve the model (and report its id), validate contextual
// tuples like writes, get the store's index at the requested consistency, overlay contextual
// tuples, and turn evaluation errors into OpenFGA's errors.
import type { TupleKey } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import type { CompiledModel } from '../model/compiled.ts'
import { Evaluator, type EvalError } from '../resolve/check.ts'
import { TupleIndex } from '../resolve/tuple-index.ts'
import { toRecord, tupleProblem, tupleText } from '../resolve/tuples.ts'
import type { EngineContext } from './context.ts'
import { consistencyOf, modelIdOf, type Obj } from './parse.ts'

export interface QueryMeta {
  modelId?: string
}

export interface QueryScope {
  model: CompiledModel
  fresh: boolean
}

export async function resolveScope(ctx: EngineContext, storeId: string, o: Obj, meta?: QueryMeta): Promise<QueryScope> {
  const modelId = modelIdOf(o)
  const fresh = consistencyOf(o)
  const model = await ctx.models.resolve(storeId, modelId, fresh)
  if (meta) meta.modelId = model.id
  return { model, fresh }
}

/** Contextual tuples must be valid writes: invalid_tuple (2027), or validation_error (2000) for condition problems. */
export function validateContextual(model: CompiledModel, keys: readonly TupleKey[]): void {
  for (const key of keys) {
    const problem = tupleProblem(model, toRecord(key))
    if (!problem) continue
    const text = `Invalid tuple '${tupleText(key)}'. Reason: ${problem.reason}`
    if (problem.kind === 'condition') throw validationError(text)
    throw new AuthzError('invalid_tuple', text)
  }
}

/** The store's tuple index at the scope's consistency. */
export function indexFor(ctx: EngineContext, storeId: string, scope: QueryScope): Promise<TupleIndex> {
  return ctx.indexes.get(storeId, scope.fresh).catch((err) => { throw fromStoreError(err) })
}

/** An evaluator over an index plus the request's contextual tuples. */
export function makeEvaluator(
  ctx: EngineContext, scope: QueryScope, index: TupleIndex, contextual: readonly TupleKey[], context: Record<string, unknown> | undefined,
): Evaluator {
  const sources = contextual.length > 0 ? [index, TupleIndex.from(contextual)] : [index]
  return new Evaluator(scope.model, sources, context, ctx.limits.resolveDepthLimit)
}

/** Builds an evaluator over the store's index plus the request's contextual tuples. */
export async function evaluatorFor(
  ctx: EngineContext, storeId: string, scope: QueryScope, contextual: readonly TupleKey[], context: Record<string, unknown> | undefined,
): Promise<Evaluator> {
  return makeEvaluator(ctx, scope, await indexFor(ctx, storeId, scope), contextual, context)
}

export function evalErrorToAuthz(err: EvalError | undefined): AuthzError {
  if (err?.kind === 'depth') {
    return new AuthzError('authorization_model_resolution_too_complex',
      'Authorization Model resolution required too many rewrite rules to be resolved. Try simplifying your authorization model.')
  }
  return validationError(err?.message ?? 'evaluation failed')
}
