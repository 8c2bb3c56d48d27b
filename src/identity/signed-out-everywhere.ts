// "Sign out everywhere" for the provider's own browser sessions: they are stored by session id,
// not by account, so instead of finding them all, the moment of the sign-out is kept per account
// and a browser session that signed in before it no longer counts: the login prompt asks for a
// new sign-in (provider.ts). Tokens already issued are not affected.

import { createHash } from 'node:crypto'
import type { OidcArtifactsRepo } from '../store/index.ts'

export const SIGNED_OUT_MODEL = 'GatehouseSignedOutEverywhere'

export interface SignedOutEverywhere {
  /** Ends every browser session of `subject` started before now. */
  mark(subject: string): Promise<void>
  /** Whether a browser session of `subject` that signed in at `authTime` (seconds) was ended so. */
  ended(subject: string, authTime: number): Promise<boolean>
}

export function createSignedOutEverywhere(repo: OidcArtifactsRepo, options: { ttlSeconds: number; now?: () => number }): SignedOutEverywhere {
  const now = options.now ?? Date.now
  const key = (subject: string) => createHash('sha256').update(`signed-out:${subject}`).digest('base64url')
  return {
    async mark(subject) {
      // Kept as long as a session can live: after that no older session is left to refuse.
      await repo.upsert(SIGNED_OUT_MODEL, key(subject), { at: Math.floor(now() / 1000) }, options.ttlSeconds)
    },
    async ended(subject, authTime) {
      const row = await repo.find(SIGNED_OUT_MODEL, key(subject)) as { at?: unknown } | undefined
      // auth_time has whole seconds: a session from the same second as the sign-out is ended too
      // (a sign-in again within that second is asked once more).
      return typeof row?.at === 'number' && authTime <= row.at
    },
  }
}
