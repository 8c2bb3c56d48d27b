// Forward-auth over HTTP: the decision endpoints for Caddy / Traefik (X-Forwarded-*) and nginx
// (X-Original-*), and the portal's sign-in, callback and sign-out. Every decision answer carries
// `cache-control: no-store` so no proxy cache replays one visitor's identity to another.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  cookieValue, homePage, loggedOutPage, logoutPage, signInProblemPage, type ForwardAuth, type LoginFlow, type SessionStore,
} from '../../forwardauth/index.ts'
import { answerFor, DECISION_PATHS, FORWARD_AUTH_PREFIX, PAGE_HEADERS, SIGN_OUT_PAGE_HEADERS } from '../forward-auth-fast-path.ts'
import { ACCOUNT_PATH, PORTAL_CLIENT_ID } from '../../identity/index.ts'
import { AppError } from '../../lib/index.ts'

export interface ForwardAuthMount {
  service: ForwardAuth
  login: LoginFlow
  sessions: SessionStore
  issuer: string
  /** `domain` undefined: a host-only cookie on the issuer's host. */
  cookie: { name: string; domain: string | undefined; secure: boolean; maxAgeSeconds: number }
}

export { FORWARD_AUTH_PREFIX }
/** Every method: nginx's subrequest keeps the visitor's method; Caddy and Traefik send GET. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

export function cookie(name: string, value: string, attrs: { domain?: string; path: string; secure: boolean; maxAge: number }): string {
  return [
    `${name}=${value}`, `Path=${attrs.path}`, ...(attrs.domain ? [`Domain=${attrs.domain}`] : []),
    `Max-Age=${attrs.maxAge}`, 'HttpOnly', 'SameSite=Lax', ...(attrs.secure ? ['Secure'] : []),
  ].join('; ')
}

const cookieOf = (request: FastifyRequest, name: string) => cookieValue(request.headers.cookie, name)

const displayName = (identity: { username?: string; email?: string; subject: string }) => identity.username ?? identity.email ?? identity.subject

/**
 * The provider's sign-out for the portal's session, ending on the portal's signed-out page. With
 * the session's ID token as id_token_hint it needs no second confirmation (identity/pages.ts):
 * the visitor already confirmed on the portal's own, Origin-checked form.
 */
export function endSessionUrl(issuer: string, idToken: string | undefined): string {
  const end = new URL('/session/end', issuer)
  end.search = new URLSearchParams({
    ...(idToken ? { id_token_hint: idToken } : { client_id: PORTAL_CLIENT_ID }),
    post_logout_redirect_uri: `${issuer}${FORWARD_AUTH_PREFIX}/logged-out`,
  }).toString()
  return end.href
}

function html(reply: FastifyReply, status: number, body: string, headers: Record<string, string> = PAGE_HEADERS): FastifyReply {
  return reply.code(status).headers(headers).send(body)
}

export function forwardAuthRoutes(app: FastifyInstance, mount: ForwardAuthMount): void {
  void app.register(async (scope) => {
    // Auth subrequests carry no body worth reading; sign-out is a bodiless form post.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    const config = { public: true }
    // The server answers these paths on its fast path (forward-auth-fast-path.ts); the routes
    // serve in-process injection and keep them in the route table.
    for (const [url, contract] of Object.entries(DECISION_PATHS)) {
      scope.route({
        method: METHODS, url, config,
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const answer = answerFor(await mount.service.authorize(contract, { headers: request.headers, peerAddress: request.socket.remoteAddress ?? '' }), request.id)
          return reply.code(answer.status).headers(answer.headers).send(answer.body === '' ? undefined : answer.body)
        },
      })
    }

    const secure = mount.cookie.secure
    // Over https the state cookie is __Host- (host-only, Path=/, Secure): no other host under the
    // cookie domain can plant its own state and finish a sign-in into its owner's account.
    const STATE_COOKIE = secure ? '__Host-gatehouse_fa_state' : 'gatehouse_fa_state'
    const statePath = secure ? '/' : FORWARD_AUTH_PREFIX
    // `switch=1` (the access-denied page's "Sign in as someone else"): a fresh sign-in; the
    // session it replaces ends at the callback.
    scope.get<{ Querystring: { rd?: string; switch?: string } }>(`${FORWARD_AUTH_PREFIX}/login`, { config }, async (request, reply) => {
      try {
        const start = await mount.login.start(typeof request.query.rd === 'string' ? request.query.rd : '', { fresh: request.query.switch === '1' })
        reply.header('set-cookie', cookie(STATE_COOKIE, start.state, { path: statePath, secure, maxAge: 600 }))
        return reply.header('cache-control', 'no-store').redirect(start.location, 302)
      } catch (err) {
        if (err instanceof AppError && err.status === 400) return html(reply, 400, signInProblemPage(err.message))
        throw err
      }
    })

    scope.get(`${FORWARD_AUTH_PREFIX}/callback`, { config }, async (request, reply) => {
      reply.header('set-cookie', cookie(STATE_COOKIE, '', { path: statePath, secure, maxAge: 0 }))
      try {
        const stateCookie = cookieOf(request, STATE_COOKIE)
        const done = await mount.login.finish((request.query ?? {}) as Record<string, unknown>, stateCookie, { userAgent: request.headers['user-agent'] })
        // A sign-in in a browser that had a session (switching user) ends the old one.
        const previous = cookieOf(request, mount.cookie.name)
        if (previous !== undefined) await mount.sessions.destroy(previous)
        reply.header('set-cookie', cookie(mount.cookie.name, done.sessionToken, {
          domain: mount.cookie.domain, path: '/', secure, maxAge: mount.cookie.maxAgeSeconds,
        }))
        return reply.header('cache-control', 'no-store').redirect(done.location, 303)
      } catch (err) {
        if (err instanceof AppError && err.status === 400) return html(reply, 400, signInProblemPage(err.message))
        throw err
      }
    })

    scope.get(`${FORWARD_AUTH_PREFIX}/logout`, { config }, async (request, reply) => {
      const token = cookieOf(request, mount.cookie.name)
      const identity = token === undefined ? undefined : (await mount.sessions.get(token))?.identity
      return html(reply, 200, logoutPage(`${FORWARD_AUTH_PREFIX}/logout`, identity && displayName(identity)), SIGN_OUT_PAGE_HEADERS)
    })

    scope.post(`${FORWARD_AUTH_PREFIX}/logout`, { config }, async (request, reply) => {
      // A cross-site form cannot sign anyone out: browsers send Origin on every POST.
      if (request.headers.origin !== new URL(mount.issuer).origin) {
        return html(reply, 403, signInProblemPage('Sign-out must be confirmed on the Gatehouse sign-out page.'))
      }
      const token = cookieOf(request, mount.cookie.name)
      const session = token === undefined ? undefined : await mount.sessions.get(token)
      if (token !== undefined) await mount.sessions.destroy(token)
      reply.header('set-cookie', cookie(mount.cookie.name, '', { domain: mount.cookie.domain, path: '/', secure, maxAge: 0 }))
      return reply.header('cache-control', 'no-store').redirect(endSessionUrl(mount.issuer, session?.idToken), 303)
    })

    // The issuer's home: where to sign in (the start-up banner points here) and who is signed in.
    scope.get('/', { config }, async (request, reply) => {
      const token = cookieOf(request, mount.cookie.name)
      const identity = token === undefined ? undefined : (await mount.sessions.get(token))?.identity
      return html(reply, 200, homePage({
        user: identity && displayName(identity), email: identity?.email, groups: identity?.groups,
        signInUrl: `${FORWARD_AUTH_PREFIX}/login?rd=${encodeURIComponent(mount.issuer + '/')}`,
        signOutUrl: `${FORWARD_AUTH_PREFIX}/logout`, accountUrl: ACCOUNT_PATH, issuer: mount.issuer,
      }))
    })

    scope.get(`${FORWARD_AUTH_PREFIX}/logged-out`, { config }, async (_request, reply) => html(reply, 200, loggedOutPage()))
  })
}
