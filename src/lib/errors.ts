// Typed errors with stable codes. Every error that reaches a client is an AppError: `code` is the
// stable machine-readable name, `status` the HTTP status the http layer answers with.

export interface AppErrorOptions {
  status?: number
  cause?: unknown
  /** Extra machine-readable facts for the client (never secrets). */
  details?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.status = options.status ?? 400
    this.details = options.details
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}

/** Generic codes shared by every module; modules add their own next to their code. */
export const CommonCodes = {
  validation: 'validation_error',
  notFound: 'not_found',
  conflict: 'conflict',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  payloadTooLarge: 'payload_too_large',
  rateLimited: 'rate_limited',
  internal: 'internal_error',
  unavailable: 'unavailable',
} as const

export function validationError(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(CommonCodes.validation, message, { status: 400, details })
}

export function notFound(message: string, code: string = CommonCodes.notFound): AppError {
  return new AppError(code, message, { status: 404 })
}
