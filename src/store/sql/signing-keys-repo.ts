// Signing keys: next → active → retired. A partial unique index allows one active key per
// algorithm; rotate checks every key's state inside one transaction, so a concurrent rotation
// makes it fail whole instead of leaving two active keys or none.

import { validationError } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { JsonObject, SigningKeyAlg, SigningKeyRecord, SigningKeysRepo, SigningKeyStatus } from '../types.ts'
import { parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { prepared } from './executor.ts'

interface KeyRow {
  kid: string
  alg: string
  status: string
  public_jwk: unknown
  private_jwk_ciphertext: string
  created_at: number | string
  activated_at: number | string | null
  retired_at: number | string | null
  expires_at: number | string | null
  [column: string]: unknown
}

const COLUMNS = 'kid, alg, status, public_jwk, private_jwk_ciphertext, created_at, activated_at, retired_at, expires_at'

const LIST = prepared(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid`)
const INSERT = prepared(`INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
const RETIRE = prepared(
  "UPDATE signing_keys SET status = 'retired', retired_at = $2, expires_at = $3 WHERE kid = $1 AND status IN ('next', 'active')",
)
const PROMOTE = prepared("UPDATE signing_keys SET status = 'active', activated_at = $2 WHERE kid = $1 AND status = 'next'")
const DELETE_EXPIRED = prepared("DELETE FROM signing_keys WHERE status = 'retired' AND expires_at <= $1")

export function signingKeysRepo(ctx: RepoContext): SigningKeysRepo {
  const { db } = ctx
  return {
    async list() {
      return (await db.all<KeyRow>(LIST)).map(toRecord)
    },

    async insert(record) {
      await db.run(INSERT, [
        record.kid, record.alg, record.status, JSON.stringify(record.publicJwk), record.privateJwkCiphertext,
        record.createdAt.getTime(), ms(record.activatedAt), ms(record.retiredAt), ms(record.expiresAt),
      ])
    },

    async rotate({ promote, retire, at, retireUntil }) {
      if (promote.some((kid) => retire.includes(kid))) throw validationError('a key cannot be promoted and retired at once')
      // Retire first: promoting first would briefly hold two active keys and trip the unique index.
      await db.write(async (tx) => {
        for (const kid of new Set(retire)) {
          if ((await tx.run(RETIRE, [kid, at.getTime(), retireUntil.getTime()])) !== 1) throw stateConflict(kid, 'next or active')
        }
        for (const kid of new Set(promote)) {
          if ((await tx.run(PROMOTE, [kid, at.getTime()])) !== 1) throw stateConflict(kid, 'next')
        }
      })
    },

    deleteExpired: (now) => db.run(DELETE_EXPIRED, [now.getTime()]),
  }
}

function stateConflict(kid: string, expected: string): StoreError {
  return new StoreError(StoreErrorCodes.writeConflict, `signing key ${kid} is missing or no longer ${expected}; list the keys and retry`)
}

function ms(date: Date | null): number | null {
  return date === null ? null : date.getTime()
}

function date(value: number | string | null): Date | null {
  return value === null ? null : new Date(Number(value))
}

function toRecord(row: KeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningKeyAlg,
    status: row.status as SigningKeyStatus,
    publicJwk: parseJsonColumn(row.public_jwk) as JsonObject,
    privateJwkCiphertext: row.private_jwk_ciphertext,
    createdAt: new Date(Number(row.created_at)),
    activatedAt: date(row.activated_at),
    retiredAt: date(row.retired_at),
    expiresAt: date(row.expires_at),
  }
}
