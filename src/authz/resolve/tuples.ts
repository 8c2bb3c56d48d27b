// Tuples as the resolver sees them: parsed once when indexed (types, ids, userset relation split
// out), and judged against a model the way OpenFGA's ValidateTuple does — the same rules reject a
// bad write and silently skip a stored tuple the current model no longer allows.
import type { TupleCondition, TupleKey } from '../../store/types.ts'
import type { CompiledModel } from '../model/compiled.ts'
import { convertParam } from '../model/params.ts'

export interface TupleRecord {
  readonly object: string
  readonly objectType: string
  readonly relation: string
  /** As stored: `type:id`, `type:*` or `type:id#relation`. */
  readonly user: string
  readonly userType: string
  /** `type:id` (or `type:*`) without the userset relation. */
  readonly userObject: string
  /** '' unless the user is a userset. */
  readonly userRelation: string
  readonly wildcard: boolean
  readonly condition: TupleCondition | undefined
  /** Where the record's validity under the model last asked is kept (shared by the index's tuples of one shape). */
  readonly memo: ValidityMemo
}

/** Validity against the last model asked about (one-entry cache; almost always a hit). */
export interface ValidityMemo {
  vm: CompiledModel | undefined
  vok: boolean
}

export function typeOf(object: string): string {
  const i = object.indexOf(':')
  return i < 0 ? object : object.slice(0, i)
}

export function toRecord(key: TupleKey): TupleRecord {
  const hash = key.user.indexOf('#')
  const userObject = hash < 0 ? key.user : key.user.slice(0, hash)
  const condition = key.condition && key.condition.name ? key.condition : undefined
  return {
    object: key.object,
    objectType: typeOf(key.object),
    relation: key.relation,
    user: key.user,
    userType: typeOf(userObject),
    userObject,
    userRelation: hash < 0 ? '' : key.user.slice(hash + 1),
    wildcard: userObject.endsWith(':*'),
    condition,
    memo: { vm: undefined, vok: false },
  }
}

export function tupleText(t: { object: string; relation: string; user: string }): string {
  return `${t.object}#${t.relation}@${t.user}`
}

// The tuple package's shapes (openfga/openfga pkg/tuple).
const OBJECT = /^[^:#\s]+:[^#:\s]+$/
const USERSET = /^[^:#\s]+:[^#:\s]+#[^:#\s]+$/
const RELATION = /^[^:#@\s]+$/

export function isValidObject(s: string): boolean {
  return OBJECT.test(s)
}

export function isValidRelation(s: string): boolean {
  return RELATION.test(s)
}

/** A user the 1.1 schema accepts: `type:id`, `type:*` or `type:id#relation` (no `type:*#relation`). */
export function isValidUserShape(s: string): boolean {
  if (OBJECT.test(s)) return true
  return USERSET.test(s) && !s.slice(0, s.indexOf('#')).endsWith(':*')
}

export type TupleProblemKind =
  /** Malformed, unknown type/relation, or not allowed by type restrictions: OpenFGA's InvalidTupleError. */
  | 'tuple'
  /** Condition missing, unknown, not allowed, or bad context: OpenFGA's InvalidConditionalTupleError. */
  | 'condition'

export interface TupleProblem {
  kind: TupleProblemKind
  /** The unknown type or relation, when that is the problem (for type_not_found / relation_not_found). */
  notFound?: { type: string; relation?: string }
  reason: string
}

/** The loose check Check applies to its own tuple_key (OpenFGA's ValidateUserObjectRelation). */
export function userObjectRelationProblem(model: CompiledModel, t: TupleRecord): TupleProblem | null {
  if (!isValidUserShape(t.user)) {
    return { kind: 'tuple', reason: `the 'user' field must be an object (e.g. document:1) or an 'object#relation' or a typed wildcard (e.g. group:*); got '${t.user}'` }
  }
  if (!model.hasType(t.userType)) return { kind: 'tuple', notFound: { type: t.userType }, reason: `type '${t.userType}' not found` }
  if (t.userRelation && !model.relation(t.userType, t.userRelation)) {
    return { kind: 'tuple', notFound: { type: t.userType, relation: t.userRelation }, reason: `relation '${t.userType}#${t.userRelation}' not found` }
  }
  if (!isValidObject(t.object)) return { kind: 'tuple', reason: `invalid 'object' field format '${t.object}'` }
  if (t.object.endsWith(':*')) return { kind: 'tuple', reason: `the 'object' field cannot reference a typed wildcard` }
  if (!model.hasType(t.objectType)) return { kind: 'tuple', notFound: { type: t.objectType }, reason: `type '${t.objectType}' not found` }
  if (!isValidRelation(t.relation)) return { kind: 'tuple', reason: `the 'relation' field is malformed` }
  if (!model.relation(t.objectType, t.relation)) {
    return { kind: 'tuple', notFound: { type: t.objectType, relation: t.relation }, reason: `relation '${t.objectType}#${t.relation}' not found` }
  }
  return null
}

/** Full validation of a tuple against a model, as for a write (OpenFGA's ValidateTuple). */
export function tupleProblem(model: CompiledModel, t: TupleRecord): TupleProblem | null {
  const basic = userObjectRelationProblem(model, t)
  if (basic) return basic
  const rel = model.relation(t.objectType, t.relation)!
  const where = `${t.objectType}#${t.relation}`
  if (rel.isTupleset && (t.wildcard || t.userRelation)) {
    return { kind: 'tuple', reason: `unexpected ${t.wildcard ? 'wildcard' : `user '${t.user}'`} with tupleset relation '${where}'` }
  }
  const refs = rel.directTypes
  if (t.userRelation) {
    if (!refs.some((r) => r.type === t.userType && r.relation === t.userRelation)) {
      return { kind: 'tuple', reason: `'${t.userType}#${t.userRelation}' is not an allowed type restriction for '${where}'` }
    }
  } else if (t.wildcard) {
    if (!refs.some((r) => r.type === t.userType && r.wildcard)) {
      return { kind: 'tuple', reason: `the typed wildcard '${t.user}' is not an allowed type restriction for '${where}'` }
    }
  } else if (!refs.some((r) => r.type === t.userType && !r.wildcard && !r.relation)) {
    return { kind: 'tuple', reason: `type '${t.userType}' is not an allowed type restriction for '${where}'` }
  }
  return conditionProblem(model, t)
}

/**
 * The condition must match a restriction of the tuple's own kind (`user`, `user:*`, `group#member`):
 * an unconditioned tuple needs an unconditioned restriction, `with c` needs `... with c`. So a
 * stored `user:*` stops counting once the model only allows `user:* with c` (OpenFGA's matrix:
 * wildcard_with_condition).
 */
function conditionProblem(model: CompiledModel, t: TupleRecord): TupleProblem | null {
  const refs = model.relation(t.objectType, t.relation)!.directTypes
  const sameKind = refs.filter((r) => r.type === t.userType && r.relation === t.userRelation && r.wildcard === t.wildcard)
  if (!t.condition) {
    return sameKind.some((r) => !r.condition) ? null : { kind: 'condition', reason: 'condition is missing' }
  }
  const cond = model.conditions.get(t.condition.name)
  if (!cond) return { kind: 'condition', reason: `undefined condition '${t.condition.name}'` }
  if (!sameKind.some((r) => r.condition === t.condition!.name)) {
    return { kind: 'condition', reason: `invalid condition '${t.condition.name}' for type restriction` }
  }
  for (const [key, value] of Object.entries(t.condition.context ?? {})) {
    const type = cond.params.get(key)
    if (!type) return { kind: 'condition', reason: `found invalid context parameter: ${key}` }
    try {
      convertParam(type, value)
    } catch (err) {
      return { kind: 'condition', reason: `failed to convert context parameter '${key}': ${(err as Error).message}` }
    }
  }
  return null
}

/** Whether a stored tuple counts under `model` (tuples from older models that no longer fit are ignored). */
export function isTupleValid(model: CompiledModel, t: TupleRecord): boolean {
  const memo = t.memo
  if (memo.vm === model) return memo.vok
  const ok = tupleProblem(model, t) === null
  memo.vm = model
  memo.vok = ok
  return ok
}
