// The address of the browser or client behind a request, for throttling. The composition root
// supplies one that believes X-Forwarded-For from the configured proxies; without it, the TCP peer.

import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export type ClientAddress = (req: Pick<IncomingMessage, 'socket' | 'headers'>) => string

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().toLowerCase()
  return trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed
}

export const peerAddress: ClientAddress = (req) => normalizeAddress(req.socket?.remoteAddress ?? 'unknown')
