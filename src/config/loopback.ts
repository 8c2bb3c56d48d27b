import { isIP } from 'node:net'

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  // RFC 6761: every *.localhost name resolves to loopback.
  if (bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  // IPv4-mapped IPv6 loopback.
  return /^::ffff:127\./i.test(bare)
}
