// Bulk writes and deletes from a tuple file: batches of at most 100 tuples (the API's per-write
// limit), each one transaction through the engine. A batch the engine refuses is retried tuple by
// tuple, so one bad line costs its batch a slower path rather than the whole import, and every
// tuple ends up counted as written, skipped (already there / already gone) or failed (with why).
import { isAppError } from '../lib/index.ts'
import { isStoreError, StoreErrorCodes } from '../store/index.ts'
import type { FileTuple } from './tuple-file.ts'

export const IMPORT_BATCH = 100
/** Failures listed in the report; the count covers them all. */
const LISTED_FAILURES = 50

export interface ImportReport {
  written: number
  skipped: number
  failed: number
  failures: { tuple: FileTuple; reason: string }[]
}

/** Errors about the store or its model rather than about a tuple. */
const WHOLE_REQUEST = new Set(['store_id_not_found', 'latest_authorization_model_not_found', 'authorization_model_not_found', 'forbidden'])

const keyOf = (t: FileTuple) => `${t.object}#${t.relation}@${t.user}`
const plain = (t: FileTuple) => ({ user: t.user, relation: t.relation, object: t.object })

/** The engine's Write (the Authz facade or an embedded Gatehouse). */
export interface TupleWriter {
  write(storeId: string, body: unknown): Promise<unknown>
}

/**
 * `mode` write: tuples that exist already are skipped; delete: tuples that do not exist are.
 * `batchSize` is capped at 100 by the caller's maxTuplesPerWrite when that is lower.
 */
export async function applyTuples(authz: TupleWriter, store: string, tuples: FileTuple[], mode: 'write' | 'delete', batchSize = IMPORT_BATCH): Promise<ImportReport> {
  const report: ImportReport = { written: 0, skipped: 0, failed: 0, failures: [] }
  // The same tuple twice in one request is refused outright; the second one changes nothing anyway.
  const seen = new Set<string>()
  const unique = tuples.filter((t) => {
    const k = keyOf(t)
    if (seen.has(k)) {
      report.skipped++
      return false
    }
    seen.add(k)
    return true
  })
  const size = Math.max(1, Math.min(IMPORT_BATCH, batchSize))
  const body = (batch: FileTuple[]) => (mode === 'write'
    ? { writes: { tuple_keys: batch } }
    : { deletes: { tuple_keys: batch.map(plain) } })
  const absent = mode === 'write' ? StoreErrorCodes.tupleExists : StoreErrorCodes.tupleMissing

  for (let i = 0; i < unique.length; i += size) {
    const batch = unique.slice(i, i + size)
    try {
      await authz.write(store, body(batch))
      report.written += batch.length
    } catch (err) {
      if (!isAppError(err)) throw err
      // A missing store or model fails every tuple alike: report it once, not per line.
      if (WHOLE_REQUEST.has(err.code)) throw err
      for (const tuple of batch) {
        try {
          await authz.write(store, body([tuple]))
          report.written++
        } catch (one) {
          if (!isAppError(one)) throw one
          if (isStoreError(one.cause) && one.cause.code === absent) {
            report.skipped++
          } else {
            report.failed++
            if (report.failures.length < LISTED_FAILURES) report.failures.push({ tuple, reason: one.message })
          }
        }
      }
    }
  }
  return report
}
