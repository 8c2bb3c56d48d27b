// A webhook receiver for provisioning benchmarks: node:http on a free loopback port answering
// 204. It checks every signature (an HMAC per request, cheap next to the HTTP exchange) and counts
// deliveries per webhook-id, so a benchmark can prove each event arrived, signed, exactly once.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhook } from '../../src/provisioning/webhook.ts'

export interface WebhookReceiver {
  url: string
  /** Deliveries per webhook-id since the last reset. */
  seen: Map<string, number>
  /** Reasons of refused deliveries (bad or missing signatures). */
  problems: string[]
  reset(): void
  close(): Promise<void>
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const seen = new Map<string, number>()
  const problems: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const verdict = verifyWebhook([secret], req.headers as IncomingHttpHeaders, Buffer.concat(chunks))
      if (!verdict.ok) {
        problems.push(verdict.reason)
        res.writeHead(400).end()
        return
      }
      seen.set(verdict.id, (seen.get(verdict.id) ?? 0) + 1)
      res.writeHead(204).end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    seen,
    problems,
    reset() {
      seen.clear()
      problems.length = 0
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
