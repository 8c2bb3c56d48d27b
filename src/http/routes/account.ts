// The signed-in user's account page on the issuer (/account): profile, linked identity provider
// account, organizations and groups, active sessions (and signing out of all of them), and the
// second factors of local accounts.
// Who is signed in comes from the portal session cookie (forward-auth's sign-in); a form post
// must come from the issuer's own origin, as for sign-out: the session cookie is SameSite=Lax,
// and other hosts under the cookie domain are same-site, so the Origin header is what tells them apart.

import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cookieValue, signInProblemPage, type PortalSession, type SessionStore } from '../../forwardauth/index.ts'
import {
  ACCOUNT_ACTIONS, ACCOUNT_PATH, LOCAL_SUBJECT_PREFIX, SIGN_OUT_EVERYWHERE_PATH, type AccountOverview, type AccountPage, type AccountPages,
} from '../../identity/index.ts'
import { PAGE_HEADERS } from '../../lib/index.ts'
import { cookie, endSessionUrl, FORWARD_AUTH_PREFIX } from './forward-auth.ts'

export interface AccountMount {
  pages: AccountPages
  sessions: SessionStore
  cookieName: string
  /** To clear the session cookie after signing out everywhere. */
  cookieDomain?: string
  issuer: string
  /** Gatehouse's namespaced claim, whose `organizations` list the user's organizations and groups. */
  claimNamespace: string
  /** The upstream account a federated subject signed in with. */
  linkedAccount?: (subject: string) => Promise<AccountOverview['upstream']>
  /** Ends the subject's sessions at the provider in every browser (they sign in again). */
  endBrowserSessions?: (subject: string) => Promise<void>
  /** The client's address (trusted proxies resolved), for throttling the password. */
  clientAddress: (req: IncomingMessage) => string | undefined
}

/** The account forms are a few short fields and a passkey answer of a few kilobytes. */
const FORM_BODY_LIMIT = 64 * 1024

function send(reply: FastifyReply, page: AccountPage): FastifyReply {
  return reply.code(page.status).headers(page.headers).type('text/html; charset=utf-8').send(page.html)
}

export function accountRoutes(app: FastifyInstance, mount: AccountMount): void {
  const origin = new URL(mount.issuer).origin
  const signIn = `${FORWARD_AUTH_PREFIX}/login?rd=${encodeURIComponent(mount.issuer + ACCOUNT_PATH)}`
  /** The signed-in session and its cookie, or undefined. */
  const signedIn = async (request: FastifyRequest): Promise<{ token: string; session: PortalSession } | undefined> => {
    const token = cookieValue(request.headers.cookie, mount.cookieName)
    const session = token === undefined ? undefined : await mount.sessions.get(token)
    return session === undefined ? undefined : { token: token!, session }
  }
  const subject = async (request: FastifyRequest) => (await signedIn(request))?.session.identity.subject
  const overview = async (request: FastifyRequest): Promise<AccountOverview> => {
    const { token, session } = (await signedIn(request))!
    const identity = session.identity
    const organizations = organizationsOf(identity.claims, mount.claimNamespace)
    const inOrganizations = new Set(organizations.flatMap((o) => o.groups))
    const [upstream, sessions] = await Promise.all([mount.linkedAccount?.(identity.subject), mount.sessions.list(identity.subject, token)])
    return {
      subject: identity.subject, username: identity.username, name: identity.name, email: identity.email, upstream,
      organizations, groups: identity.groups.filter((g) => !inOrganizations.has(g)), sessions,
    }
  }
  const local = (sub: string) => (sub.startsWith(LOCAL_SUBJECT_PREFIX) ? sub.slice(LOCAL_SUBJECT_PREFIX.length) : undefined)
  const problem = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(signInProblemPage(message))

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    const config = { public: true }

    scope.get(ACCOUNT_PATH, { config }, async (request, reply) => {
      const sub = await subject(request)
      if (sub === undefined) return reply.header('cache-control', 'no-store').redirect(signIn, 303)
      return send(reply, await mount.pages.show(local(sub), await overview(request)))
    })

    scope.get(`${ACCOUNT_PATH}/mfa/add`, { config }, async (request, reply) => {
      const sub = await subject(request)
      if (sub === undefined) return reply.header('cache-control', 'no-store').redirect(signIn, 303)
      const username = local(sub)
      return username === undefined ? send(reply, await mount.pages.show(undefined, await overview(request))) : send(reply, await mount.pages.add(username))
    })

    for (const [action, path] of Object.entries(ACCOUNT_ACTIONS) as [keyof typeof ACCOUNT_ACTIONS, string][]) {
      scope.post(path, { config }, async (request, reply) => {
        if (request.headers.origin !== origin) return problem(reply, 403, 'Changes to your account must be made on the Gatehouse account page.')
        const sub = await subject(request)
        const username = sub === undefined ? undefined : local(sub)
        if (username === undefined) return problem(reply, 401, 'Your session has ended. Sign in again, then retry.')
        return send(reply, await mount.pages.post(username, action, (request.body ?? {}) as Record<string, unknown>, mount.clientAddress(request.raw), await overview(request)))
      })
    }

    // Sign out everywhere: every portal session of the subject, then this browser's provider
    // session through the same sign-out as the portal's own.
    scope.post(SIGN_OUT_EVERYWHERE_PATH, { config }, async (request, reply) => {
      if (request.headers.origin !== origin) return problem(reply, 403, 'Changes to your account must be made on the Gatehouse account page.')
      const current = await signedIn(request)
      if (current === undefined) return problem(reply, 401, 'Your session has ended. Sign in again, then retry.')
      await mount.endBrowserSessions?.(current.session.identity.subject)
      await mount.sessions.destroyAll(current.session.identity.subject)
      reply.header('set-cookie', cookie(mount.cookieName, '', { domain: mount.cookieDomain, path: '/', secure: mount.issuer.startsWith('https:'), maxAge: 0 }))
      return reply.header('cache-control', 'no-store').redirect(endSessionUrl(mount.issuer, current.session.idToken), 303)
    })
  })
}

/** `{ organizations: [{ name, groups }] }` in the namespaced claim, as tenancy wrote it at sign-in. */
function organizationsOf(claims: Readonly<Record<string, unknown>> | undefined, namespace: string): AccountOverview['organizations'] {
  const ns = claims?.[namespace]
  const list = ns !== null && typeof ns === 'object' ? (ns as { organizations?: unknown }).organizations : undefined
  if (!Array.isArray(list)) return []
  return list.flatMap((o) => {
    const { name, groups } = (o ?? {}) as { name?: unknown; groups?: unknown }
    if (typeof name !== 'string') return []
    return [{ name, groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [] }]
  })
}
