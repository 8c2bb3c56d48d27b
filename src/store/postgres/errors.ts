// pg errors → StoreError. Codes are SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
// or Node socket codes when the server cannot be reached.

import { StoreError, StoreErrorCodes } from '../errors.ts'

const SERIALIZATION_FAILURE = '40001'
const DEADLOCK_DETECTED = '40P01'
const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'
// statement_timeout and lock_timeout: the database is there but did not answer in time.
const QUERY_CANCELED = '57014'
const LOCK_NOT_AVAILABLE = '55P03'
// The server answers but will not let us in: no such database, bad password, no such role.
const REFUSED = new Set(['3D000', '28P01', '28000'])
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', // admin shutdown, crash shutdown, cannot connect now
  '53300', // too many connections
])

// pg raises these without a code when the socket closes under a client (terminated backend,
// server restart) or when a client that already failed is used again.
const LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|Client was closed)/

function codeOf(err: unknown): string | undefined {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

/** Another transaction won a race; running the transaction again can succeed. */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err)
  return code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED
}

/** A statement or lock wait that ran out of time. */
export function isTimeout(err: unknown): boolean {
  const code = codeOf(err)
  if (code === QUERY_CANCELED || code === LOCK_NOT_AVAILABLE) return true
  return err instanceof Error && /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout|Query read timeout)/.test(err.message)
}

/** Returns a StoreError for errors callers can act on; anything else (bugs) passes through. */
export function mapPgError(err: unknown): unknown {
  if (err instanceof StoreError) return err
  const code = codeOf(err)
  if (code === undefined) {
    if (err instanceof Error && LOST_CONNECTION.test(err.message)) {
      return new StoreError(StoreErrorCodes.unavailable, 'the connection to PostgreSQL was lost', { cause: err })
    }
    return err
  }
  if (isRetryable(err)) {
    return new StoreError(StoreErrorCodes.writeConflict, 'a concurrent transaction conflicted with this one; retry', { cause: err })
  }
  if (code === UNIQUE_VIOLATION) {
    return new StoreError(StoreErrorCodes.writeConflict, 'a record with this key already exists', { cause: err })
  }
  if (code === FOREIGN_KEY_VIOLATION) {
    return new StoreError(StoreErrorCodes.storeNotFound, 'the referenced store does not exist', { cause: err })
  }
  if (isTimeout(err)) {
    return new StoreError(StoreErrorCodes.unavailable, 'the PostgreSQL database did not answer in time', { cause: err })
  }
  if (REFUSED.has(code)) {
    return new StoreError(StoreErrorCodes.unavailable, `PostgreSQL refused the connection (${code}${reasonOf(err, code)}); check the database name, user and password in the database URL`, { cause: err })
  }
  if (UNREACHABLE.has(code) || code.startsWith('08')) {
    return new StoreError(StoreErrorCodes.unavailable, `the PostgreSQL database${whereOf(err)} is unreachable (${code}${reasonOf(err, code)})`, { cause: err })
  }
  return err
}

/** ` at host:port` from a socket error (pg passes Node's), when it says. */
function whereOf(err: unknown): string {
  const { address, port } = err as { address?: unknown; port?: unknown }
  return typeof address === 'string' ? ` at ${address}${typeof port === 'number' ? `:${port}` : ''}` : ''
}

function reasonOf(err: unknown, code: string): string {
  const message = err instanceof Error ? err.message : ''
  // Server-side codes carry PostgreSQL's own explanation; socket codes say it all already.
  return /^[0-9A-Z]{5}$/.test(code) && message !== '' ? `: ${message}` : ''
}
