// Write: validate every change (writes against the model: type restrictions, conditions and their
// context; deletes for shape), reject duplicates and oversize batches, commit atomically, then
// apply the committed changes to the in-memory index so this process reads its own writes.
import type { TupleKey } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import { toRecord, tupleProblem, tupleText } from '../resolve/tuples.ts'
import type { AuthzLimits } from '../limits.ts'
import type { CompiledModel } from '../model/compiled.ts'
import type { EngineContext } from './context.ts'
import { bodyOf, field, isObject, modelIdOf, tupleKeyOf, type Obj } from './parse.ts'

interface Side {
  keys: TupleKey[]
  mode: 'error' | 'ignore'
}

function sideOf(o: Obj, name: 'writes' | 'deletes'): Side {
  const raw = o[name]
  const modeField = name === 'writes' ? 'on_duplicate' : 'on_missing'
  if (raw === undefined || raw === null) return { keys: [], mode: 'error' }
  if (!isObject(raw)) throw validationError(`invalid '${name}': expected an object with 'tuple_keys'`)
  const list = field(raw, 'tuple_keys', 'tupleKeys')
  if (!Array.isArray(list) || list.length === 0) {
    throw validationError(`invalid '${name}.tuple_keys': value must contain at least 1 item`)
  }
  const modeRaw = field(raw, modeField, name === 'writes' ? 'onDuplicate' : 'onMissing')
  let mode: 'error' | 'ignore' = 'error'
  if (modeRaw === 'ignore') mode = 'ignore'
  else if (modeRaw !== undefined && modeRaw !== null && modeRaw !== '' && modeRaw !== 'error') {
    throw validationError(`invalid '${name}.${modeField}': value must be in list [ error ignore]`)
  }
  const keys = list.map((t, i) => tupleKeyOf(t, { condition: name === 'writes', where: `${name}.tuple_keys[${i}]` }))
  return { keys, mode }
}

/** Refuses a tuple the model does not allow (or an oversize condition context), as Write does. */
export function checkWrite(limits: AuthzLimits, model: CompiledModel, key: TupleKey): void {
  const rec = toRecord(key)
  if (rec.userRelation === rec.relation && rec.userObject === rec.object) {
    throw validationError(`Invalid tuple '${tupleText(key)}'. Reason: cannot write a tuple that is implicit`)
  }
  const problem = tupleProblem(model, rec)
  if (problem) throw validationError(`Invalid tuple '${tupleText(key)}'. Reason: ${problem.reason}`)
  const size = key.condition?.context ? Buffer.byteLength(JSON.stringify(key.condition.context)) : 0
  if (size > limits.maxConditionContextBytes) {
    throw validationError(`Invalid tuple '${tupleText(key)}'. Reason: condition context size limit exceeded: ${size} bytes exceeds ${limits.maxConditionContextBytes} bytes`)
  }
}

export async function write(ctx: EngineContext, storeId: string, body: unknown): Promise<Record<string, never>> {
  const o = bodyOf(body)
  const writes = sideOf(o, 'writes')
  const deletes = sideOf(o, 'deletes')
  if (writes.keys.length === 0 && deletes.keys.length === 0) {
    throw new AuthzError('invalid_write_input', 'Invalid input. Make sure you provide at least one write or delete')
  }
  const modelId = modelIdOf(o)
  if (writes.keys.length > 0) {
    const model = await ctx.models.resolve(storeId, modelId)
    for (const key of writes.keys) checkWrite(ctx.limits, model, key)
  }
  for (const key of deletes.keys) {
    if ((key.user.match(/:/g)?.length ?? 0) > 1 || (key.user.match(/#/g)?.length ?? 0) > 1 || /\s/.test(key.user)) {
      throw validationError(`Invalid tuple '${tupleText(key)}'. Reason: the 'user' field is malformed`)
    }
  }
  const seen = new Set<string>()
  for (const key of [...deletes.keys, ...writes.keys]) {
    const k = tupleText(key)
    if (seen.has(k)) {
      throw new AuthzError('cannot_allow_duplicate_tuples_in_one_request',
        `duplicate tuple in write: user: '${key.user}', relation: '${key.relation}', object: '${key.object}'`)
    }
    seen.add(k)
  }
  if (seen.size > ctx.limits.maxTuplesPerWrite) {
    throw new AuthzError('exceeded_entity_limit',
      `The number of write operations exceeds the allowed limit of ${ctx.limits.maxTuplesPerWrite}`)
  }
  const result = await ctx.store.tuples.write(storeId, {
    writes: writes.keys,
    deletes: deletes.keys.map((k) => ({ object: k.object, relation: k.relation, user: k.user })),
    onDuplicate: writes.mode,
    onMissing: deletes.mode,
  }).catch((err) => { throw fromStoreError(err) })
  await ctx.indexes.applyLocal(storeId, result)
  return {}
}
