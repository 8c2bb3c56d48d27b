// Encryption at rest for private signing JWKs: AES-256-GCM under a key derived with HKDF-SHA256
// from the configured secret and a per-record salt. The key id and algorithm are bound as
// associated data, so a ciphertext copied onto another key's row does not decrypt.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { AppError, validationError } from '../lib/index.ts'

export const KeyCipherErrorCodes = {
  /** The configured secret does not open a stored key (wrong secret, or a tampered row). */
  secretMismatch: 'signing_key_secret_mismatch',
  /** A stored ciphertext is not in a format this build writes. */
  badCiphertext: 'signing_key_ciphertext_invalid',
} as const

const VERSION = 'v1'
const MIN_SECRET_LENGTH = 32

/**
 * What a cipher protects. Each purpose derives its own keys (HKDF info), so a ciphertext of one
 * purpose never opens as another's even under the same bound name.
 */
export interface CipherPurpose {
  /** HKDF info label. */
  info: string
  /** Named in errors: "stored <what> <id> …". */
  what: string
}

export const SIGNING_KEY_PURPOSE: CipherPurpose = { info: 'gatehouse signing-key encryption v1', what: 'signing key' }

export interface KeyCipher {
  encrypt(plaintext: string, boundTo: string): string
  decrypt(ciphertext: string, boundTo: string): string
}

/** `secret`: at least 32 characters (e.g. 32 random bytes, base64url). */
export function createKeyCipher(secret: string, purpose: CipherPurpose = SIGNING_KEY_PURPOSE): KeyCipher {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw validationError(`the signing key encryption secret must be at least ${MIN_SECRET_LENGTH} characters`)
  }
  const ikm = Buffer.from(secret, 'utf8')
  const INFO = Buffer.from(purpose.info, 'utf8')
  const derive = (salt: Buffer) => Buffer.from(hkdfSync('sha256', ikm, salt, INFO, 32))

  return {
    encrypt(plaintext, boundTo) {
      const salt = randomBytes(16)
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', derive(salt), iv)
      cipher.setAAD(Buffer.from(boundTo, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [VERSION, salt, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
    },

    decrypt(ciphertext, boundTo) {
      const parts = ciphertext.split('.')
      if (parts.length !== 5 || parts[0] !== VERSION) {
        throw new AppError(KeyCipherErrorCodes.badCiphertext, `stored ${purpose.what} ${boundTo} is not in a known encrypted format`, { status: 500 })
      }
      const [salt, iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'))
      try {
        const decipher = createDecipheriv('aes-256-gcm', derive(salt), iv)
        decipher.setAAD(Buffer.from(boundTo, 'utf8'))
        decipher.setAuthTag(tag)
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
      } catch (cause) {
        throw new AppError(
          KeyCipherErrorCodes.secretMismatch,
          `the configured secret key does not decrypt stored ${purpose.what} ${boundTo}: the secret changed or the row was altered`,
          { status: 500, cause },
        )
      }
    },
  }
}
