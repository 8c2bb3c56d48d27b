// Signing client_credentials JWT access tokens without oidc-provider's model save: the save (its
// payload assembly through property descriptors, key selection through the keystore, the async
// signature and its promise chain) cost about half as much again as the ECDSA signature itself.
//
// What the provider would sign with is not re-derived here: the first token of each resource
// server signing configuration is signed by the provider's own save, and its protected header
// (alg, typ, kid, in the provider's order and encoding) is kept verbatim together with the key
// that verifies its signature. Later tokens of that configuration reuse the header segment and
// sign the payload with that key's KeyObject directly. The keystore of a provider instance never
// changes (a key rotation builds a new instance, provider-holder.ts), so neither does its choice.

import { randomFillSync, verify } from 'node:crypto'
import type { ResourceServer } from 'oidc-provider'
import type { NodeSigningKey } from './node-signing-key.ts'

/** A protected header segment the provider produced, and the key that signed under it. */
export interface LearnedSigner {
  header: string
  key: NodeSigningKey
}

const TYP = 'at+jwt'
/** JOSE signature encodings node:crypto verifies ECDSA with (r‖s); ignored for RSA. */
const ECDSA_DSA_ENCODING = 'ieee-p1363'

/**
 * The signing configuration of a resource server's JWTs as a cache key, or undefined when its
 * tokens are the provider's to sign: encrypted tokens, symmetric or explicit keys, the client
 * default algorithm (no `jwt.sign.alg`), or anything else this module does not know.
 */
export function signingConfigKey(info: ResourceServer): string | undefined {
  const jwt = info.jwt as Record<string, unknown> | undefined
  if (jwt === undefined || jwt === null || typeof jwt !== 'object') return undefined
  for (const member of Object.keys(jwt)) if (member !== 'sign') return undefined
  const sign = jwt.sign as Record<string, unknown> | undefined
  if (sign === undefined || sign === null || typeof sign !== 'object') return undefined
  for (const member of Object.keys(sign)) if (member !== 'alg' && member !== 'kid') return undefined
  const { alg, kid } = sign
  if (typeof alg !== 'string' || alg === 'none' || alg.startsWith('HS')) return undefined
  if (kid !== undefined && typeof kid !== 'string') return undefined
  return `${alg}\n${kid ?? ''}`
}

/**
 * The header of `token` (signed by the provider for `config`) and the one node:crypto key that
 * verifies it, when the header is exactly the provider's plain one for this configuration.
 */
function learnFrom(keys: readonly NodeSigningKey[], config: string, token: string): LearnedSigner | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [header, payload, signature] = parts
  let fields: Record<string, unknown>
  try {
    fields = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
  const [alg, kid] = config.split('\n')
  if (fields.alg !== alg || typeof fields.kid !== 'string' || (kid !== '' && fields.kid !== kid)) return undefined
  const plain = Buffer.from(JSON.stringify({ alg, typ: TYP, kid: fields.kid })).toString('base64url')
  if (plain !== header) return undefined
  const data = Buffer.from(`${header}.${payload}`)
  const signer = keys.filter((key) => key.kid === fields.kid && key.alg === alg &&
    verify(key.hash, data, { key: key.keyObject(), dsaEncoding: ECDSA_DSA_ENCODING }, Buffer.from(signature, 'base64url')))
  return signer.length === 1 ? { header, key: signer[0] } : undefined
}

/**
 * Signers learned per signing configuration from tokens the provider signed. Each configuration
 * is tried once: what could not be learned from its first token (an unusual header, a key that is
 * not a node:crypto one) stays the provider's to sign, without being examined again.
 */
export function createLearnedSigners(keys: readonly NodeSigningKey[]) {
  const learned = new Map<string, LearnedSigner | null>()
  return {
    get: (config: string): LearnedSigner | undefined => learned.get(config) ?? undefined,
    learn(config: string, token: string): void {
      if (!learned.has(config)) learned.set(config, learnFrom(keys, config, token) ?? null)
    },
  }
}

/** The signed compact JWS of `payload` under a learned header. */
export function signWith(signer: LearnedSigner, payload: Record<string, unknown>): string {
  const input = `${signer.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  return `${input}.${signer.key.signSync(Buffer.from(input)).toString('base64url')}`
}

// Token ids as the provider's JWT format makes them (nanoid: 43 characters of the base64url
// alphabet, ≥ 256 bits), from a pool of random bytes filled 128 ids at a time.
const JTI_BYTES = 32
const POOL_SIZE = JTI_BYTES * 128
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

export function newTokenId(): string {
  if (offset === POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const id = pool.toString('base64url', offset, offset + JTI_BYTES)
  offset += JTI_BYTES
  return id
}
