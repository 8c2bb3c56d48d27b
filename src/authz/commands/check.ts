// Check and BatchCheck. Check validates its own tuple loosely (unknown type, relation or user type
// is validation_error) and contextual tuples strictly (invalid_tuple); `"trace": true` adds the
// Explain tree (see resolve/trace.ts).
import { isAuthzError, validationError } from '../errors.ts'
import type { CompiledModel } from '../model/compiled.ts'
import { ERROR, TRUE, userRef, type Evaluator } from '../resolve/check.ts'
import type { TraceCheck } from '../resolve/trace.ts'
import { toRecord, userObjectRelationProblem } from '../resolve/tuples.ts'
import type { TupleKey } from '../../store/types.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, checkTupleKeyOf, contextOf, contextualTuplesOf, field, isObject } from './parse.ts'
import { evalErrorToAuthz, evaluatorFor, indexFor, makeEvaluator, resolveScope, validateContextual, type QueryMeta } from './query.ts'

function validateCheckInput(model: CompiledModel, key: TupleKey, contextual: readonly TupleKey[]): void {
  const problem = userObjectRelationProblem(model, toRecord(key))
  if (problem) throw validationError(problem.reason)
  validateContextual(model, contextual)
}

function tupleKeyField(o: Record<string, unknown>, where: string): TupleKey {
  const tk = field(o, 'tuple_key', 'tupleKey')
  if (tk === undefined || tk === null) throw validationError(`invalid ${where}: value is required`)
  return checkTupleKeyOf(tk, where)
}

export async function check(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta) {
  const o = bodyOf(body)
  const key = tupleKeyField(o, 'tuple_key')
  const contextual = contextualTuplesOf(o, ctx.limits.maxContextualTuples)
  const context = contextOf(o)
  const scope = await resolveScope(ctx, storeId, o, meta)
  validateCheckInput(scope.model, key, contextual)
  const ev = await evaluatorFor(ctx, storeId, scope, contextual, context)
  const trace: TraceCheck[] | undefined = o.trace === true ? [] : undefined
  const r = ev.check(key.object, key.relation, userRef(key.user), trace)
  if (r === ERROR) throw evalErrorToAuthz(ev.err)
  if (trace) return { allowed: r === TRUE, resolution: '', trace: trace[0] }
  return { allowed: r === TRUE, resolution: '' }
}

const CORRELATION_ID = /^[\w\d-]{1,36}$/

interface BatchItem {
  id: string
  key: TupleKey
  contextual: TupleKey[]
  context: Record<string, unknown> | undefined
}

type BatchResult = { allowed: boolean } | { error: { input_error?: string; internal_error?: string; message: string } }

export async function batchCheck(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta) {
  const o = bodyOf(body)
  const checks = o.checks
  if (!Array.isArray(checks) || checks.length === 0) throw validationError(`invalid 'checks': value must contain at least 1 item`)
  if (checks.length > ctx.limits.maxChecksPerBatchCheck) {
    throw validationError(`batchCheck received ${checks.length} checks, the maximum allowed is ${ctx.limits.maxChecksPerBatchCheck}`)
  }
  const seen = new Set<string>()
  const items: BatchItem[] = checks.map((c, i) => {
    if (!isObject(c)) throw validationError(`invalid checks[${i}]: expected an object`)
    const id = field(c, 'correlation_id', 'correlationId')
    if (typeof id !== 'string' || !CORRELATION_ID.test(id)) {
      throw validationError(`invalid checks[${i}].correlation_id: value must match "^[\\w\\d-]{1,36}$"`)
    }
    if (seen.has(id)) throw validationError(`duplicate correlation_id provided: ${id}`)
    seen.add(id)
    return {
      id,
      key: tupleKeyField(c, `checks[${i}].tuple_key`),
      contextual: contextualTuplesOf(c, ctx.limits.maxContextualTuples),
      context: contextOf(c),
    }
  })
  const scope = await resolveScope(ctx, storeId, o, meta)
  const index = await indexFor(ctx, storeId, scope)
  // Checks without contextual tuples and with the same context share one evaluator (and memo).
  const shared = new Map<string, Evaluator>()
  const result: Record<string, BatchResult> = {}
  for (const item of items) {
    try {
      validateCheckInput(scope.model, item.key, item.contextual)
      let ev: Evaluator
      if (item.contextual.length === 0) {
        const k = JSON.stringify(item.context ?? {})
        ev = shared.get(k) ?? makeEvaluator(ctx, scope, index, [], item.context)
        shared.set(k, ev)
      } else {
        ev = makeEvaluator(ctx, scope, index, item.contextual, item.context)
      }
      const r = ev.check(item.key.object, item.key.relation, userRef(item.key.user))
      if (r === ERROR) throw evalErrorToAuthz(ev.err)
      result[item.id] = { allowed: r === TRUE }
    } catch (err) {
      if (isAuthzError(err) && err.status < 500) result[item.id] = { error: { input_error: err.code, message: err.message } }
      else if (isAuthzError(err)) result[item.id] = { error: { internal_error: err.code, message: err.message } }
      else {
        ctx.logger?.warn({ err, storeId, correlationId: item.id }, 'batch check item failed')
        result[item.id] = { error: { internal_error: 'internal_error', message: 'Internal Server Error' } }
      }
    }
  }
  return { result }
}
