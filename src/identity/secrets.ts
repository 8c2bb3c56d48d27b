// Password and client-secret hashing with scrypt. A hash names its own parameters
// (`scrypt$N$r$p$salt$hash`, base64url) so parameters can be raised later and old hashes still
// verify; `needsRehash` tells the caller when to store a fresh one after a successful login.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { AppError, validationError } from '../lib/index.ts'

export interface ScryptParams {
  /** CPU/memory cost: a power of two. */
  N: number
  r: number
  p: number
  /** Salt length in bytes. */
  saltBytes: number
  /** Derived hash length in bytes. */
  keyBytes: number
}

/** For human-chosen passwords: about 128 MiB and a few hundred milliseconds per hash. */
export const PASSWORD_PARAMS: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1, saltBytes: 16, keyBytes: 32 })

/**
 * For generated high-entropy secrets (client secrets): brute force is hopeless whatever the
 * cost, so a cheap hash keeps token requests fast.
 */
export const GENERATED_SECRET_PARAMS: ScryptParams = Object.freeze({ N: 2 ** 12, r: 8, p: 1, saltBytes: 16, keyBytes: 32 })

/** Bounds for hashes read back from storage, so a corrupted row cannot ask for gigabytes. */
const MAX_N = 2 ** 20
const MAX_R = 32
const MAX_P = 16

export const SecretErrorCodes = {
  invalidHash: 'secret_hash_invalid',
} as const

export interface ParsedSecretHash {
  params: ScryptParams
  salt: Buffer
  hash: Buffer
}

function scrypt(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scryptCallback(secret.normalize('NFKC'), salt, params.keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

function checkParams(params: ScryptParams): void {
  const { N, r, p, saltBytes, keyBytes } = params
  const ok = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0 && N <= MAX_N &&
    Number.isInteger(r) && r >= 1 && r <= MAX_R && Number.isInteger(p) && p >= 1 && p <= MAX_P &&
    Number.isInteger(saltBytes) && saltBytes >= 8 && saltBytes <= 64 && Number.isInteger(keyBytes) && keyBytes >= 16 && keyBytes <= 64
  if (!ok) throw validationError('invalid scrypt parameters', { N, r, p, saltBytes, keyBytes })
}

/** Hashes a password or secret; the result is safe to store. */
export async function hashSecret(secret: string, params: ScryptParams = PASSWORD_PARAMS): Promise<string> {
  checkParams(params)
  const salt = randomBytes(params.saltBytes)
  const hash = await scrypt(secret, salt, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

/** Reads a stored hash; throws secret_hash_invalid for anything not produced by hashSecret. */
export function parseSecretHash(stored: string): ParsedSecretHash {
  const parts = stored.split('$')
  const invalid = () => new AppError(SecretErrorCodes.invalidHash, 'the stored secret hash is not in the scrypt$N$r$p$salt$hash format', { status: 500 })
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw invalid()
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[0-9]{1,8}$/.test(s) ? Number(s) : NaN))
  const salt = Buffer.from(parts[4], 'base64url')
  const hash = Buffer.from(parts[5], 'base64url')
  const params: ScryptParams = { N, r, p, saltBytes: salt.length, keyBytes: hash.length }
  try {
    checkParams(params)
  } catch {
    throw invalid()
  }
  return { params, salt, hash }
}

/** True when `secret` matches `stored`; the comparison takes the same time wherever they differ. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const { params, salt, hash } = parseSecretHash(stored)
  const candidate = await scrypt(secret, salt, params)
  return timingSafeEqual(candidate, hash)
}

/** True when `stored` was made with other parameters than `params` (or cannot be read). */
export function needsRehash(stored: string, params: ScryptParams = PASSWORD_PARAMS): boolean {
  try {
    const current = parseSecretHash(stored).params
    return current.N !== params.N || current.r !== params.r || current.p !== params.p ||
      current.keyBytes !== params.keyBytes || current.saltBytes < params.saltBytes
  } catch {
    return true
  }
}

/** A random secret of `bytes` bytes of entropy, base64url (43 characters for 32 bytes). */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 128) throw validationError('a generated secret needs 16 to 128 bytes')
  return randomBytes(bytes).toString('base64url')
}
