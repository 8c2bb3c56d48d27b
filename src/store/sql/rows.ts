// Row shapes as both databases return them, and their mapping to the contract's types. Numbers
// go through Number() because pg returns bigint columns as strings.

import { validationError } from '../../lib/index.ts'
import type { ModelRecord, StoreInfo, TupleChange, TupleCondition, TupleKey, AuthorizationModelJson } from '../types.ts'
import { canonicalJson, parseJsonColumn } from './canonical.ts'

export interface StoreRow {
  seq: number | string
  id: string
  name: string
  revision: number | string
  created_at: number | string
  updated_at: number | string
  deleted_at: number | string | null
  [column: string]: unknown
}

export interface ModelRow {
  seq: number | string
  id: string
  store_id: string
  model: unknown
  created_at: number | string
  [column: string]: unknown
}

export interface TupleRow {
  object_type: string
  object_id: string
  relation: string
  subject: string
  condition_name: string | null
  condition_context: unknown
  created_at: number | string
  [column: string]: unknown
}

export interface ChangeRow extends TupleRow {
  revision: number | string
  ordinal: number | string
  operation: string
}

export const STORE_COLUMNS = 'seq, id, name, revision, created_at, updated_at, deleted_at'
export const MODEL_COLUMNS = 'seq, id, store_id, model, created_at'
/** The columns of a tuple as `SqlRunner.values` returns them, in this order. */
export const TUPLE_KEY_COLUMNS = 'object_type, object_id, relation, subject, condition_name, condition_context'
export const TUPLE_COLUMNS = `${TUPLE_KEY_COLUMNS}, created_at`
export const CHANGE_COLUMNS = `revision, ordinal, operation, ${TUPLE_COLUMNS}`

export function toStoreInfo(row: StoreRow): StoreInfo {
  return {
    id: row.id,
    name: row.name,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    deletedAt: row.deleted_at === null ? null : new Date(Number(row.deleted_at)),
  }
}

export function toModelRecord(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    storeId: row.store_id,
    model: parseJsonColumn(row.model) as AuthorizationModelJson,
    createdAt: new Date(Number(row.created_at)),
  }
}

export function toTupleKey(row: TupleRow): TupleKey {
  return tupleKeyOf(row.object_type, row.object_id, row.relation, row.subject, row.condition_name, row.condition_context)
}

/** A row of TUPLE_KEY_COLUMNS read as values. */
export function valuesToTupleKey(row: unknown[]): TupleKey {
  return tupleKeyOf(row[0] as string, row[1] as string, row[2] as string, row[3] as string, row[4] as string | null, row[5])
}

function tupleKeyOf(type: string, id: string, relation: string, subject: string, conditionName: string | null, context: unknown): TupleKey {
  const key: TupleKey = { object: `${type}:${id}`, relation, user: subject }
  if (conditionName !== null) {
    const condition: TupleCondition = { name: conditionName }
    if (context !== null && context !== undefined) {
      condition.context = parseJsonColumn(context) as Record<string, unknown>
    }
    key.condition = condition
  }
  return key
}

export function toTupleChange(row: ChangeRow): TupleChange {
  return {
    key: toTupleKey(row),
    operation: row.operation === 'delete' ? 'delete' : 'write',
    timestamp: new Date(Number(row.created_at)),
    revision: Number(row.revision),
  }
}

/** The four identity columns of a tuple: object type, object id, relation, user. */
export type KeyColumns = [objectType: string, objectId: string, relation: string, subject: string]

export function keyColumns(key: TupleKey): KeyColumns {
  const [type, id] = splitObject(key.object)
  return [type, id, key.relation, key.user]
}

export function keyString(columns: readonly unknown[]): string {
  return JSON.stringify(columns.slice(0, 4))
}

export function splitObject(object: string): [string, string] {
  const colon = object.indexOf(':')
  if (colon <= 0) throw validationError(`object "${object}" is not of the form type:id`)
  return [object.slice(0, colon), object.slice(colon + 1)]
}

/** Condition columns: name and context JSON; an empty context is stored as NULL. */
export function conditionColumns(condition: TupleCondition | undefined): [string | null, string | null] {
  if (condition === undefined) return [null, null]
  const context = condition.context
  const hasContext = context !== undefined && context !== null && Object.keys(context).length > 0
  return [condition.name, hasContext ? canonicalJson(context) : null]
}

/** Equality of conditions as stored: name plus canonical context, absent and {} being equal. */
export function sameCondition(a: TupleCondition | undefined, b: TupleCondition | undefined): boolean {
  const [an, ac] = conditionColumns(a)
  const [bn, bc] = conditionColumns(b)
  return an === bn && ac === bc
}
