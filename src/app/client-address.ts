// The client address sign-in and device-code throttling count against: the forward-auth rule
// (forwardAuthTrustedProxies), so one list of proxies serves the whole server.

import type { GatehouseConfig } from '../config/index.ts'
import { formatIp, parseCidr, resolveClientIp, type Cidr } from '../forwardauth/index.ts'
import { peerAddress, type ClientAddress } from '../identity/index.ts'

export function clientAddressOf(config: Pick<GatehouseConfig, 'forwardAuthTrustedProxies'>): ClientAddress {
  // Entries that do not parse stop the start in the forward-auth set-up; here they are skipped.
  const proxies = config.forwardAuthTrustedProxies.map(parseCidr).filter((c): c is Cidr => c !== null)
  return (req) => {
    const header = req.headers['x-forwarded-for']
    const ip = resolveClientIp(req.socket?.remoteAddress ?? '', Array.isArray(header) ? header.join(',') : header, proxies)
    return ip === null ? peerAddress(req) : formatIp(ip)
  }
}
