// OpenFGA's error vocabulary: the one table of names and numbers, the HTTP status rule, and the
// mapping from store errors. `code` is OpenFGA's error name, as its HTTP API sends it.
import { AppError } from '../lib/index.ts'
import { StoreErrorCodes, isStoreError } from '../store/errors.ts'

/** OpenFGA's error names and numeric codes (openfga/api errors_ignore.proto). */
export const ERROR_CODES = {
  unauthenticated: 1500,
  forbidden: 1600,
  validation_error: 2000,
  authorization_model_not_found: 2001,
  authorization_model_resolution_too_complex: 2002,
  invalid_write_input: 2003,
  cannot_allow_duplicate_tuples_in_one_request: 2004,
  cannot_allow_duplicate_types_in_one_request: 2005,
  cannot_allow_multiple_references_to_one_relation: 2006,
  invalid_continuation_token: 2007,
  invalid_tuple_set: 2008,
  invalid_check_input: 2009,
  invalid_expand_input: 2010,
  unsupported_user_set: 2011,
  invalid_object_format: 2012,
  write_failed_due_to_invalid_input: 2017,
  authorization_model_assertions_not_found: 2018,
  latest_authorization_model_not_found: 2020,
  type_not_found: 2021,
  relation_not_found: 2022,
  empty_relation_definition: 2023,
  invalid_user: 2025,
  invalid_tuple: 2027,
  unknown_relation: 2028,
  store_id_invalid_length: 2030,
  assertions_too_many_items: 2033,
  id_too_long: 2034,
  authorization_model_id_too_long: 2036,
  tuple_key_value_not_specified: 2037,
  tuple_keys_too_many_or_too_few_items: 2038,
  page_size_invalid: 2039,
  param_missing_value: 2040,
  difference_base_missing_value: 2041,
  subtract_base_missing_value: 2042,
  object_too_long: 2043,
  relation_too_long: 2044,
  type_definitions_too_few_items: 2045,
  type_invalid_length: 2046,
  type_invalid_pattern: 2047,
  relations_too_few_items: 2048,
  relations_too_long: 2049,
  relations_invalid_pattern: 2050,
  object_invalid_pattern: 2051,
  query_string_type_continuation_token_mismatch: 2052,
  exceeded_entity_limit: 2053,
  invalid_contextual_tuple: 2054,
  duplicate_contextual_tuple: 2055,
  invalid_authorization_model: 2056,
  unsupported_schema_version: 2057,
  cancelled: 2058,
  invalid_start_time: 2059,
  throttled_timeout_error: 3500,
  internal_error: 4000,
  deadline_exceeded: 4004,
  undefined_endpoint: 5000,
  store_id_not_found: 5002,
  unimplemented: 5004,
  // gRPC Aborted: a conflicting concurrent write; OpenFGA's HTTP body says "Aborted".
  Aborted: 10,
} as const

export type AuthzErrorCode = keyof typeof ERROR_CODES

const NAME_BY_NUMBER = new Map<number, AuthzErrorCode>(
  (Object.entries(ERROR_CODES) as [AuthzErrorCode, number][]).map(([name, n]) => [n, name]),
)

/** The error name for an OpenFGA numeric code (e.g. 2027 → 'invalid_tuple'). */
export function errorNameOf(numericCode: number): AuthzErrorCode | undefined {
  return NAME_BY_NUMBER.get(numericCode)
}

/** HTTP status from OpenFGA's numeric range rule (pkg/server/errors/encoded_errors.go). */
export function httpStatusOf(code: AuthzErrorCode): number {
  if (code === 'Aborted') return 409
  if (code === 'forbidden') return 403
  const n = ERROR_CODES[code]
  if (n >= 1000 && n < 2000) return 401
  if (n >= 2000 && n < 3500) return 400
  if (n >= 3500 && n < 4000) return 422
  if (n >= 4000 && n < 5000) return 500
  return 404
}

export class AuthzError extends AppError {
  override readonly code: AuthzErrorCode
  readonly numericCode: number

  constructor(code: AuthzErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: httpStatusOf(code), cause: options.cause })
    this.name = 'AuthzError'
    this.code = code
    this.numericCode = ERROR_CODES[code]
  }
}

export function isAuthzError(err: unknown, code?: AuthzErrorCode): err is AuthzError {
  return err instanceof AuthzError && (code === undefined || err.code === code)
}

export function validationError(message: string): AuthzError {
  return new AuthzError('validation_error', message)
}

function tupleText(t: { object: string; relation: string; user: string } | undefined): string {
  return t ? `${t.object}#${t.relation}@${t.user}` : 'tuple'
}

/** Maps a store failure to the OpenFGA error a client would see; other errors pass through. */
export function fromStoreError(err: unknown): unknown {
  if (!isStoreError(err)) return err
  switch (err.code) {
    case StoreErrorCodes.storeNotFound:
      return new AuthzError('store_id_not_found', 'store not found', { cause: err })
    case StoreErrorCodes.tupleExists:
      return new AuthzError('write_failed_due_to_invalid_input',
        `cannot write a tuple which already exists: ${tupleText(err.tuple)}`, { cause: err })
    case StoreErrorCodes.tupleMissing:
      return new AuthzError('write_failed_due_to_invalid_input',
        `cannot delete a tuple which does not exist: ${tupleText(err.tuple)}`, { cause: err })
    case StoreErrorCodes.conditionConflict:
      return new AuthzError('Aborted',
        `transactional write failed due to conflict: tuple ${tupleText(err.tuple)} exists with a different condition`, { cause: err })
    case StoreErrorCodes.writeConflict:
      return new AuthzError('Aborted', 'transactional write failed due to conflict', { cause: err })
    case StoreErrorCodes.invalidContinuationToken:
      return new AuthzError('invalid_continuation_token', 'Invalid continuation token', { cause: err })
    case StoreErrorCodes.tokenTypeMismatch:
      return new AuthzError('query_string_type_continuation_token_mismatch',
        'The type in the querystring and the continuation token don\'t match', { cause: err })
    default:
      return err
  }
}
