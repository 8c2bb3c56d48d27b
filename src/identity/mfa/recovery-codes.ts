// One-time recovery codes: ten per set, each 80 random bits written as four groups of four
// base32 letters and digits (no 0/1/8/9, easily read off paper). Stored as SHA-256 hashes, not
// scrypt: a password needs a slow hash because people choose guessable ones, but 80 random bits
// cannot be searched from a hash, and a plain hash lets the store find and delete a code in one
// conditional statement — one use, even with replicas racing.

import { createHash, randomBytes } from 'node:crypto'

export const RECOVERY_CODE_COUNT = 10
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const LENGTH = 16

/** A new code, e.g. `K3TQ-7ZBW-MXA4-P2RD`. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(10)
  let bits = 0n
  for (const b of bytes) bits = (bits << 8n) | BigInt(b)
  let out = ''
  for (let i = LENGTH - 1; i >= 0; i--) out += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)]
  return out.match(/.{4}/g)!.join('-')
}

export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, newRecoveryCode)
}

/** Upper case without separators or spaces, as typed in any form; undefined when it cannot be a code. */
export function normalizeRecoveryCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined
  const code = input.toUpperCase().replace(/[\s-]/g, '')
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined
}

/** The stored form of a code (normalized first, so `k3tq 7zbw…` matches `K3TQ-7ZBW-…`). */
export function hashRecoveryCode(input: unknown): string | undefined {
  const code = normalizeRecoveryCode(input)
  return code === undefined ? undefined : createHash('sha256').update(`gatehouse recovery code\n${code}`).digest('base64url')
}
