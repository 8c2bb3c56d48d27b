// The provider's machine-to-machine endpoints (token, introspection, revocation) handed to it
// straight from the shared node:http fast path (fast-path.ts), without Fastify's router, hooks
// and content-type handling in between: for these routes Fastify only hijacks the reply and
// forwards (routes/oidc.ts), so the answer is the provider's either way. What Fastify added is
// added here too: the request id, the pinned Host and X-Forwarded-Proto, and the request
// histogram under the route pattern. Requests Fastify could treat otherwise (a query string,
// another media type, a body without a declared length) still go through Fastify.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestIdOf, type FastPath, type RecordRequest } from './fast-path.ts'
import { providerForwarder, type OidcMount } from './routes/oidc.ts'

const FORM_TYPES: ReadonlySet<string | undefined> = new Set(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8'])

export type ProviderHandoff = (req: IncomingMessage, res: ServerResponse) => void

/** Hands a request to the provider, counted as Fastify's onResponse hook counts it. */
export function providerHandoff(mount: OidcMount, route: string, record: RecordRequest): ProviderHandoff {
  const forward = providerForwarder(mount)
  return (req, res) => {
    const started = process.hrtime.bigint()
    const done = () => {
      res.removeListener('finish', done)
      res.removeListener('error', done)
      record('POST', route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9)
    }
    res.on('finish', done)
    res.on('error', done)
    forward(req, res, requestIdOf(req))
  }
}

/** Whether Fastify would hand this request to the provider unchanged (see the module comment). */
export function plainProviderPost(req: IncomingMessage, path: string): boolean {
  const h = req.headers
  return req.method === 'POST' && req.url === path && FORM_TYPES.has(h['content-type']) && h['content-length'] !== undefined && h['transfer-encoding'] === undefined
}

/** POSTs to `routes` go to the provider directly. */
export function providerFastPath(mount: OidcMount, routes: readonly string[], record: RecordRequest): FastPath {
  const handoffs = new Map(routes.map((route) => [route, providerHandoff(mount, route, record)]))
  return (req, res, path) => {
    const handoff = handoffs.get(path)
    if (handoff === undefined || !plainProviderPost(req, path)) return false
    handoff(req, res)
    return true
  }
}
