// Import: tuples streamed in, each validated exactly as Write validates it (shape, the model's
// type restrictions, conditions, context size), written in batches of thousands, each batch one
// transaction and one revision through tuples.import, then applied to the in-memory index once.
//
// A bad tuple stops the import before its batch is written: earlier batches stay committed, the
// failing batch writes nothing, and the error names the tuple's position and how much was
// committed. Re-running the same input with on_duplicate 'ignore' then resumes where it stopped.
import { AppError, canonicalJson, isAppError } from '../../lib/index.ts'
import { isStoreError } from '../../store/errors.ts'
import type { TupleKey } from '../../store/types.ts'
import { AuthzError, fromStoreError, validationError } from '../errors.ts'
import { tupleText } from '../resolve/tuples.ts'
import type { CompiledModel } from '../model/compiled.ts'
import type { EngineContext } from './context.ts'
import { modelIdOf, tupleKeyOf } from './parse.ts'
import { checkWrite } from './write.ts'

/** One entry of the input: a tuple key, or why its text could not be read; `line` when known. */
export interface ImportItem {
  tuple?: unknown
  error?: string
  line?: number
}

export interface ImportOptions {
  /** 'error' (default): a tuple already stored, or repeated in the input, fails the import; 'ignore': skipped. */
  onDuplicate?: unknown
  /** The model to validate against; default the store's latest. */
  authorizationModelId?: unknown
  /** Tuples per transaction (1..MAX_IMPORT_BATCH). */
  batchSize?: unknown
}

export interface ImportResult {
  /** Tuples written (committed). */
  imported: number
  /** Duplicates skipped under on_duplicate 'ignore'. */
  skipped: number
  /** Batches done, each one transaction (and one revision, unless it held nothing new). */
  batches: number
}

/** Large enough that a commit's sync is shared by thousands of tuples, small enough to hold briefly. */
export const DEFAULT_IMPORT_BATCH = 5000
export const MAX_IMPORT_BATCH = 10_000

function modeOf(v: unknown): 'error' | 'ignore' {
  if (v === undefined || v === null || v === '' || v === 'error') return 'error'
  if (v === 'ignore') return 'ignore'
  throw validationError(`invalid 'on_duplicate': value must be in list [ error ignore]`)
}

function batchSizeOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return DEFAULT_IMPORT_BATCH
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_IMPORT_BATCH) {
    throw validationError(`invalid 'batch_size': value must be an integer from 1 to ${MAX_IMPORT_BATCH}`)
  }
  return n
}

const conditionOf = (k: TupleKey) => (k.condition ? `${k.condition.name}\u0000${canonicalJson(k.condition.context ?? {})}` : '')

interface Position {
  index: number
  line?: number
}

/** The error a client sees: the cause's code and status, where it happened and what was committed. */
function failure(err: unknown, at: Position | undefined, progress: ImportResult): unknown {
  if (!isAppError(err)) return err
  const where = at === undefined ? '' : at.line !== undefined ? `line ${at.line}: ` : `tuple ${at.index + 1}: `
  return new AppError(err.code, `${where}${err.message}`, {
    status: err.status,
    cause: err,
    details: { ...(at ? { index: at.index, ...(at.line !== undefined ? { line: at.line } : {}) } : {}), ...progress },
  })
}

export async function importTuples(
  ctx: EngineContext, storeId: string, source: AsyncIterable<ImportItem> | Iterable<ImportItem>, options: ImportOptions = {},
): Promise<ImportResult> {
  const progress: ImportResult = { imported: 0, skipped: 0, batches: 0 }
  let onDuplicate: 'error' | 'ignore'
  let batchSize: number
  let model: CompiledModel
  try {
    onDuplicate = modeOf(options.onDuplicate)
    batchSize = batchSizeOf(options.batchSize)
    model = await ctx.models.resolve(storeId, modelIdOf({ authorization_model_id: options.authorizationModelId ?? '' }))
  } catch (err) {
    throw failure(err, undefined, progress)
  }

  // The batch being filled: keys in order, and where each came from (to place a store error).
  let batch: TupleKey[] = []
  let positions = new Map<string, Position & { condition: string }>()
  // Repeats dropped from the batch; counted as skipped once the batch commits.
  let repeats = 0
  const flush = async () => {
    if (batch.length === 0) {
      progress.skipped += repeats
      return
    }
    let result
    try {
      result = await ctx.store.tuples.import(storeId, { writes: batch, onDuplicate })
    } catch (err) {
      const at = isStoreError(err) && err.tuple ? positions.get(tupleText(err.tuple)) : undefined
      throw failure(fromStoreError(err), at, progress)
    }
    await ctx.indexes.applyLocal(storeId, result)
    progress.imported += result.applied.length
    progress.skipped += batch.length - result.applied.length + repeats
    progress.batches++
    batch = []
    positions = new Map()
    repeats = 0
  }

  try {
    await readBatches()
  } catch (err) {
    // Errors of the input itself (a broken stream) get the progress too; the others have it already.
    throw isAppError(err) && err.details !== undefined && 'batches' in err.details ? err : failure(err, undefined, progress)
  }
  return progress

  async function readBatches(): Promise<void> {
    let index = 0
    for await (const item of source) {
      const at: Position = { index: index++, ...(item.line !== undefined ? { line: item.line } : {}) }
      try {
        if (item.error !== undefined) throw validationError(item.error)
        const key = tupleKeyOf(item.tuple, { condition: true, where: 'tuple' })
        checkWrite(ctx.limits, model, key)
        const text = tupleText(key)
        const condition = conditionOf(key)
        const earlier = positions.get(text)
        if (earlier !== undefined) {
          // Repeated within this batch: settled here, so the store sees each key once per batch.
          // Across batches the store finds the stored row and applies the same rule.
          if (earlier.condition !== condition) {
            throw new AuthzError('Aborted', `transactional write failed due to conflict: tuple ${text} exists with a different condition`)
          }
          if (onDuplicate === 'error') throw new AuthzError('write_failed_due_to_invalid_input', `cannot write a tuple which already exists: ${text}`)
          repeats++
          continue
        }
        positions.set(text, { ...at, condition })
        batch.push(key)
      } catch (err) {
        throw failure(err, at, progress)
      }
      if (batch.length >= batchSize) await flush()
    }
    await flush()
  }
}
