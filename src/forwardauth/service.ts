// The forward-auth endpoint's work for one auth request: read what the proxy sent, find the
// visitor's session (cookie) or bearer token, decide, and record denials. HTTP stays outside.

import { randomUUID } from 'node:crypto'
import { parseCidr, type Cidr } from './client-ip.ts'
import { decide, type Decision } from './decide.ts'
import type { ForwardIdentity } from './identity-headers.ts'
import type { RelationshipChecker } from './policy.ts'
import type { LiveRegistry } from './registry.ts'
import { parseAuthRequest, type ForwardedRequest, type ProxyContract, type RawAuthRequest } from './request.ts'
import type { PortalSession, SessionStore } from './sessions.ts'

export interface AuditSink {
  append(entry: {
    actor: string; actorType: 'user' | 'service' | 'system' | 'anonymous'; action: string; target: string
    outcome: 'success' | 'denied' | 'failure'; sourceIp?: string; details?: Record<string, unknown>
  }): Promise<unknown>
}

export interface ForwardAuthOptions {
  registry: LiveRegistry
  sessions: SessionStore
  relations: RelationshipChecker
  bearer(token: string): Promise<PortalSession['identity'] | undefined>
  cookieName: string
  cookieDomain: string
  /** Absolute URL of the portal's sign-in start, carrying the return URL. */
  loginUrl(returnUrl: string): string
  trustedProxies: readonly string[]
  adminGroups: readonly string[]
  audit?: AuditSink
  onAuditError?: (err: unknown) => void
  now?: () => Date
}

export interface AuthOutcome {
  decision: Decision
  request: ForwardedRequest
  identity: PortalSession['identity'] | null
  /** Set on a denial when the visitor may see why. */
  debugReason?: string
  /** Set on a denial: generated here and stored with the audit entry, so support can find it. */
  reference?: string
}

export interface ForwardAuth {
  authorize(contract: ProxyContract, raw: RawAuthRequest): Promise<AuthOutcome>
  readonly cookieName: string
}

/** The value of one cookie in a Cookie header (first occurrence). */
export function cookieValue(header: string | readonly string[] | undefined, name: string): string | undefined {
  const text = typeof header === 'string' ? header : header?.join('; ')
  if (!text) return undefined
  for (const part of text.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  const m = /^Bearer ([A-Za-z0-9._~+/=-]{16,4096})$/i.exec(header.trim())
  return m?.[1]
}

export function createForwardAuth(options: ForwardAuthOptions): ForwardAuth {
  const trusted: Cidr[] = options.trustedProxies.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null)
  const adminGroups = new Set(options.adminGroups)
  const now = options.now ?? (() => new Date())
  // Only people: a service client's id or groups must never unlock the reasons.
  const isAdmin = (identity: PortalSession['identity']) => identity.accountType === 'user' && (identity.subject.startsWith('local:') || identity.groups.some((g) => adminGroups.has(g)))

  const findIdentity = async (raw: RawAuthRequest): Promise<PortalSession['identity'] | null> => {
    const token = bearerToken(raw.headers.authorization as string | undefined)
    // A bearer token that is not Gatehouse's may be the application's own: the session decides then.
    const fromToken = token === undefined ? undefined : await options.bearer(token)
    if (fromToken) return fromToken
    const cookie = cookieValue(raw.headers.cookie, options.cookieName)
    return cookie === undefined ? null : ((await options.sessions.get(cookie))?.identity ?? null)
  }

  return {
    cookieName: options.cookieName,
    async authorize(contract, raw) {
      const request = parseAuthRequest(contract, raw, { trustedProxies: trusted })
      const [identity, applications] = await Promise.all([findIdentity(raw), options.registry.current()])
      const decision = await decide({
        request, identity,
        config: { applications, loginUrl: options.loginUrl, cookieDomain: options.cookieDomain, now: now() },
      }, { relations: options.relations })
      if (decision.kind !== 'deny' || identity === null) return { decision, request, identity }
      const reference = randomUUID()
      // Awaited: the 403 page's reference must already find its entry.
      await options.audit?.append({
        actor: identity.subject, actorType: identity.accountType, action: 'forward_auth.deny', target: `application:${decision.application}`,
        outcome: 'denied', sourceIp: request.clientIpText ?? undefined,
        // The path is bounded: a denial must not be a way to write kilobytes per request.
        details: { reference, rule: decision.rule, reason: decision.reason, method: request.method, host: request.host, path: request.path.slice(0, 512) },
      }).catch((err: unknown) => options.onAuditError?.(err))
      const debugReason = isAdmin(identity) ? `${decision.rule}: ${decision.reason}` : undefined
      return { decision, request, identity, debugReason, reference }
    },
  }
}
