import { AppError } from '../lib/index.ts'

/** Stable codes a backend throws; the engine's command layer maps them to API errors. */
export const StoreErrorCodes = {
  storeNotFound: 'store_not_found',
  /** A write (on_duplicate: error) hit an existing tuple. */
  tupleExists: 'tuple_exists',
  /** A delete (on_missing: error) hit a missing tuple. */
  tupleMissing: 'tuple_missing',
  /** A write (on_duplicate: ignore) hit an existing tuple with a different condition. */
  conditionConflict: 'condition_conflict',
  /** A record with this unique name already exists (e.g. a local account username). */
  alreadyExists: 'already_exists',
  /** A concurrent transaction won; the caller may retry. */
  writeConflict: 'write_conflict',
  /**
   * The record's version is not the one the caller expected (optimistic concurrency): re-read
   * before retrying, unlike write_conflict.
   */
  versionConflict: 'version_conflict',
  invalidContinuationToken: 'invalid_continuation_token',
  /** A continuation token from a query with a different type filter. */
  tokenTypeMismatch: 'continuation_token_type_mismatch',
  unavailable: 'store_unavailable',
  /** The database carries migrations this build does not know: an older binary on a newer schema. */
  schemaTooNew: 'store_schema_too_new',
} as const

export type StoreErrorCode = (typeof StoreErrorCodes)[keyof typeof StoreErrorCodes]

export class StoreError extends AppError {
  /** The tuple the error is about, when there is one. */
  readonly tuple: { object: string; relation: string; user: string } | undefined

  constructor(code: StoreErrorCode, message: string, options: { tuple?: StoreError['tuple']; cause?: unknown; status?: number } = {}) {
    super(code, message, { status: options.status ?? statusFor(code), cause: options.cause })
    this.name = 'StoreError'
    this.tuple = options.tuple
  }
}

function statusFor(code: StoreErrorCode): number {
  switch (code) {
    case StoreErrorCodes.storeNotFound: return 404
    case StoreErrorCodes.conditionConflict:
    case StoreErrorCodes.alreadyExists:
    case StoreErrorCodes.writeConflict:
    case StoreErrorCodes.versionConflict: return 409
    case StoreErrorCodes.unavailable:
    case StoreErrorCodes.schemaTooNew: return 503
    default: return 400
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code)
}
