// Short-lived records between two steps of a form (a TOTP secret waiting for its first code, a
// WebAuthn challenge, a sign-in waiting for its second factor), kept with oidc-provider's
// artefacts so every replica finds them and they expire on their own.

import { randomBytes } from 'node:crypto'
import type { JsonObject, OidcArtifactsRepo } from '../../store/index.ts'

export const PENDING_TTL_SECONDS = 600

export interface Pending<T extends JsonObject> {
  /** Stores `value` under `ref` (a new random one when not given); returns the ref. */
  put(value: T, ref?: string): Promise<string>
  /** The live value, or undefined when expired, taken or never there. */
  get(ref: string): Promise<T | undefined>
  /** The value, once: a second take (by this or another replica) gets undefined. */
  take(ref: string): Promise<T | undefined>
  drop(ref: string): Promise<void>
}

const REF = /^[A-Za-z0-9_-]{16,128}$/

/** A reference nobody can guess (192 bits). */
export const newRef = (): string => randomBytes(24).toString('base64url')

export function createPending<T extends JsonObject>(repo: Pick<OidcArtifactsRepo, 'upsert' | 'find' | 'consume' | 'destroy'>, model: string, ttlSeconds = PENDING_TTL_SECONDS): Pending<T> {
  const get = async (ref: string): Promise<T | undefined> => {
    if (typeof ref !== 'string' || !REF.test(ref)) return undefined
    const found = await repo.find(model, ref)
    if (found === undefined || found.consumed !== undefined) return undefined
    return found as unknown as T
  }
  return {
    async put(value, ref = newRef()) {
      await repo.upsert(model, ref, value, ttlSeconds)
      return ref
    },
    get,
    async take(ref) {
      const value = await get(ref)
      return value !== undefined && (await repo.consume(model, ref)) ? value : undefined
    },
    drop: (ref) => (REF.test(ref) ? repo.destroy(model, ref) : Promise.resolve()),
  }
}
