// Forward-auth over HTTP: the decision endpoints for Caddy / Traefik (X-Forwarded-*) and nginx
// (X-Original-*), and the portal's sign-in, callback and sign-out. Every decision answer carries
// `cache-control: no-store` so no proxy cache replays one visitor's identity to another.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  deniedPage, loggedOutPage, logoutPage, misconfiguredPage, signInProblemPage, unknownHostPage,
  cookieValue, headerValue, type AuthOutcome, type ForwardAuth, type LoginFlow, type ProxyContract, type SessionStore,
} from '../../forwardauth/index.ts'
import { PORTAL_CLIENT_ID } from '../../identity/index.ts'
import { AppError } from '../../lib/index.ts'

export interface ForwardAuthMount {
  service: ForwardAuth
  login: LoginFlow
  sessions: SessionStore
  issuer: string
  /** `domain` undefined: a host-only cookie on the issuer's host. */
  cookie: { name: string; domain: string | undefined; secure: boolean; maxAgeSeconds: number }
}

export const FORWARD_AUTH_PREFIX = '/api/forward-auth'
const STATE_COOKIE = 'gatehouse_fa_state'
/** Every method: nginx's subrequest keeps the visitor's method; Caddy and Traefik send GET. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const DEBUG_HEADER = 'x-gatehouse-deny-reason'

function cookie(name: string, value: string, attrs: { domain?: string; path: string; secure: boolean; maxAge: number }): string {
  return [
    `${name}=${value}`, `Path=${attrs.path}`, ...(attrs.domain ? [`Domain=${attrs.domain}`] : []),
    `Max-Age=${attrs.maxAge}`, 'HttpOnly', 'SameSite=Lax', ...(attrs.secure ? ['Secure'] : []),
  ].join('; ')
}

const cookieOf = (request: FastifyRequest, name: string) => cookieValue(request.headers.cookie, name)

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .type('text/html; charset=utf-8').send(body)
}

function sendOutcome(reply: FastifyReply, outcome: AuthOutcome, requestId: string): FastifyReply {
  const { decision, request } = outcome
  reply.header('cache-control', 'no-store')
  switch (decision.kind) {
    case 'allow':
    case 'skip':
      return reply.code(200).headers(decision.headers).send()
    case 'login':
      if (decision.location) reply.header('location', decision.location)
      if (decision.status === 401) reply.header('www-authenticate', 'Bearer realm="gatehouse"')
      return reply.code(decision.status).send()
    case 'deny': {
      // Group names may be any text: encoded so the header cannot break.
      if (outcome.debugReason) reply.header(DEBUG_HEADER, headerValue(outcome.debugReason))
      const user = outcome.identity?.username ?? outcome.identity?.email ?? outcome.identity?.subject
      if (!request.acceptsHtml) return reply.code(403).send({ code: 'forwardauth_denied', message: 'access denied' })
      return html(reply, 403, deniedPage({ application: decision.application, user, reason: outcome.debugReason, requestId }))
    }
    case 'misconfigured':
      return html(reply, 400, misconfiguredPage(decision.reason))
    case 'unknown_host':
      return html(reply, 403, unknownHostPage(decision.host))
  }
}

export function forwardAuthRoutes(app: FastifyInstance, mount: ForwardAuthMount): void {
  void app.register(async (scope) => {
    // Auth subrequests carry no body worth reading; sign-out is a bodiless form post.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    const config = { public: true }
    const decision = (contract: ProxyContract) => async (request: FastifyRequest, reply: FastifyReply) =>
      sendOutcome(reply, await mount.service.authorize(contract, { headers: request.headers, peerAddress: request.socket.remoteAddress ?? '' }), request.id)
    scope.route({ method: METHODS, url: `${FORWARD_AUTH_PREFIX}/caddy`, config, handler: decision('forwarded') })
    scope.route({ method: METHODS, url: `${FORWARD_AUTH_PREFIX}/traefik`, config, handler: decision('forwarded') })
    scope.route({ method: METHODS, url: `${FORWARD_AUTH_PREFIX}/nginx`, config, handler: decision('nginx') })

    const secure = mount.cookie.secure
    const statePath = FORWARD_AUTH_PREFIX
    scope.get<{ Querystring: { rd?: string } }>(`${FORWARD_AUTH_PREFIX}/login`, { config }, async (request, reply) => {
      try {
        const start = await mount.login.start(typeof request.query.rd === 'string' ? request.query.rd : '')
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
        const done = await mount.login.finish((request.query ?? {}) as Record<string, unknown>, stateCookie)
        reply.header('set-cookie', cookie(mount.cookie.name, done.sessionToken, {
          domain: mount.cookie.domain, path: '/', secure, maxAge: mount.cookie.maxAgeSeconds,
        }))
        return reply.header('cache-control', 'no-store').redirect(done.location, 303)
      } catch (err) {
        if (err instanceof AppError && err.status === 400) return html(reply, 400, signInProblemPage(err.message))
        throw err
      }
    })

    scope.get(`${FORWARD_AUTH_PREFIX}/logout`, { config }, async (_request, reply) =>
      html(reply, 200, logoutPage(`${FORWARD_AUTH_PREFIX}/logout`)))

    scope.post(`${FORWARD_AUTH_PREFIX}/logout`, { config }, async (request, reply) => {
      // A cross-site form cannot sign anyone out: browsers send Origin on every POST.
      if (request.headers.origin !== new URL(mount.issuer).origin) {
        return html(reply, 403, signInProblemPage('Sign-out must be confirmed on the Gatehouse sign-out page.'))
      }
      const token = cookieOf(request, mount.cookie.name)
      if (token !== undefined) await mount.sessions.destroy(token)
      reply.header('set-cookie', cookie(mount.cookie.name, '', { domain: mount.cookie.domain, path: '/', secure, maxAge: 0 }))
      const end = new URL('/session/end', mount.issuer)
      end.search = new URLSearchParams({ client_id: PORTAL_CLIENT_ID, post_logout_redirect_uri: `${mount.issuer}${FORWARD_AUTH_PREFIX}/logged-out` }).toString()
      return reply.header('cache-control', 'no-store').redirect(end.href, 303)
    })

    scope.get(`${FORWARD_AUTH_PREFIX}/logged-out`, { config }, async (_request, reply) => html(reply, 200, loggedOutPage()))
  })
}
