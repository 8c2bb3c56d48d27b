// Mounts the OpenID Connect provider (a plain Node request handler) on its exact paths. The
// provider reads request bodies itself, and builds endpoint URLs from Host/X-Forwarded-*: both
// are settled here so Fastify's parsers stay out and the configured issuer alone decides URLs.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { WEBAUTHN_SCRIPT, WEBAUTHN_SCRIPT_PATH, type FastIntrospect, type FastToken, type InteractionOutcome, type Interactions } from '../../identity/index.ts'
import { PAGE_HEADERS } from '../../lib/index.ts'

export interface OidcMount {
  /** Node handler of the provider (`provider.callback()`). */
  handler: (req: IncomingMessage, res: ServerResponse) => void
  /** The configured issuer URL (an origin). */
  issuer: string
  routes: ReadonlyArray<readonly ['GET' | 'POST' | 'OPTIONS', string]>
  /** The sign-in pages under /interaction/:uid. */
  interactions?: Interactions
  /** Introspection answered on the node:http fast path (provider-form-fast-path.ts). */
  fastIntrospect?: FastIntrospect
  /** client_credentials tokens answered on the node:http fast path (provider-form-fast-path.ts). */
  fastToken?: FastToken
}

/** Sign-in forms are a few short fields; anything bigger is not a browser submitting them. */
const FORM_BODY_LIMIT = 16 * 1024

function sendOutcome(reply: FastifyReply, outcome: InteractionOutcome): FastifyReply {
  // Pages carry a per-interaction form; nothing here may be cached or framed.
  reply.header('cache-control', 'no-store')
  if (outcome.kind === 'redirect') return reply.redirect(outcome.location, 303)
  reply.headers(PAGE_HEADERS)
  for (const [name, value] of Object.entries(outcome.headers ?? {})) reply.header(name, value)
  return reply.code(outcome.status).type('text/html; charset=utf-8').send(outcome.html)
}

function interactionRoutes(app: FastifyInstance, interactions: Interactions, issuer: string): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    // The sign-in pages quote the request id as the reference of a problem; they read it from the answer.
    scope.addHook('onRequest', (request, reply, done) => {
      reply.raw.setHeader('x-request-id', request.id)
      done()
    })
    type Req = FastifyRequest<{ Params: { uid: string } }>
    const form = (request: Req) => (request.body ?? {}) as Record<string, unknown>
    const config = { public: true }
    scope.get('/interaction/:uid', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.show(request.raw, reply.raw, request.params.uid)))
    scope.post('/interaction/:uid/login', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.login(request.raw, reply.raw, request.params.uid, form(request))))
    scope.post('/interaction/:uid/mfa', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.secondFactor(request.raw, reply.raw, request.params.uid, form(request))))
    scope.post('/interaction/:uid/consent', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.consent(request.raw, reply.raw, request.params.uid, form(request))))
    scope.post('/interaction/:uid/upstream', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.upstream(request.raw, reply.raw, request.params.uid, form(request))))
    // A client's own login page hands back with a top-level GET: the SameSite=Lax interaction
    // cookie is not sent on a cross-site POST.
    scope.get('/interaction/:uid/upstream', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.upstream(request.raw, reply.raw, request.params.uid, (request.query ?? {}) as Record<string, unknown>)))
    scope.get('/interaction/:uid/upstream/finish', { config }, async (request: Req, reply) =>
      sendOutcome(reply, await interactions.upstreamFinish(request.raw, reply.raw, request.params.uid, (request.query ?? {}) as Record<string, unknown>)))
    // The passkey pages' one script (the pages allow exactly this URL).
    scope.get(WEBAUTHN_SCRIPT_PATH, { config }, async (_request, reply) =>
      reply.headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(WEBAUTHN_SCRIPT))
    // The public URL the upstream redirected to: built from the issuer, never from Host.
    scope.get('/login/callback', { config }, async (request, reply) =>
      sendOutcome(reply, await interactions.callback(new URL(request.raw.url ?? '/', issuer), request.ip, request.id)))
  })
}

/**
 * Hands a request to the provider as the mount does: Host and X-Forwarded-Proto pinned from the
 * issuer (and forwarded-host headers dropped), so only the configured issuer decides URLs.
 */
export function providerForwarder(mount: OidcMount): (req: IncomingMessage, res: ServerResponse, requestId: string) => void {
  const issuer = new URL(mount.issuer)
  const proto = issuer.protocol.slice(0, -1)
  return (req, res, requestId) => {
    const headers = req.headers
    headers.host = issuer.host
    headers['x-forwarded-proto'] = proto
    delete headers['x-forwarded-host']
    delete headers.forwarded
    res.setHeader('x-request-id', requestId)
    mount.handler(req, res)
  }
}

export function oidcRoutes(app: FastifyInstance, mount: OidcMount): void {
  const toProvider = providerForwarder(mount)
  void app.register(async (scope) => {
    // A no-op parser for every media type leaves the body stream unread for the provider.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    const forward = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack()
      toProvider(request.raw, reply.raw, request.id)
    }
    for (const [method, url] of mount.routes) {
      scope.route({ method, url, config: { public: true }, handler: forward })
    }
  })
  if (mount.interactions) interactionRoutes(app, mount.interactions, mount.issuer)
}
