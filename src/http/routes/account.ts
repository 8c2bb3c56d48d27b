// The signed-in user's account page on the issuer (/account): second factors of local accounts.
// Who is signed in comes from the portal session cookie (forward-auth's sign-in); a form post
// must come from the issuer's own origin, as for sign-out: the session cookie is SameSite=Lax,
// and other hosts under the cookie domain are same-site, so the Origin header is what tells them apart.

import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cookieValue, signInProblemPage, type SessionStore } from '../../forwardauth/index.ts'
import { ACCOUNT_ACTIONS, ACCOUNT_PATH, LOCAL_SUBJECT_PREFIX, type AccountPage, type AccountPages } from '../../identity/index.ts'
import { PAGE_HEADERS } from '../../lib/index.ts'
import { FORWARD_AUTH_PREFIX } from './forward-auth.ts'

export interface AccountMount {
  pages: AccountPages
  sessions: SessionStore
  cookieName: string
  issuer: string
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
  /** The signed-in subject, or undefined. */
  const subject = async (request: FastifyRequest) => {
    const token = cookieValue(request.headers.cookie, mount.cookieName)
    return token === undefined ? undefined : (await mount.sessions.get(token))?.identity.subject
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
      return send(reply, await mount.pages.show(local(sub)))
    })

    scope.get(`${ACCOUNT_PATH}/mfa/add`, { config }, async (request, reply) => {
      const sub = await subject(request)
      if (sub === undefined) return reply.header('cache-control', 'no-store').redirect(signIn, 303)
      const username = local(sub)
      return username === undefined ? send(reply, await mount.pages.show(undefined)) : send(reply, await mount.pages.add(username))
    })

    for (const [action, path] of Object.entries(ACCOUNT_ACTIONS) as [keyof typeof ACCOUNT_ACTIONS, string][]) {
      scope.post(path, { config }, async (request, reply) => {
        if (request.headers.origin !== origin) return problem(reply, 403, 'Changes to your account must be made on the Gatehouse account page.')
        const sub = await subject(request)
        const username = sub === undefined ? undefined : local(sub)
        if (username === undefined) return problem(reply, 401, 'Your session has ended. Sign in again, then retry.')
        return send(reply, await mount.pages.post(username, action, (request.body ?? {}) as Record<string, unknown>, mount.clientAddress(request.raw)))
      })
    }
  })
}
