// Opaque continuation tokens: base64url JSON carrying a position and a checksum bound to the kind
// of listing and the store, so a garbage, truncated or hand-edited token is rejected instead of
// silently paging from a wrong place. The checksum is an integrity check, not a secret.

import { createHash } from 'node:crypto'
import { StoreError, StoreErrorCodes } from '../errors.ts'

export type TokenKind = 'stores' | 'models' | 'tuples' | 'changes' | 'oidcClients' | 'localAccounts' | 'audit' | 'outbox' | 'tuplesByWrite' | 'userRecords'

interface Envelope {
  k: TokenKind
  p: unknown[]
  c: string
}

export function encodeToken(kind: TokenKind, scope: string, position: unknown[]): string {
  const envelope: Envelope = { k: kind, p: position, c: checksum(kind, scope, position) }
  return Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64url')
}

/** Returns the position, or throws invalid_continuation_token. `shape` checks each element's type. */
export function decodeToken(kind: TokenKind, scope: string, token: string, shape: readonly ('string' | 'integer')[]): unknown[] {
  const invalid = (): StoreError => new StoreError(StoreErrorCodes.invalidContinuationToken, 'invalid continuation token')
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid()
  let envelope: unknown
  try {
    envelope = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!isEnvelope(envelope) || envelope.k !== kind || envelope.p.length !== shape.length) throw invalid()
  for (let i = 0; i < shape.length; i++) {
    const v = envelope.p[i]
    const ok = shape[i] === 'string' ? typeof v === 'string' : Number.isSafeInteger(v) && (v as number) >= 0
    if (!ok) throw invalid()
  }
  if (envelope.c !== checksum(kind, scope, envelope.p)) throw invalid()
  return envelope.p
}

function isEnvelope(value: unknown): value is Envelope {
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return typeof v.k === 'string' && Array.isArray(v.p) && typeof v.c === 'string'
}

function checksum(kind: TokenKind, scope: string, position: unknown[]): string {
  return createHash('sha256').update(JSON.stringify([kind, scope, position])).digest('base64url').slice(0, 16)
}
