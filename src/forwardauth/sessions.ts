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

/** A session as an administrator sees it: the id is the stored key, never the cookie's token. */
export interface SessionSummary {
  id: string
  createdAt: number
  lastSeenAt: number
  endsAt: number
}

export interface SessionStore {
  create(identity: PortalSession['identity'], extra?: Pick<PortalSession, 'idToken' | 'userAgent'>): Promise<{ token: string; session: PortalSession }>
  get(token: string): Promise<PortalSession | undefined>
  destroy(token: string): Promise<void>
  /** The live sessions of a subject, newest first (administrators). */
  listFor(subject: string): Promise<SessionSummary[]>
  /** Ends the session with this id (from listFor) if it is the subject's; false otherwise. */
  revoke(subject: string, id: string): Promise<boolean>
  /** The subject's live sessions, newest first; `currentToken` marks the caller's own (the account page). */
  list(subject: string, currentToken?: string): Promise<SessionView[]>
  /** Ends every session of the subject (sign out everywhere); returns how many. */
  destroyAll(subject: string): Promise<number>
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/
const KEY = /^[A-Za-z0-9_-]{43}$/

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** Keeps a session list readable; older sessions still end at their own time. */
const LIST_LIMIT = 100

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const now = options.now ?? Date.now
  const cache = new Map<string, { session: PortalSession | undefined; fetchedAt: number }>()
  const idleMs = options.idleSeconds * 1000
  // Often enough that a session in use never looks idle, rarely enough to stay off the hot path.
  const touchEveryMs = Math.min(TOUCH_EVERY_MS, idleMs / 4)

  const live = (s: PortalSession, at: number) => at < s.endsAt && at - s.lastSeenAt < idleMs
  const refs = (s: PortalSession) => ({ subject: s.identity.subject })
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

  const end = async (key: string) => {
    await options.repo.upsert(ENDED_MODEL, key, {}, options.maxSeconds)
    await options.repo.destroy(SESSION_MODEL, key)
  }

  return {
    async create(identity, extra = {}) {
      const at = now()
      const token = randomBytes(32).toString('base64url')
      const session: PortalSession = { identity, createdAt: at, lastSeenAt: at, endsAt: at + options.maxSeconds * 1000, ...extra }
      await options.repo.upsert(SESSION_MODEL, keyOf(token), session as unknown as Record<string, unknown>, rowTtl(session, at), refs(session))
      remember(token, session, at)
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
        await options.repo.upsert(SESSION_MODEL, keyOf(token), touched as unknown as Record<string, unknown>, rowTtl(touched, at), refs(touched))
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

    async listFor(subject) {
      return (await liveOf(subject)).map(({ id, session }) => ({ id, createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, endsAt: session.endsAt }))
    },

    async revoke(subject, id) {
      if (!KEY.test(id)) return false
      const row = (await options.repo.find(SESSION_MODEL, id)) as unknown as PortalSession | undefined
      if (row?.identity?.subject !== subject) return false
      // This process forgets it now; other replicas within SESSION_CACHE_MS, as after a sign-out.
      for (const [token, entry] of cache) if (entry.session?.identity.subject === subject && keyOf(token) === id) cache.delete(token)
      await end(id)
      return true
    },

    async list(subject, currentToken) {
      const current = currentToken === undefined ? undefined : keyOf(currentToken)
      return (await liveOf(subject)).map(({ id, session }) => ({
        createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, userAgent: session.userAgent, current: id === current,
      }))
    },

    async destroyAll(subject) {
      const sessions = await liveOf(subject)
      // Cached copies (this process) go at once; other replicas' within SESSION_CACHE_MS.
      for (const [token, entry] of cache) if (entry.session?.identity.subject === subject) cache.delete(token)
      for (const { id } of sessions) await end(id)
      return sessions.length
    },
  }

  /** The subject's live sessions with their stored keys, newest first. */
  async function liveOf(subject: string): Promise<Array<{ id: string; session: PortalSession }>> {
    const at = now()
    const rows = await options.repo.listBySubject(SESSION_MODEL, subject, LIST_LIMIT)
    return rows.map((r) => ({ id: r.id, session: r.payload as unknown as PortalSession }))
      .filter(({ session }) => session.identity?.subject === subject && live(session, at))
  }
}
