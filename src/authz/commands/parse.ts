// Request parsing shared by the commands: OpenFGA's JSON bodies (json names and proto names both
// accepted), field validation with OpenFGA's patterns, and the protojson output helpers.
import type { TupleCondition, TupleKey } from '../../store/types.ts'
import { AuthzError, validationError } from '../errors.ts'
import { field, isObject } from '../model/json.ts'

export type Obj = Record<string, unknown>

export { field, isObject }

export function bodyOf(body: unknown, what = 'request body'): Obj {
  if (body === undefined || body === null) return {}
  if (!isObject(body)) throw validationError(`invalid ${what}: expected a JSON object`)
  return body
}

export function optString(o: Obj, jsonName: string, protoName?: string): string {
  const v = field(o, jsonName, protoName)
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string') throw validationError(`invalid '${jsonName}': expected a string`)
  return v
}

const ULID = /^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$/

/** An optional authorization_model_id: '' or a ULID. */
export function modelIdOf(o: Obj): string {
  const id = optString(o, 'authorization_model_id', 'authorizationModelId')
  if (id !== '' && !ULID.test(id)) {
    throw validationError(`invalid 'authorization_model_id': value does not match regex pattern "^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$"`)
  }
  return id
}

export function isUlidLike(s: string): boolean {
  return ULID.test(s)
}

/** true for HIGHER_CONSISTENCY; MINIMIZE_LATENCY and UNSPECIFIED (default) are false. */
export function consistencyOf(o: Obj): boolean {
  const v = o.consistency
  if (v === undefined || v === null || v === 'UNSPECIFIED' || v === 'CONSISTENCY_PREFERENCE_UNSPECIFIED' || v === 0) return false
  if (v === 'MINIMIZE_LATENCY' || v === 100) return false
  if (v === 'HIGHER_CONSISTENCY' || v === 200) return true
  throw validationError(`invalid 'consistency': ${JSON.stringify(v)} is not one of UNSPECIFIED, MINIMIZE_LATENCY, HIGHER_CONSISTENCY`)
}

export function contextOf(o: Obj): Record<string, unknown> | undefined {
  const v = o.context
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw validationError(`invalid 'context': expected a JSON object`)
  return v
}

const OBJECT_FIELD = /^[^\s]{2,256}$/
const RELATION_FIELD = /^[^:#@\s]{1,50}$/
const USER_FIELD = /^[^\s]{2,512}$/
const CONDITION_NAME = /^[^:#@\s]{1,50}$/

export interface TupleKeyRules {
  /** Whether a condition may accompany the key (TupleKey vs TupleKeyWithoutCondition). */
  condition: boolean
  /** Where the key sits, for messages. */
  where: string
}

/** Parses a TupleKey with OpenFGA's proto field rules (object ≤256, relation pattern, user ≤512). */
export function tupleKeyOf(v: unknown, rules: TupleKeyRules): TupleKey {
  if (!isObject(v)) throw validationError(`invalid ${rules.where}: expected a tuple key object`)
  const object = optString(v, 'object')
  const relation = optString(v, 'relation')
  const user = optString(v, 'user')
  if (!OBJECT_FIELD.test(object)) throw validationError(`invalid ${rules.where}.object '${object}': value does not match regex pattern "^[^\\s]{2,256}$"`)
  if (!RELATION_FIELD.test(relation)) throw validationError(`invalid ${rules.where}.relation '${relation}': value does not match regex pattern "^[^:#@\\s]{1,50}$"`)
  if (Buffer.byteLength(user) > 512 || user === '') throw validationError(`invalid ${rules.where}.user '${user}': value length must be between 1 and 512 bytes`)
  const key: TupleKey = { object, relation, user }
  const c = v.condition
  if (rules.condition && c !== undefined && c !== null) {
    if (!isObject(c)) throw validationError(`invalid ${rules.where}.condition: expected an object`)
    const name = optString(c, 'name')
    if (!CONDITION_NAME.test(name)) throw validationError(`invalid ${rules.where}.condition.name '${name}'`)
    const cond: TupleCondition = { name }
    if (c.context !== undefined && c.context !== null) {
      if (!isObject(c.context)) throw validationError(`invalid ${rules.where}.condition.context: expected an object`)
      cond.context = c.context
    }
    key.condition = cond
  }
  return key
}

/** A check-style tuple key (user pattern ^[^\s]{2,512}$). */
export function checkTupleKeyOf(v: unknown, where: string): TupleKey {
  const key = tupleKeyOf(v, { condition: false, where })
  if (!USER_FIELD.test(key.user)) throw validationError(`invalid ${where}.user '${key.user}': value does not match regex pattern "^[^\\s]{2,512}$"`)
  return key
}

/** Contextual tuples: `{tuple_keys: [...]}` (Check, ListObjects) or a plain array (ListUsers). */
export function contextualTuplesOf(o: Obj, max: number, plainArray = false): TupleKey[] {
  const raw = field(o, 'contextual_tuples', 'contextualTuples')
  if (raw === undefined || raw === null) return []
  let list: unknown
  if (plainArray) list = raw
  else {
    if (!isObject(raw)) throw validationError(`invalid 'contextual_tuples': expected an object with 'tuple_keys'`)
    list = field(raw, 'tuple_keys', 'tupleKeys') ?? []
  }
  if (!Array.isArray(list)) throw validationError(`invalid 'contextual_tuples': expected an array of tuple keys`)
  if (list.length > max) {
    throw new AuthzError('exceeded_entity_limit', `the number of contextual tuples exceeds the allowed limit of ${max}`)
  }
  return list.map((t, i) => tupleKeyOf(t, { condition: true, where: `contextual_tuples[${i}]` }))
}

/** page_size from a query string or body: default when absent, 1..max otherwise. */
export function pageSizeOf(v: unknown, defaultSize: number, max: number): number {
  if (v === undefined || v === null || v === '') return defaultSize
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new AuthzError('page_size_invalid', `invalid 'page_size': value must be inside range [1, ${max}]`)
  }
  return n
}

const TOKEN = /^$|^[A-Za-z0-9\-_]+={0,2}$/

export function continuationTokenOf(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string' || v.length > 5120 || !TOKEN.test(v)) {
    throw new AuthzError('invalid_continuation_token', 'Invalid continuation token')
  }
  return v
}

/** First value of a query-string parameter. NUL is refused: no store can hold or match it. */
export function queryValue(v: unknown): string | undefined {
  const first = Array.isArray(v) ? v[0] : v
  if (first === undefined || first === null) return undefined
  const s = String(first)
  if (s.includes('\u0000')) throw validationError('invalid query parameter: contains a NUL character')
  return s
}

/** protojson Timestamp: RFC 3339, Z, 0 or 3 fractional digits (milliseconds are what we hold). */
export function timestampJson(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z')
}

/** A TupleKey as protojson writes it (unset condition emitted as null). */
export function tupleKeyJson(k: TupleKey): Record<string, unknown> {
  return {
    object: k.object,
    relation: k.relation,
    user: k.user,
    condition: k.condition ? { name: k.condition.name, context: k.condition.context ?? null } : null,
  }
}
