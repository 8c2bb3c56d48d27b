// Portal sessions behind the forward-auth cookie. The cookie carries only a random token; the
// store keys the session by the token's SHA-256, so a database dump yields no usable cookie.
// Every proxied request asks for its session: lookups are cached briefly per process, and the
// idle clock is written at most once a minute. A session destroyed on another replica is
// refused here once the cached copy ages out (SESSION_CACHE_MS).

import { createHash, randomBytes } from 'node:crypto'
import type { OidcArtifactsRepo } from '../store/index.ts'
import type { ForwardIdentity } from './identity-headers.ts'

export const SESSION_MODEL = 'ForwardAuthSession'
/** Kept after sign-out: a replica's idle-clock write racing the sign-out cannot bring it back. */
export const ENDED_MODEL = 'ForwardAuthSessionEnded'
/** Per subject: the keys of its sessions, so the account page can list them and end them all. */
export const SESSION_INDEX_MODEL = 'ForwardAuthSessionIndex'
export const SESSION_CACHE_MS = 2_000
const TOUCH_EVERY_MS = 60_000
const CACHE_LIMIT = 10_000

export interface PortalSession {
  identity: ForwardIdentity & { accountType: 'user' | 'service' }
  createdAt: number
  lastSeenAt: number
  /** The absolute end, however active. */
  endsAt: number
  /** The portal client's ID token: the id_token_hint of this session's sign-out. */
  idToken?: string
  /** The browser it was started in, as its User-Agent header named it (for the account page). */
  userAgent?: string
}

/** A live session of a subject, as its owner sees it on the account page. */
export interface SessionView {
  createdAt: number
  lastSeenAt: number
  userAgent?: string
  /** The session of the cookie the list was asked with. */
  current: boolean
}

export interface SessionStoreOptions {
  repo: OidcArtifactsRepo
  idleSeconds: number
  maxSeconds: number
  now?: () => number
  /** Re-checked whenever the session is read from the store: a disabled account loses its sessions. */
  stillValid?: (identity: PortalSession['identity']) => Promise<boolean>
}

export interface SessionStore {
  create(identity: PortalSession['identity'], extra?: Pick<PortalSession, 'idToken' | 'userAgent'>): Promise<{ token: string; session: PortalSession }>
  get(token: string): Promise<PortalSession | undefined>
  destroy(token: string): Promise<void>
  /** The subject's live sessions, newest first; `currentToken` marks the caller's own. */
  list(subject: string, currentToken?: string): Promise<SessionView[]>
  /** Ends every session of the subject (sign out everywhere); returns how many. */
  destroyAll(subject: string): Promise<number>
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

const indexKey = (subject: string) => createHash('sha256').update(`subject:${subject}`).digest('base64url')
/** Keeps an account page readable and a row small; older sessions still end at their own time. */
const INDEX_LIMIT = 50

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const now = options.now ?? Date.now
  const cache = new Map<string, { session: PortalSession | undefined; fetchedAt: number }>()
  const idleMs = options.idleSeconds * 1000
  // Often enough that a session in use never looks idle, rarely enough to stay off the hot path.
  const touchEveryMs = Math.min(TOUCH_EVERY_MS, idleMs / 4)

  const live = (s: PortalSession, at: number) => at < s.endsAt && at - s.lastSeenAt < idleMs
  /** The row lives until the earlier of the idle and the absolute end. */
  const rowTtl = (s: PortalSession, at: number) => Math.max(1, Math.ceil(Math.min(s.endsAt - at, idleMs) / 1000))

  // Misses live in their own map, so a flood of made-up cookies cannot push real sessions out.
  const misses = new Map<string, { session: undefined; fetchedAt: number }>()
  const remember = (token: string, session: PortalSession | undefined, at: number) => {
    const map = session === undefined ? misses : cache
    ;(session === undefined ? cache : misses).delete(token)
    if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as string)
    map.set(token, { session: session as never, fetchedAt: at })
  }

  return {
    async create(identity, extra = {}) {
      const at = now()
      const token = randomBytes(32).toString('base64url')
      const session: PortalSession = { identity, createdAt: at, lastSeenAt: at, endsAt: at + options.maxSeconds * 1000, ...extra }
      await options.repo.upsert(SESSION_MODEL, keyOf(token), session as unknown as Record<string, unknown>, rowTtl(session, at))
      remember(token, session, at)
      // Read-modify-write: two sign-ins of one subject at the same instant may keep only one in
      // the list; that session still works and ends at its own time.
      const keys = await indexed(identity.subject)
      await options.repo.upsert(SESSION_INDEX_MODEL, indexKey(identity.subject), { keys: [keyOf(token), ...keys].slice(0, INDEX_LIMIT) }, options.maxSeconds)
      return { token, session }
    },

    async get(token) {
      const at = now()
      // Cached by the token itself (memory holds it anyway), so a hit costs no hashing.
      const cached = cache.get(token) ?? misses.get(token)
      let session = cached && at - cached.fetchedAt < SESSION_CACHE_MS ? cached.session : undefined
      if (!cached || at - cached.fetchedAt >= SESSION_CACHE_MS) {
        if (!TOKEN.test(token)) return undefined
        const key = keyOf(token)
        const [row, ended] = await Promise.all([options.repo.find(SESSION_MODEL, key), options.repo.find(ENDED_MODEL, key)])
        session = ended ? undefined : (row as unknown as PortalSession | undefined)
        if (session && options.stillValid && !(await options.stillValid(session.identity))) session = undefined
        // Misses are cached too (repeated bad cookies must not reach the store), in their own bound.
        remember(token, session, at)
      }
      if (!session || !live(session, at)) return undefined
      if (at - session.lastSeenAt >= touchEveryMs) {
        const touched = { ...session, lastSeenAt: at }
        remember(token, touched, at)
        await options.repo.upsert(SESSION_MODEL, keyOf(token), touched as unknown as Record<string, unknown>, rowTtl(touched, at))
        return touched
      }
      return session
    },

    async destroy(token) {
      if (!TOKEN.test(token)) return
      cache.delete(token)
      misses.delete(token)
      await end(keyOf(token))
    },

    async list(subject, currentToken) {
      const at = now()
      const current = currentToken === undefined ? undefined : keyOf(currentToken)
      const views: SessionView[] = []
      for (const key of await indexed(subject)) {
        const session = await liveSession(key, at)
        if (session === undefined || session.identity.subject !== subject) continue
        views.push({ createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, userAgent: session.userAgent, current: key === current })
      }
      return views
    },

    async destroyAll(subject) {
      const keys = await indexed(subject)
      // Cached copies (this process) go at once; other replicas' within SESSION_CACHE_MS.
      cache.clear()
      let ended = 0
      for (const key of keys) {
        const session = await options.repo.find(SESSION_MODEL, key) as unknown as PortalSession | undefined
        if (session === undefined || session.identity.subject !== subject) continue
        await end(key)
        ended++
      }
      await options.repo.destroy(SESSION_INDEX_MODEL, indexKey(subject))
      return ended
    },
  }

  async function indexed(subject: string): Promise<string[]> {
    const row = await options.repo.find(SESSION_INDEX_MODEL, indexKey(subject)) as { keys?: unknown } | undefined
    return Array.isArray(row?.keys) ? row.keys.filter((k): k is string => typeof k === 'string') : []
  }

  async function liveSession(key: string, at: number): Promise<PortalSession | undefined> {
    const [row, ended] = await Promise.all([options.repo.find(SESSION_MODEL, key), options.repo.find(ENDED_MODEL, key)])
    const session = ended ? undefined : row as unknown as PortalSession | undefined
    return session !== undefined && at < session.endsAt && at - session.lastSeenAt < idleMs ? session : undefined
  }

  async function end(key: string): Promise<void> {
    await options.repo.upsert(ENDED_MODEL, key, {}, options.maxSeconds)
    await options.repo.destroy(SESSION_MODEL, key)
  }
}
