// Change preview: which (user, relation, object) answers a model change and tuple writes/deletes
// would flip, before anything is applied. Both sides are evaluated by the same Check evaluator:
// "before" on the store's latest model and tuples, "after" on the candidate model (or the latest)
// over an in-memory copy of the tuples with the deletes removed and the writes added. Nothing is
// written. The questions are the ones the caller names, or a bounded sample the server draws
// from the tuples (every user and object they mention, every relation of the object's type).
import type { TupleKey } from '../../store/types.ts'
import { AuthzError, validationError } from '../errors.ts'
import { modelFromDsl } from '../model/dsl.ts'
import type { CompiledModel } from '../model/compiled.ts'
import { normalizeModel } from '../model/json.ts'
import { compileModel } from '../model/validate.ts'
import { Evaluator, ERROR, TRUE, userRef } from '../resolve/check.ts'
import { TupleIndex } from '../resolve/tuple-index.ts'
import { toRecord, tupleProblem, tupleText, typeOf } from '../resolve/tuples.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, contextOf, isObject, tupleKeyOf, type Obj } from './parse.ts'

/** Questions asked when the caller sets no `limit`, and the most it may set. */
export const PREVIEW_DEFAULT_LIMIT = 1000
export const PREVIEW_MAX_LIMIT = 10_000
/** Tuple changes, and names in each of users/objects/relations, one preview may carry. */
export const PREVIEW_MAX_ITEMS = 1000
/** Tuples copied for the "after" side; a larger store is refused rather than copied. */
export const PREVIEW_MAX_TUPLES = 1_000_000

export interface Flip {
  user: string
  relation: string
  object: string
  before: boolean
  after: boolean
}

export interface PreviewAnswer {
  /** 'given': the caller named users, objects or relations; 'sample': the server chose them all. */
  sample: 'given' | 'sample'
  checked: number
  /** More questions were possible than `limit` allowed. */
  truncated: boolean
  counts: { granted: number; revoked: number; unchanged: number; undetermined: number }
  flips: Flip[]
  current_model_id: string | null
}

function limited(n: number, what: string): void {
  if (n > PREVIEW_MAX_ITEMS) throw new AuthzError('exceeded_entity_limit', `a change preview takes at most ${PREVIEW_MAX_ITEMS} ${what}`)
}

function names(o: Obj, key: string): string[] | undefined {
  const v = o[key]
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '' && s.length <= 512)) {
    throw validationError(`invalid '${key}': expected an array of non-empty strings`)
  }
  limited(v.length, key)
  return [...new Set(v as string[])]
}

function keys(o: Obj, key: 'writes' | 'deletes'): TupleKey[] {
  const v = o[key]
  if (v === undefined || v === null) return []
  const list = isObject(v) ? v.tuple_keys : v
  if (!Array.isArray(list)) throw validationError(`invalid '${key}': expected an array of tuple keys`)
  limited(list.length, key)
  return list.map((t, i) => tupleKeyOf(t, { condition: key === 'writes', where: `${key}[${i}]` }))
}

function limitOf(o: Obj): number {
  const v = o.limit
  if (v === undefined || v === null) return PREVIEW_DEFAULT_LIMIT
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > PREVIEW_MAX_LIMIT) {
    throw validationError(`invalid 'limit': value must be an integer inside range [1, ${PREVIEW_MAX_LIMIT}]`)
  }
  return v
}

function candidateOf(ctx: EngineContext, o: Obj): CompiledModel | undefined {
  const dsl = o.dsl
  const json = o.authorization_model
  if (dsl !== undefined && json !== undefined) throw validationError(`give 'dsl' or 'authorization_model', not both`)
  if (dsl === undefined && json === undefined) return undefined
  if (dsl !== undefined && typeof dsl !== 'string') throw validationError(`invalid 'dsl': expected a string`)
  const raw = typeof dsl === 'string' ? modelFromDsl(dsl) : json
  const size = Buffer.byteLength(JSON.stringify(raw ?? null))
  if (size > ctx.limits.maxModelSizeBytes) {
    throw new AuthzError('exceeded_entity_limit', `model exceeds size limit: ${size} bytes exceeds ${ctx.limits.maxModelSizeBytes} bytes`)
  }
  return compileModel('candidate', normalizeModel(raw))
}

async function currentModel(ctx: EngineContext, storeId: string, hasCandidate: boolean): Promise<CompiledModel | undefined> {
  try {
    return await ctx.models.resolve(storeId, '', true)
  } catch (err) {
    // A store without a model yet: everything is false before, which a first model can preview.
    if (hasCandidate && err instanceof AuthzError && err.code === 'latest_authorization_model_not_found') return undefined
    throw err
  }
}

/** Relations of an object's type in either model, so added and removed relations both show. */
function relationsOf(type: string, models: (CompiledModel | undefined)[], only: string[] | undefined): string[] {
  const all = new Set<string>()
  for (const m of models) for (const r of m?.types.get(type)?.relations.keys() ?? []) all.add(r)
  return [...all].filter((r) => only === undefined || only.includes(r)).sort()
}

/** One side's answer: true, false, or undefined when it cannot be decided (missing condition context). */
function answer(ev: Evaluator | undefined, object: string, relation: string, user: string): boolean | undefined {
  if (ev === undefined) return false
  const m = ev.model
  const userType = typeOf(user.split('#')[0]!)
  if (!m.relation(typeOf(object), relation) || !m.hasType(userType)) return false
  const r = ev.check(object, relation, userRef(user))
  return r === ERROR ? undefined : r === TRUE
}

/** The names picked, or those the changed tuples mention, then the rest of the store's, each part sorted. */
function ordered(picked: string[] | undefined, writes: TupleKey[], deletes: TupleKey[], index: TupleIndex, name: (k: TupleKey) => string | undefined): string[] {
  if (picked !== undefined) return picked
  const first = new Set<string>()
  for (const k of [...writes, ...deletes]) { const n = name(k); if (n !== undefined) first.add(n) }
  const rest = new Set<string>()
  for (const k of index.keys()) { const n = name(k); if (n !== undefined && !first.has(n)) rest.add(n) }
  return [...[...first].sort(), ...[...rest].sort()]
}

export async function changePreview(ctx: EngineContext, storeId: string, body: unknown): Promise<PreviewAnswer> {
  const o = bodyOf(body)
  const writes = keys(o, 'writes')
  const deletes = keys(o, 'deletes')
  const pickedUsers = names(o, 'users')
  const pickedObjects = names(o, 'objects')
  const pickedRelations = names(o, 'relations')
  const limit = limitOf(o)
  const context = contextOf(o)
  const candidate = candidateOf(ctx, o)
  const current = await currentModel(ctx, storeId, candidate !== undefined)
  const after = candidate ?? current!
  for (const key of writes) {
    const problem = tupleProblem(after, toRecord(key))
    if (problem) throw new AuthzError('invalid_tuple', `Invalid tuple '${tupleText(key)}'. Reason: ${problem.reason}`)
  }

  const index = await ctx.indexes.get(storeId, true)
  if (index.size > PREVIEW_MAX_TUPLES) {
    throw new AuthzError('exceeded_entity_limit', `the store holds ${index.size} tuples; a change preview copies at most ${PREVIEW_MAX_TUPLES}`)
  }
  // Tuple changes need a copy to apply them to; a model change alone reads the same tuples.
  let changed = index
  if (writes.length > 0 || deletes.length > 0) {
    changed = TupleIndex.from(index.keys())
    for (const key of deletes) changed.remove(key)
    for (const key of writes) changed.add(key)
  }

  // The sample: users and objects the tuples mention (usersets and wildcards are not someone a
  // check asks about), those of the changed tuples first so a limit cuts the rest, then the
  // store's in a stable order so the same request answers the same.
  const users = ordered(pickedUsers, writes, deletes, index, (k) => !k.user.includes('#') && !k.user.endsWith(':*') ? k.user : undefined)
  const objects = ordered(pickedObjects, writes, deletes, index, (k) => k.object)
  const before = current && new Evaluator(current, [index], context, ctx.limits.resolveDepthLimit)
  const afterEv = new Evaluator(after, [changed], context, ctx.limits.resolveDepthLimit)

  const out: PreviewAnswer = {
    sample: pickedUsers || pickedObjects || pickedRelations ? 'given' : 'sample',
    checked: 0,
    truncated: false,
    counts: { granted: 0, revoked: 0, unchanged: 0, undetermined: 0 },
    flips: [],
    current_model_id: current?.id ?? null,
  }
  outer: for (const object of objects) {
    const relations = relationsOf(typeOf(object), [current, after], pickedRelations)
    for (const user of users) {
      for (const relation of relations) {
        if (out.checked === limit) { out.truncated = true; break outer }
        out.checked++
        const was = answer(before, object, relation, user)
        const is = answer(afterEv, object, relation, user)
        if (was === undefined || is === undefined) out.counts.undetermined++
        else if (was === is) out.counts.unchanged++
        else {
          out.counts[is ? 'granted' : 'revoked']++
          out.flips.push({ user, relation, object, before: was, after: is })
        }
      }
    }
  }
  return out
}
