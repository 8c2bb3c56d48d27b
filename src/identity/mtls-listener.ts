// The dedicated TLS listener for service clients (RFC 8705): asks every peer for a certificate
// and hands only the token, introspection and revocation endpoints to the provider, and the
// tenancy API (where certificate-bound tokens are checked against the presented certificate) to the API.
// A separate port keeps certificate prompts away from browsers on the main port.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { MTLS_ENDPOINTS } from './mtls.ts'

export interface MtlsListenerOptions {
  /** Node handler of the provider (`provider.callback()`). */
  handler: (req: IncomingMessage, res: ServerResponse) => void
  /** The configured issuer URL: Host and X-Forwarded-Proto are pinned from it, as on the main port. */
  issuer: string
  /** Server certificate chain and key (PEM). */
  cert: string | Buffer
  key: string | Buffer
  /** CA bundle (PEM) trusted for tls_client_auth; undefined trusts none. */
  clientCa?: string | Buffer
  host: string
  port: number
  /**
   * The API paths a service account reaches with its certificate-bound token (the tenancy API),
   * and the handler that serves them: the main port is plain HTTP and cannot see the certificate.
   */
  api?: { prefixes: readonly string[]; handler: (req: IncomingMessage, res: ServerResponse) => void }
}

export interface MtlsListener {
  server: Server
  /** https://host:port the listener answers on. */
  url: string
  close(): Promise<void>
}

const ROUTES = new Set(Object.values(MTLS_ENDPOINTS).map((path) => `POST ${path}`))

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify({ error: 'not_found', error_description: 'only the token, introspection and revocation endpoints and the tenancy API are served here' }))
}

export async function startMtlsListener(options: MtlsListenerOptions): Promise<MtlsListener> {
  const issuer = new URL(options.issuer)
  const proto = issuer.protocol.slice(0, -1)
  const server = createServer({
    cert: options.cert,
    key: options.key,
    // An empty list rather than undefined: Node would otherwise verify against the public roots.
    ca: options.clientCa ?? [],
    // Self-signed certificates must finish the handshake, and an unknown certificate should get an
    // OAuth invalid_client, not a TLS alert; `socket.authorized` keeps the verification result.
    requestCert: true,
    rejectUnauthorized: false,
  }, (req, res) => {
    const path = (req.url ?? '').split('?')[0]
    const api = options.api !== undefined && options.api.prefixes.some((p) => path === p || path.startsWith(`${p}/`))
    if (!api && !ROUTES.has(`${req.method ?? ''} ${path}`)) return notFound(res)
    req.headers.host = issuer.host
    req.headers['x-forwarded-proto'] = proto
    delete req.headers['x-forwarded-host']
    delete req.headers.forwarded
    if (api) options.api!.handler(req, res)
    else options.handler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    server,
    url: `https://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeIdleConnections()
    }),
  }
}
