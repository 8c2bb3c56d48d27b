// Expand, ListObjects (plain and streamed) and ListUsers: request validation in OpenFGA's order and
// with its error codes, limits (results, deadline), and OpenFGA's rules for when errors met during
// evaluation fail the request.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { AuthzError, validationError } from '../errors.ts'
import { userRef } from '../resolve/check.ts'
import { expandTree, type ExpandBudget } from '../resolve/expand.ts'
import { listObjects as walkObjects, type ListRun } from '../resolve/list-objects.ts'
import { listUsers as walkUsers } from '../resolve/list-users.ts'
import { isValidObject, toRecord, typeOf, userObjectRelationProblem } from '../resolve/tuples.ts'
import type { CompiledModel } from '../model/compiled.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, contextOf, contextualTuplesOf, field, isObject, optString, type Obj } from './parse.ts'
import { evalErrorToAuthz, evaluatorFor, resolveScope, validateContextual, type QueryMeta } from './query.ts'

export async function expand(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta) {
  const o = bodyOf(body)
  const tk = field(o, 'tuple_key', 'tupleKey')
  if (!isObject(tk)) throw validationError(`invalid 'tuple_key': value is required`)
  const object = optString(tk, 'object')
  const relation = optString(tk, 'relation')
  if (object === '' || relation === '') throw new AuthzError('invalid_expand_input', 'Invalid input for expand: object and relation are required')
  const contextual = contextualTuplesOf(o, ctx.limits.maxContextualTuples)
  const scope = await resolveScope(ctx, storeId, o, meta)
  const model = scope.model
  if (!isValidObject(object) || object.endsWith(':*')) throw validationError(`invalid 'object' field format '${object}'`)
  if (!model.hasType(typeOf(object))) throw validationError(`type '${typeOf(object)}' not found`)
  const rel = model.relation(typeOf(object), relation)
  if (!rel) throw validationError(`relation '${typeOf(object)}#${relation}' not found`)
  validateContextual(model, contextual)
  const ev = await evaluatorFor(ctx, storeId, scope, contextual, undefined)
  const max = ctx.limits.expandMaxLeaves
  const budget: ExpandBudget = { left: max, exceeded: false }
  const root = expandTree(model, ev.sources, object, relation, rel.rewrite, budget)
  // Unlike the list queries, a cut-short tree cannot be returned: its leaves would read as complete.
  if (budget.exceeded) {
    throw new AuthzError('exceeded_entity_limit',
      `the expansion of '${object}#${relation}' has more than ${max} users and usersets (expandMaxLeaves); read the tuples page by page with Read instead`)
  }
  return { tree: { root } }
}

interface ListObjectsInput {
  type: string
  relation: string
  user: string
}

async function prepareListObjects(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta) {
  const o = bodyOf(body)
  const input: ListObjectsInput = { type: optString(o, 'type'), relation: optString(o, 'relation'), user: optString(o, 'user') }
  if (!/^[^:#@\s]{1,254}$/.test(input.type)) throw validationError(`invalid 'type' '${input.type}'`)
  if (!/^[^:#@\s]{1,50}$/.test(input.relation)) throw validationError(`invalid 'relation' '${input.relation}'`)
  if (!/^[^\s]{2,512}$/.test(input.user)) throw validationError(`invalid 'user' '${input.user}'`)
  const contextual = contextualTuplesOf(o, ctx.limits.maxContextualTuples)
  const context = contextOf(o)
  const scope = await resolveScope(ctx, storeId, o, meta)
  validateListObjects(scope.model, input, contextual)
  const ev = await evaluatorFor(ctx, storeId, scope, contextual, context)
  return { input, ev }
}

function validateListObjects(model: CompiledModel, input: ListObjectsInput, contextual: Parameters<typeof validateContextual>[1]): void {
  validateContextual(model, contextual)
  if (!model.hasType(input.type)) throw new AuthzError('type_not_found', `type '${input.type}' not found`)
  if (!model.relation(input.type, input.relation)) {
    throw new AuthzError('relation_not_found', `relation '${input.type}#${input.relation}' not found`)
  }
  // The user is validated as Check validates its user (the object part here is irrelevant).
  const problem = userObjectRelationProblem(model, toRecord({ object: `${input.type}:x`, relation: input.relation, user: input.user }))
  if (problem) throw validationError(`invalid 'user' value: ${problem.reason}`)
}

/** OpenFGA: resolution too complex always fails; condition errors fail unless the result is full. */
function listErrors(run: ListRun, found: number, max: number): AuthzError | undefined {
  const depth = run.errors.find((e) => e.kind === 'depth')
  if (depth) return evalErrorToAuthz(depth)
  if (run.errors.length > 0 && !run.timedOut && found < max) return evalErrorToAuthz(run.errors[0])
  return undefined
}

export async function listObjects(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta) {
  const { input, ev } = await prepareListObjects(ctx, storeId, body, meta)
  const max = ctx.limits.listObjectsMaxResults
  const run: ListRun = { errors: [], timedOut: false }
  const objects: string[] = []
  for (const object of walkObjects(ev, input.type, input.relation, userRef(input.user), run, Date.now() + ctx.limits.listObjectsDeadlineMs)) {
    if (object === null) { await yieldToEventLoop(); continue }
    objects.push(object)
    if (max > 0 && objects.length >= max) break
  }
  const err = listErrors(run, objects.length, max > 0 ? max : Infinity)
  if (err) throw err
  if (run.timedOut) ctx.logger?.warn({ storeId }, `list objects timeout after ${ctx.limits.listObjectsDeadlineMs} ms`)
  return { objects }
}

/** Validates at once (rejects the promise); then streams objects as they are confirmed, with no result cap. */
export async function streamedListObjects(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta): Promise<AsyncIterable<{ object: string }>> {
  const { input, ev } = await prepareListObjects(ctx, storeId, body, meta)
  const deadlineAt = Date.now() + ctx.limits.listObjectsDeadlineMs
  return {
    async *[Symbol.asyncIterator]() {
      const run: ListRun = { errors: [], timedOut: false }
      let n = 0
      for (const object of walkObjects(ev, input.type, input.relation, userRef(input.user), run, deadlineAt)) {
        if (run.errors.length > 0) throw evalErrorToAuthz(run.errors[0])
        if (object === null) { await yieldToEventLoop(); continue }
        yield { object }
        if (++n % 100 === 0) await yieldToEventLoop()
      }
      if (run.errors.length > 0 && !run.timedOut) throw evalErrorToAuthz(run.errors[0])
    },
  }
}

function userFilterOf(o: Obj) {
  const filters = field(o, 'user_filters', 'userFilters')
  if (!Array.isArray(filters) || filters.length !== 1) {
    throw validationError(`invalid 'user_filters': value must contain exactly 1 item`)
  }
  const f = filters[0]
  if (!isObject(f)) throw validationError(`invalid 'user_filters[0]': expected an object`)
  const type = optString(f, 'type')
  const relation = optString(f, 'relation')
  if (!/^[^:#@\s]{1,254}$/.test(type)) throw validationError(`invalid 'user_filters[0].type' '${type}'`)
  if (relation !== '' && !/^[^:#@\s]{1,50}$/.test(relation)) throw validationError(`invalid 'user_filters[0].relation' '${relation}'`)
  return { type, relation }
}

type UserJson = { object: { type: string; id: string } } | { userset: { type: string; id: string; relation: string } } | { wildcard: { type: string } }

function userJson(user: string): UserJson {
  const hash = user.indexOf('#')
  const obj = hash < 0 ? user : user.slice(0, hash)
  const colon = obj.indexOf(':')
  const type = obj.slice(0, colon)
  const id = obj.slice(colon + 1)
  if (hash >= 0) return { userset: { type, id, relation: user.slice(hash + 1) } }
  if (id === '*') return { wildcard: { type } }
  return { object: { type, id } }
}

export async function listUsers(ctx: EngineContext, storeId: string, body: unknown, meta?: QueryMeta) {
  const o = bodyOf(body)
  const target = field(o, 'object')
  if (!isObject(target)) throw validationError(`invalid 'object': value is required`)
  const type = optString(target, 'type')
  const id = optString(target, 'id')
  if (!/^[^:#@\s]{1,254}$/.test(type) || !/^[^#:\s]+$/.test(id)) throw validationError(`invalid 'object': type and id are required`)
  const relation = optString(o, 'relation')
  if (!/^[^:#@\s]{1,50}$/.test(relation)) throw validationError(`invalid 'relation' '${relation}'`)
  const filter = userFilterOf(o)
  const contextual = contextualTuplesOf(o, ctx.limits.maxContextualTuples, true)
  const context = contextOf(o)
  const scope = await resolveScope(ctx, storeId, o, meta)
  const model = scope.model
  validateContextual(model, contextual)
  if (!model.hasType(filter.type)) throw new AuthzError('type_not_found', `type '${filter.type}' not found`)
  if (filter.relation && !model.relation(filter.type, filter.relation)) {
    throw new AuthzError('relation_not_found', `relation '${filter.type}#${filter.relation}' not found`)
  }
  if (!model.hasType(type)) throw new AuthzError('type_not_found', `type '${type}' not found`)
  if (!model.relation(type, relation)) throw new AuthzError('relation_not_found', `relation '${type}#${relation}' not found`)
  const ev = await evaluatorFor(ctx, storeId, scope, contextual, context)
  const max = ctx.limits.listUsersMaxResults
  const run: ListRun = { errors: [], timedOut: false }
  const users: UserJson[] = []
  for (const user of walkUsers(ev, `${type}:${id}`, relation, filter, run, Date.now() + ctx.limits.listUsersDeadlineMs)) {
    if (user === null) { await yieldToEventLoop(); continue }
    users.push(userJson(user))
    if (max > 0 && users.length >= max) break
  }
  const depth = run.errors.find((e) => e.kind === 'depth')
  if (depth) throw evalErrorToAuthz(depth)
  if (run.errors.length > 0 && !run.timedOut) throw evalErrorToAuthz(run.errors[0])
  return { users }
}
