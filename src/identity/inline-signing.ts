// ES256 signing for oidc-provider with node:crypto keys made once per provider instance.
// Through jose, each signature went through WebCrypto: 20–40 µs of event-loop work per token on
// top of the signature, then a trip to the libuv threadpool and back (two thread wake-ups, and
// on a busy machine a wait for a free core). A P-256 signature itself costs about 50 µs, so
// while the event loop has idle time, signing right on it answers sooner; once the loop is
// saturated, the threadpool adds a core and the loop keeps serving other requests. Either way
// the token is the same: oidc-provider builds the header and payload itself and only asks the
// key for the signature.

import { createPrivateKey, createPublicKey, sign, webcrypto, type KeyObject } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { ExternalSigningKey } from 'oidc-provider'
import type { JWK } from 'jose'

/** The version of oidc-provider's experimental externalSigningSupport this module implements. */
export const EXTERNAL_SIGNING_ACK = 'experimental-01'

const ECDSA_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const

export interface InlineSigningOptions {
  /** True while the event loop is saturated: signatures then go to the threadpool. */
  busy?: () => boolean
}

/** Event-loop utilization at or above which the loop counts as saturated. */
const SATURATED = 0.9
/** How often the utilization is re-read, in milliseconds. */
const GAUGE_WINDOW_MS = 20

/** True when the event loop was busy at least SATURATED of the last window (one cheap read per window). */
export function eventLoopSaturation(threshold = SATURATED, windowMs = GAUGE_WINDOW_MS): () => boolean {
  let since = performance.eventLoopUtilization()
  let readAt = performance.now()
  let saturated = false
  return () => {
    const now = performance.now()
    if (now - readAt >= windowMs) {
      const current = performance.eventLoopUtilization()
      saturated = performance.eventLoopUtilization(current, since).utilization >= threshold
      since = current
      readAt = now
    }
    return saturated
  }
}

class InlineEs256Key extends ExternalSigningKey {
  readonly #private: KeyObject
  readonly #public: KeyObject
  readonly #busy: () => boolean
  readonly #kid: string
  readonly #alg: string
  #webCryptoKey: webcrypto.CryptoKey | undefined

  constructor(jwk: JWK, busy: () => boolean) {
    super()
    this.#private = createPrivateKey({ key: jwk as webcrypto.JsonWebKey, format: 'jwk' })
    this.#public = createPublicKey(this.#private)
    this.#busy = busy
    this.#kid = jwk.kid as string
    this.#alg = jwk.alg as string
  }

  override get kid(): string {
    return this.#kid
  }

  override get alg(): string {
    return this.#alg
  }

  override keyObject(): KeyObject {
    return this.#public
  }

  override sign(data: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (!this.#busy()) return sign('sha256', data, { key: this.#private, dsaEncoding: 'ieee-p1363' })
    this.#webCryptoKey ??= this.#private.toCryptoKey(P256, false, ['sign'])
    return webcrypto.subtle.sign(ECDSA_SIGN, this.#webCryptoKey, data as Uint8Array<ArrayBuffer>).then((signature) => new Uint8Array(signature))
  }
}

function isEs256Private(jwk: JWK): boolean {
  return jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.alg === 'ES256' && typeof jwk.d === 'string' && typeof jwk.kid === 'string' &&
    (jwk.use === undefined || jwk.use === 'sig') && jwk.key_ops === undefined
}

/**
 * The provider's `jwks` with each private ES256 key replaced by one that signs through
 * node:crypto; other keys (RS256, whose signatures are too slow to make on the event loop) stay
 * as they are, for jose.
 */
export function withInlineEs256Signing(jwks: { keys: JWK[] }, options: InlineSigningOptions = {}): { keys: Array<JWK | ExternalSigningKey> } {
  const busy = options.busy ?? eventLoopSaturation()
  return { keys: jwks.keys.map((jwk) => (isEs256Private(jwk) ? new InlineEs256Key(jwk, busy) : jwk)) }
}
