// An API client behind forward-auth presents the same bearer token on every request it sends
// through the proxy. Resolving it costs a signature check, a revocation lookup and an account
// lookup; this cache answers repeated presentations from memory. An answer is served only while
// the token is unexpired and for at most `recheckMs` after it was last resolved, so a revoked
// token, a disabled account or a changed group list takes effect within that bound on every
// replica, as a signed-out portal session does (forward-auth's SESSION_CACHE_MS).

import { createHash } from 'node:crypto'

export interface Resolved<T> {
  value: T | undefined
  /** Epoch milliseconds from which `value` must no longer be served (the token's exp). */
  expiresAt: number
}

export interface BearerCacheOptions {
  /** Entries per map (answers, and misses kept apart). */
  limit: number
  recheckMs: number
  now?: () => number
}

interface Entry<T> {
  value: T | undefined
  expiresAt: number
  checkedAt: number
}

/**
 * Wraps `resolve` with the cache. Keys are SHA-256 digests of `scope` and the token, so memory
 * holds no usable token; concurrent first presentations of one token share one resolution.
 */
export function createBearerCache<T>(options: BearerCacheOptions, resolve: (token: string, scope: string) => Promise<Resolved<T>>) {
  const now = options.now ?? Date.now
  // Misses live in their own map, so a flood of made-up tokens cannot push real ones out.
  const answers = new Map<string, Entry<T>>()
  const misses = new Map<string, Entry<T>>()
  const inFlight = new Map<string, Promise<T | undefined>>()

  const remember = (key: string, entry: Entry<T>) => {
    const map = entry.value === undefined ? misses : answers
    ;(entry.value === undefined ? answers : misses).delete(key)
    map.delete(key)
    if (map.size >= options.limit) map.delete(map.keys().next().value as string)
    map.set(key, entry)
  }

  const lookup = async (key: string, token: string, scope: string, at: number): Promise<T | undefined> => {
    try {
      const { value, expiresAt } = await resolve(token, scope)
      if (value !== undefined && expiresAt <= at) return undefined
      remember(key, { value, expiresAt, checkedAt: at })
      return value
    } finally {
      inFlight.delete(key)
    }
  }

  return {
    get(token: string, scope: string): Promise<T | undefined> {
      const key = createHash('sha256').update(scope).update('\n').update(token).digest('base64url')
      const at = now()
      const hit = answers.get(key) ?? misses.get(key)
      if (hit !== undefined && at < hit.expiresAt && at - hit.checkedAt < options.recheckMs) return Promise.resolve(hit.value)
      let pending = inFlight.get(key)
      if (pending === undefined) inFlight.set(key, (pending = lookup(key, token, scope, at)))
      return pending
    },
    /** Entries held: answers and misses. */
    get size(): number {
      return answers.size + misses.size
    },
  }
}
