// The protected application in proxy tests: it answers every request with a JSON description of
// what reached it, so a test can see exactly which identity headers the proxy let through.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface EchoedRequest {
  method: string
  url: string
  /** Node's merged view: lower-case names, repeated headers joined. */
  headers: IncomingHttpHeaders
  /** Name/value pairs exactly as received, so a duplicated or oddly cased header shows. */
  rawHeaders: string[]
}

export interface EchoBackend {
  /** `127.0.0.1:<port>`, as proxy configurations name an upstream. */
  address: string
  port: number
  /** Every request that reached the backend, oldest first. */
  readonly received: readonly EchoedRequest[]
  close(): Promise<void>
}

export async function startEchoBackend(): Promise<EchoBackend> {
  const received: EchoedRequest[] = []
  const server: Server = createServer((req, res) => {
    // The body is not echoed, but it must be consumed before answering a keep-alive request.
    req.resume()
    req.on('end', () => {
      const echo: EchoedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders }
      received.push(echo)
      const body = JSON.stringify(echo)
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    address: `127.0.0.1:${port}`,
    port,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** Every value the backend received for `name` (any case), in order. */
export function rawHeaderValues(echo: EchoedRequest, name: string): string[] {
  const out: string[] = []
  for (let i = 0; i + 1 < echo.rawHeaders.length; i += 2) {
    if (echo.rawHeaders[i]!.toLowerCase() === name.toLowerCase()) out.push(echo.rawHeaders[i + 1]!)
  }
  return out
}
