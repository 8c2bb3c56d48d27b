// oidc-provider signs through jose, and jose signs through WebCrypto: for every token it turns
// the key into a CryptoKey again and runs ECDSA as an async job, together several times the
// cost of node:crypto's synchronous sign (measured: the largest single cost of issuing a JWT
// access token). With oidc-provider's externalSigningSupport each private JWK is handed over as
// an ExternalSigningKey whose sign() calls node:crypto with a KeyObject made once per key.

import { createPrivateKey, createPublicKey, sign, type KeyObject, type webcrypto } from 'node:crypto'
import type { JWK } from 'jose'
import { ExternalSigningKey } from 'oidc-provider'

/** The algorithms these keys sign with: ECDSA signatures come back DER-encoded and are converted. */
const EC_SIZES: Readonly<Record<string, number>> = { ES256: 32, ES384: 48, ES512: 66 }
const HASHES: Readonly<Record<string, string>> = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

/** Whether a private JWK can be signed with by NodeSigningKey; others stay with jose. */
export function nodeSignable(jwk: JWK): boolean {
  return typeof jwk.alg === 'string' && HASHES[jwk.alg] !== undefined && typeof jwk.kid === 'string' && typeof jwk.d === 'string'
}

/**
 * An ECDSA signature from DER (SEQUENCE of two INTEGERs) to JOSE's fixed-width r‖s
 * (RFC 7518 §3.4). node:crypto can emit that form itself (dsaEncoding: 'ieee-p1363'), but on
 * Node 24 passing an options object makes sign() throw and catch internally on every call.
 */
export function derToJose(der: Buffer, size: number): Buffer {
  let offset = 2
  if (der[0] !== 0x30) throw new Error('not a DER ECDSA signature')
  if (der[1] & 0x80) offset += der[1] & 0x7f
  const out = Buffer.alloc(size * 2)
  for (let part = 0; part < 2; part++) {
    if (der[offset] !== 0x02) throw new Error('not a DER ECDSA signature')
    let length = der[offset + 1]
    let start = offset + 2
    offset = start + length
    // INTEGERs are signed: a leading zero keeps a high first bit positive.
    while (length > size && der[start] === 0) { start++; length-- }
    if (length > size) throw new Error('ECDSA signature component too long')
    der.copy(out, part * size + size - length, start, start + length)
  }
  return out
}

export class NodeSigningKey extends ExternalSigningKey {
  readonly #privateKey: KeyObject
  readonly #publicKey: KeyObject
  readonly #hash: string
  readonly #ecSize: number | undefined
  #kid: string
  #alg: string

  constructor(jwk: JWK) {
    super()
    if (!nodeSignable(jwk)) throw new Error(`cannot sign with key ${String(jwk.kid)} (${String(jwk.alg)}) through node:crypto`)
    this.#privateKey = createPrivateKey({ key: jwk as webcrypto.JsonWebKey, format: 'jwk' })
    this.#publicKey = createPublicKey(this.#privateKey)
    this.#hash = HASHES[jwk.alg!]
    this.#ecSize = EC_SIZES[jwk.alg!]
    this.#kid = jwk.kid!
    this.#alg = jwk.alg!
  }

  // oidc-provider reads these (and assigns them only when they are missing or differ).
  override get kid(): string { return this.#kid }
  override set kid(value: string) { this.#kid = value }
  override get alg(): string { return this.#alg }
  override set alg(value: string) { this.#alg = value }

  override keyObject(): KeyObject {
    return this.#publicKey
  }

  /** The digest this key signs with (sha256 for ES256 and RS256). */
  get hash(): string {
    return this.#hash
  }

  override async sign(data: Buffer): Promise<Buffer> {
    return this.signSync(data)
  }

  /** The JOSE signature of `data`, for callers that sign outside the provider (fast-jwt-signing.ts). */
  signSync(data: Buffer): Buffer {
    // RSA keys sign RSASSA-PKCS1-v1_5 by default: RS256 as JOSE defines it.
    const signature = sign(this.#hash, data, this.#privateKey)
    return this.#ecSize === undefined ? signature : derToJose(signature, this.#ecSize)
  }
}
