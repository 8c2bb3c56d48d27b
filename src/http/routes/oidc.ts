// Mounts the OpenID Connect provider (a plain Node request handler) on its exact paths. The
// provider reads request bodies itself, and builds endpoint URLs from Host/X-Forwarded-*: both
// are settled here so Fastify's parsers stay out and the configured issuer alone decides URLs.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface OidcMount {
  /** Node handler of the provider (`provider.callback()`). */
  handler: (req: IncomingMessage, res: ServerResponse) => void
  /** The configured issuer URL (an origin). */
  issuer: string
  routes: ReadonlyArray<readonly ['GET' | 'POST' | 'OPTIONS', string]>
}

export function oidcRoutes(app: FastifyInstance, mount: OidcMount): void {
  const issuer = new URL(mount.issuer)
  const proto = issuer.protocol.slice(0, -1)
  void app.register(async (scope) => {
    // A no-op parser for every media type leaves the body stream unread for the provider.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    const forward = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack()
      const headers = request.raw.headers
      headers.host = issuer.host
      headers['x-forwarded-proto'] = proto
      delete headers['x-forwarded-host']
      delete headers.forwarded
      reply.raw.setHeader('x-request-id', request.id)
      mount.handler(request.raw, reply.raw)
    }
    for (const [method, url] of mount.routes) {
      scope.route({ method, url, config: { public: true }, handler: forward })
    }
  })
}
