// The address of the browser or client behind a request, for throttling. The TCP peer, unless it
// is one of the configured reverse proxies: then the nearest X-Forwarded-For entry that is not
// one of them. Without trusted proxies every user behind a proxy would share its address, and a
// guesser there would slow everyone down.

import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export type ClientAddress = (req: Pick<IncomingMessage, 'socket' | 'headers'>) => string

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().toLowerCase()
  return trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed
}

export function createClientAddress(trustedProxies: readonly string[] = []): ClientAddress {
  const trusted = new Set(trustedProxies.map(normalizeAddress))
  return (req) => {
    const peer = normalizeAddress(req.socket?.remoteAddress ?? 'unknown')
    if (!trusted.has(peer)) return peer
    const header = req.headers['x-forwarded-for']
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map(normalizeAddress).filter((a) => isIP(a) !== 0)
    // Right to left: each trusted proxy appended the address it saw; the first untrusted one is the client.
    for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!
    return hops[0] ?? peer
  }
}
