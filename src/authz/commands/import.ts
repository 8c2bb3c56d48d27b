// Import: tuples streamed in, each validated exactly as Write validates it (shape, the model's
// type restrictions, conditions, context size), written in batches of thousands, each batch one
// transaction and one revision through tuples.import, then applied to the in-memory index once.
// The next batch is read and validated while the previous one is being written.
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

interface Batch {
  keys: TupleKey[]
  positions: Map<string, Position & { condition: string }>
  repeats: number
}

const newBatch = (): Batch => ({ keys: [], positions: new Map(), repeats: 0 })

/** Entries read between two turns of the event loop while a batch is being written. */
const YIELD_EVERY = 256

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

  // The batch being filled: keys in order, where each came from (to place a store error), and
  // the repeats dropped from it (counted as skipped once it commits).
  let batch: Batch = newBatch()
  // The batch being written while the next one is read and validated, so the database server and
  // this process work at the same time. One at a time: batches commit in input order. SQLite
  // writes on this thread, where reading ahead only interleaves the two (measured: more CPU).
  let writing: Promise<{ error?: unknown }> | undefined
  const readAhead = ctx.store.dialect !== 'sqlite'

  const write = async (b: Batch): Promise<void> => {
    if (b.keys.length === 0) {
      progress.skipped += b.repeats
      return
    }
    let result
    try {
      result = await ctx.store.tuples.import(storeId, { writes: b.keys, onDuplicate })
    } catch (err) {
      const at = isStoreError(err) && err.tuple ? b.positions.get(tupleText(err.tuple)) : undefined
      throw failure(fromStoreError(err), at, progress)
    }
    await ctx.indexes.applyLocal(storeId, result)
    progress.imported += result.applied.length
    progress.skipped += b.keys.length - result.applied.length + b.repeats
    progress.batches++
  }
  /** Waits for the batch in flight; its failure, being earlier in the input, wins over any later one. */
  const settle = async (): Promise<void> => {
    const w = writing
    writing = undefined
    const outcome = w === undefined ? {} : await w
    if ('error' in outcome) throw outcome.error
  }
  const flush = async (): Promise<void> => {
    await settle()
    // Settled through `writing` (never left to reject unobserved while the next batch is read).
    writing = write(batch).then(() => ({}), (error: unknown) => ({ error }))
    batch = newBatch()
    if (!readAhead) await settle()
  }

  try {
    await readBatches()
    await flush()
    await settle()
  } catch (err) {
    // Errors of the input itself (a broken stream) get the progress too; the others have it already.
    if (isAppError(err) && err.details !== undefined && 'batches' in err.details) throw err
    await settle()
    throw failure(err, undefined, progress)
  }
  return progress

  async function readBatches(): Promise<void> {
    let index = 0
    for await (const item of source) {
      const at: Position = { index: index++, ...(item.line !== undefined ? { line: item.line } : {}) }
      // An input already in memory never waits for I/O: let the batch in flight take its next
      // statement now and then rather than only once this batch is full.
      if (writing !== undefined && index % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve))
      try {
        if (item.error !== undefined) throw validationError(item.error)
        const key = tupleKeyOf(item.tuple, { condition: true, where: 'tuple' })
        checkWrite(ctx.limits, model, key)
        const text = tupleText(key)
        const condition = conditionOf(key)
        const earlier = batch.positions.get(text)
        if (earlier !== undefined) {
          // Repeated within this batch: settled here, so the store sees each key once per batch.
          // Across batches the store finds the stored row and applies the same rule.
          if (earlier.condition !== condition) {
            throw new AuthzError('Aborted', `transactional write failed due to conflict: tuple ${text} exists with a different condition`)
          }
          if (onDuplicate === 'error') throw new AuthzError('write_failed_due_to_invalid_input', `cannot write a tuple which already exists: ${text}`)
          batch.repeats++
          continue
        }
        batch.positions.set(text, { ...at, condition })
        batch.keys.push(key)
      } catch (err) {
        // The batch before this one is written first: what the error reports as committed is final.
        await settle()
        throw failure(err, at, progress)
      }
      if (batch.keys.length >= batchSize) await flush()
    }
  }
}
