// Second factors and recovery codes of local accounts, keyed by the account's normalized username
// like the account itself. Uses are conditional updates (a later TOTP step, a growing passkey
// counter, a recovery code deleted once), so replicas sharing the database cannot both accept one.

import { validationError } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { LocalMfaRepo, MfaFactorInput, MfaFactorKind, MfaFactorRecord } from '../types.ts'
import { parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { prepared, rowsSql, adHoc, type SqlRunner } from './executor.ts'
import { unstorableString } from './json-text.ts'
import { usernameKey } from './local-accounts-repo.ts'

interface FactorRow {
  id: string
  kind: string
  label: string
  secret_ciphertext: string | null
  credential_id: string | null
  public_key: string | null
  sign_count: number | string
  transports: string
  last_step: number | string | null
  created_at: number | string
  last_used_at: number | string | null
  [column: string]: unknown
}

const COLUMNS = 'id, kind, label, secret_ciphertext, credential_id, public_key, sign_count, transports, last_step, created_at, last_used_at'
const KINDS: readonly MfaFactorKind[] = ['totp', 'webauthn']
const MAX_RECOVERY_CODES = 32

const ACCOUNT = prepared('SELECT username_key FROM local_accounts WHERE username_key = $1')
const LIST = prepared(`SELECT ${COLUMNS} FROM local_mfa_factors WHERE username_key = $1 ORDER BY created_at, id`)
// No conflict target: a taken id and a taken credential id are both refused.
const INSERT = prepared(
  `INSERT INTO local_mfa_factors (id, username_key, ${COLUMNS.slice(4)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, NULL)
   ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
)
const DELETE_FACTOR = prepared('DELETE FROM local_mfa_factors WHERE username_key = $1 AND id = $2')
const COUNT_FACTORS = prepared('SELECT COUNT(*) AS n FROM local_mfa_factors WHERE username_key = $1')
const DELETE_FACTORS = prepared('DELETE FROM local_mfa_factors WHERE username_key = $1')
const USE_STEP = prepared(
  `UPDATE local_mfa_factors SET last_step = $3, last_used_at = $4
   WHERE username_key = $1 AND id = $2 AND kind = 'totp' AND (last_step IS NULL OR last_step < $3)`,
)
const USE_WEBAUTHN = prepared(
  `UPDATE local_mfa_factors SET sign_count = $3, last_used_at = $4
   WHERE username_key = $1 AND id = $2 AND kind = 'webauthn' AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))`,
)
const DELETE_CODES = prepared('DELETE FROM local_mfa_recovery_codes WHERE username_key = $1')
const CONSUME_CODE = prepared('DELETE FROM local_mfa_recovery_codes WHERE username_key = $1 AND code_hash = $2')
const COUNT_CODES = prepared('SELECT COUNT(*) AS n FROM local_mfa_recovery_codes WHERE username_key = $1')

function checkFactor(factor: MfaFactorInput): void {
  if (typeof factor.id !== 'string' || factor.id === '' || !KINDS.includes(factor.kind)) throw validationError('a factor needs an id and a kind (totp or webauthn)')
  if (typeof factor.label !== 'string' || unstorableString(factor.label) !== undefined) throw validationError('a factor label must be text')
  const counter = factor.counter ?? 0
  if (!Number.isSafeInteger(counter) || counter < 0) throw validationError('a signature counter is a whole number ≥ 0')
  if (factor.kind === 'totp' && !factor.secretCiphertext) throw validationError('a TOTP factor needs its secret')
  if (factor.kind === 'webauthn' && (!factor.credentialId || !factor.publicKey)) throw validationError('a passkey needs its credential id and public key')
}

function checkHashes(hashes: string[]): string[] {
  if (!Array.isArray(hashes) || hashes.length > MAX_RECOVERY_CODES || hashes.some((h) => typeof h !== 'string' || h === '' || unstorableString(h) !== undefined)) {
    throw validationError(`recovery codes are at most ${MAX_RECOVERY_CODES} hashes`)
  }
  return [...new Set(hashes)]
}

async function insertCodes(tx: SqlRunner, key: string, hashes: string[], at: number): Promise<void> {
  await tx.run(DELETE_CODES, [key])
  if (hashes.length === 0) return
  const params = hashes.flatMap((h) => [key, h, at])
  await tx.run(adHoc(`INSERT INTO local_mfa_recovery_codes (username_key, code_hash, created_at) VALUES ${rowsSql(hashes.length, 3, 0)}`), params)
}

export function localMfaRepo(ctx: RepoContext): LocalMfaRepo {
  const { db, clock } = ctx
  const now = (): number => clock.now().getTime()
  return {
    async listFactors(username) {
      return (await db.all<FactorRow>(LIST, [usernameKey(username)])).map(toRecord)
    },

    async addFactor(username, factor, recoveryCodeHashes) {
      checkFactor(factor)
      const hashes = recoveryCodeHashes === undefined ? undefined : checkHashes(recoveryCodeHashes)
      const key = usernameKey(username)
      return db.write(async (tx) => {
        if ((await tx.all(ACCOUNT, [key])).length === 0) return null
        const at = now()
        const rows = await tx.all<FactorRow>(INSERT, [
          factor.id, key, factor.kind, factor.label, factor.secretCiphertext ?? null, factor.credentialId ?? null,
          factor.publicKey ?? null, factor.counter ?? 0, JSON.stringify(factor.transports ?? []), at,
        ])
        if (rows.length === 0) throw new StoreError(StoreErrorCodes.alreadyExists, 'this factor is registered already')
        if (hashes !== undefined) await insertCodes(tx, key, hashes, at)
        return toRecord(rows[0])
      })
    },

    async removeFactor(username, id) {
      const key = usernameKey(username)
      return db.write(async (tx) => {
        if ((await tx.run(DELETE_FACTOR, [key, id])) === 0) return false
        // Recovery codes stand in for a factor; with none left they would be a way around nothing.
        if (Number((await tx.all(COUNT_FACTORS, [key]))[0].n) === 0) await tx.run(DELETE_CODES, [key])
        return true
      })
    },

    async useTotpStep(username, id, step, at) {
      if (!Number.isSafeInteger(step) || step < 0) throw validationError('a time step is a whole number ≥ 0')
      return (await db.run(USE_STEP, [usernameKey(username), id, step, at.getTime()])) > 0
    },

    async useWebauthn(username, id, counter, at) {
      if (!Number.isSafeInteger(counter) || counter < 0) throw validationError('a signature counter is a whole number ≥ 0')
      return (await db.run(USE_WEBAUTHN, [usernameKey(username), id, counter, at.getTime()])) > 0
    },

    async replaceRecoveryCodes(username, hashes) {
      const checked = checkHashes(hashes)
      const key = usernameKey(username)
      return db.write(async (tx) => {
        if ((await tx.all(ACCOUNT, [key])).length === 0) return false
        await insertCodes(tx, key, checked, now())
        return true
      })
    },

    async consumeRecoveryCode(username, hash) {
      if (typeof hash !== 'string' || hash === '') return false
      return (await db.run(CONSUME_CODE, [usernameKey(username), hash])) > 0
    },

    async countRecoveryCodes(username) {
      return Number((await db.all(COUNT_CODES, [usernameKey(username)]))[0].n)
    },

    async reset(username) {
      const key = usernameKey(username)
      return db.write(async (tx) => ({
        factors: await tx.run(DELETE_FACTORS, [key]),
        recoveryCodes: await tx.run(DELETE_CODES, [key]),
      }))
    },
  }
}

function toRecord(row: FactorRow): MfaFactorRecord {
  const transports = parseJsonColumn(row.transports)
  return {
    id: row.id,
    kind: row.kind as MfaFactorKind,
    label: row.label,
    secretCiphertext: row.secret_ciphertext ?? null,
    credentialId: row.credential_id ?? null,
    publicKey: row.public_key ?? null,
    counter: Number(row.sign_count),
    transports: Array.isArray(transports) ? transports.filter((t): t is string => typeof t === 'string') : [],
    lastStep: row.last_step === null ? null : Number(row.last_step),
    createdAt: new Date(Number(row.created_at)),
    lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)),
  }
}
