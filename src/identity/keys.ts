// Token signing keys: ES256 signs by default, RS256 is published for clients that cannot do EC.
// Private JWKs are stored encrypted (key-cipher.ts). Keys move next → active → retired; a retired
// key stays in the JWKS until every token it signed has expired. oidc-provider reads its keys
// only when constructed, so a rotation takes effect when the provider is rebuilt.

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import { AppError, systemClock, validationError, type Clock } from '../lib/index.ts'
import { isStoreError, StoreErrorCodes, type SigningKeyAlg, type SigningKeyRecord, type SigningKeysRepo } from '../store/index.ts'
import { createKeyCipher } from './key-cipher.ts'

export const SIGNING_ALGS: readonly SigningKeyAlg[] = ['ES256', 'RS256']

export const KeyErrorCodes = {
  rotationConflict: 'signing_key_rotation_conflict',
  keysUnavailable: 'signing_keys_unavailable',
} as const

export interface SigningKeysOptions {
  repo: SigningKeysRepo
  /** The configured encryption secret (at least 32 characters). */
  secret: string
  /** The longest lifetime of anything a key signs: how long a retired key stays published. */
  maxTokenLifetimeSeconds: number
  clock?: Clock
}

export interface RotationResult {
  activated: string[]
  retired: string[]
  /** Retired keys stay published until then. */
  publishedUntil: Date
}

export interface SigningKeys {
  /** Creates an active key for each algorithm that has none; safe to run from many processes at once. */
  ensureKeys(): Promise<void>
  /** Publishes a next key per algorithm (not signing yet), so replicas can learn it before it signs. */
  stageNext(): Promise<string[]>
  /** Makes the next key (staged or new) active and retires the current one. */
  rotate(): Promise<RotationResult>
  /** Deletes retired keys whose tokens have all expired; returns how many. */
  prune(): Promise<number>
  /** Private JWKs for oidc-provider's `jwks`: active ES256 first, then other keys of each algorithm after its active one. */
  jwks(): Promise<{ keys: JWK[] }>
  /** The public JWK set, in the same order. */
  publicJwks(): Promise<{ keys: JWK[] }>
  /** Every stored key's metadata (no key material). */
  list(): Promise<Array<Omit<SigningKeyRecord, 'privateJwkCiphertext'>>>
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const STATUS_ORDER = { active: 0, next: 1, retired: 2 } as const

function boundTo(kid: string, alg: SigningKeyAlg): string {
  return `${kid}:${alg}`
}

export function createSigningKeys(options: SigningKeysOptions): SigningKeys {
  const { repo } = options
  const clock = options.clock ?? systemClock
  const cipher = createKeyCipher(options.secret)
  if (!(options.maxTokenLifetimeSeconds > 0)) throw validationError('maxTokenLifetimeSeconds must be positive')

  async function generate(alg: SigningKeyAlg, status: 'next' | 'active'): Promise<SigningKeyRecord> {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    const jwk = await exportJWK(privateKey)
    const publicJwk = publicPart(jwk)
    const kid = await calculateJwkThumbprint(publicJwk)
    const now = clock.now()
    const privateJwk = { ...jwk, kid, alg, use: 'sig' }
    return {
      kid,
      alg,
      status,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      privateJwkCiphertext: cipher.encrypt(JSON.stringify(privateJwk), boundTo(kid, alg)),
      createdAt: now,
      activatedAt: status === 'active' ? now : null,
      retiredAt: null,
      expiresAt: null,
    }
  }

  /** Keys still published, in JWKS order. */
  async function published(): Promise<SigningKeyRecord[]> {
    const now = clock.now().getTime()
    const live = (await repo.list()).filter((k) => k.status !== 'retired' || k.expiresAt === null || k.expiresAt.getTime() > now)
    // repo.list is newest first; a stable sort keeps that order within a status.
    return live.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || SIGNING_ALGS.indexOf(a.alg) - SIGNING_ALGS.indexOf(b.alg))
  }

  async function retireQuietly(kids: string[]): Promise<void> {
    if (kids.length === 0) return
    const now = clock.now()
    await repo.rotate({ promote: [], retire: kids, at: now, retireUntil: now }).catch(() => undefined)
  }

  return {
    async ensureKeys() {
      for (let attempt = 0; attempt < 5; attempt++) {
        const keys = await repo.list()
        // Opening every key here makes a wrong secret fail at start, not at the first login.
        for (const k of keys) if (k.status !== 'retired') cipher.decrypt(k.privateJwkCiphertext, boundTo(k.kid, k.alg))
        const missing = SIGNING_ALGS.filter((alg) => !keys.some((k) => k.alg === alg && k.status === 'active'))
        if (missing.length === 0) return
        try {
          const staged = missing.map((alg) => keys.find((k) => k.alg === alg && k.status === 'next'))
          // Generated side by side (an RSA key takes a while), then stored one by one.
          const fresh = await Promise.all(missing.map((alg, i) => (staged[i] ? undefined : generate(alg, 'active'))))
          for (const [i, next] of staged.entries()) {
            if (next === undefined) { await repo.insert(fresh[i]!); continue }
            const now = clock.now()
            await repo.rotate({ promote: [next.kid], retire: [], at: now, retireUntil: now })
          }
          return
        } catch (err) {
          // Another process created or promoted the key first: read again and check.
          if (!isStoreError(err, StoreErrorCodes.writeConflict)) throw err
        }
      }
      throw new AppError(KeyErrorCodes.keysUnavailable, 'could not settle on active signing keys: other processes kept changing them', { status: 503 })
    },

    async stageNext() {
      const keys = await repo.list()
      const staged: string[] = []
      for (const alg of SIGNING_ALGS) {
        if (keys.some((k) => k.alg === alg && k.status === 'next')) continue
        const record = await generate(alg, 'next')
        await repo.insert(record)
        staged.push(record.kid)
      }
      return staged
    },

    async rotate() {
      const keys = await repo.list()
      const created: string[] = []
      const promote: string[] = []
      for (const alg of SIGNING_ALGS) {
        const staged = keys.find((k) => k.alg === alg && k.status === 'next')
        if (staged) {
          promote.push(staged.kid)
          continue
        }
        const record = await generate(alg, 'next')
        await repo.insert(record)
        created.push(record.kid)
        promote.push(record.kid)
      }
      const retire = keys.filter((k) => k.status === 'active').map((k) => k.kid)
      const at = clock.now()
      const publishedUntil = new Date(at.getTime() + options.maxTokenLifetimeSeconds * 1000)
      try {
        await repo.rotate({ promote, retire, at, retireUntil: publishedUntil })
      } catch (err) {
        if (!isStoreError(err, StoreErrorCodes.writeConflict)) throw err
        await retireQuietly(created)
        throw new AppError(KeyErrorCodes.rotationConflict, 'another key rotation ran at the same time; list the keys and retry if needed', { status: 409, cause: err })
      }
      return { activated: promote, retired: retire, publishedUntil }
    },

    prune: () => repo.deleteExpired(clock.now()),

    async jwks() {
      const keys = await published()
      if (!SIGNING_ALGS.every((alg) => keys.some((k) => k.alg === alg && k.status === 'active'))) {
        throw new AppError(KeyErrorCodes.keysUnavailable, 'no active signing key for every algorithm; run ensureKeys first', { status: 503 })
      }
      return { keys: keys.map((k) => JSON.parse(cipher.decrypt(k.privateJwkCiphertext, boundTo(k.kid, k.alg))) as JWK) }
    },

    async publicJwks() {
      return { keys: (await published()).map((k) => publicPart(k.publicJwk as JWK)) }
    },

    async list() {
      return (await repo.list()).map(({ privateJwkCiphertext: _omit, ...rest }) => rest)
    },
  }
}

function publicPart(jwk: JWK): JWK {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(jwk)) if (!PRIVATE_MEMBERS.includes(name)) out[name] = value
  return out as JWK
}
