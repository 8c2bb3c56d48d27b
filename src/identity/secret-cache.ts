// Remembers recent successful client-secret verifications so a client that asks for a token
// many times a second pays scrypt once. Keyed by the stored hash: rotating the secret changes
// the hash, so an old entry can never vouch for the new one. Only a SHA-256 of the secret is
// kept, compared in constant time; anything that does not match goes through scrypt again.

import { hash, timingSafeEqual } from 'node:crypto'
import { verifySecret } from './secrets.ts'

export interface SecretVerifierOptions {
  /** Most entries kept; the least recently used goes first. Default 1,000. */
  maxEntries?: number
  /** The slow check; defaults to scrypt verification. */
  verify?: (secret: string, stored: string) => Promise<boolean>
}

export interface SecretVerifier {
  (secret: string, stored: string): Promise<boolean>
  /** True only when this exact secret was verified against `stored` before: no scrypt, ever. */
  known(secret: string, stored: string): boolean
}

/** One-shot SHA-256 (UTF-8): no Hash object per call. */
const sha256 = (secret: string): Buffer => hash('sha256', secret, 'buffer')

export function createCachedSecretVerifier(options: SecretVerifierOptions = {}): SecretVerifier {
  const maxEntries = options.maxEntries ?? 1000
  const slowVerify = options.verify ?? verifySecret
  // Map keeps insertion order: re-inserting on use makes the first key the least recently used.
  const verified = new Map<string, Buffer>()

  function known(secret: string, stored: string, digest = sha256(secret)): boolean {
    const seen = verified.get(stored)
    if (seen === undefined || !timingSafeEqual(seen, digest)) return false
    verified.delete(stored)
    verified.set(stored, seen)
    return true
  }

  async function verifyCached(secret: string, stored: string): Promise<boolean> {
    const digest = sha256(secret)
    if (known(secret, stored, digest)) return true
    if (!(await slowVerify(secret, stored))) return false
    verified.delete(stored)
    verified.set(stored, digest)
    if (verified.size > maxEntries) verified.delete(verified.keys().next().value as string)
    return true
  }
  return Object.assign(verifyCached, { known: (secret: string, stored: string) => known(secret, stored) })
}
