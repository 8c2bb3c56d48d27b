// Host names as proxies forward them (`Host`, `X-Forwarded-Host`, the authority of a URL) and the
// host patterns applications register. Parsing is strict on purpose: anything that is not a plain
// DNS name, IPv4 address or bracketed IPv6 address (with an optional port) is refused, so no
// userinfo, percent-encoding or second host can hide in it.

import { isIPv6 } from 'node:net'

export interface Authority {
  /** Lower-case host name, IPv4 address, or `[ipv6]`. */
  host: string
  /** Port as written, or '' when absent. */
  port: string
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`)
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`)

export function isDnsName(text: string): boolean {
  return text.length <= 253 && DNS_NAME.test(text)
}

/** Parses `host[:port]`; null when it is anything else. */
export function parseAuthority(text: string): Authority | null {
  const lower = text.toLowerCase()
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::([0-9]{1,5}))?$/.exec(lower)
  if (!m) return null
  const [, host, port = ''] = m
  if (port !== '' && (Number(port) < 1 || Number(port) > 65535)) return null
  if (host.startsWith('[')) return isIPv6(host.slice(1, -1)) ? { host, port } : null
  return isDnsName(host) ? { host, port } : null
}

/** Host patterns: an exact DNS name, or `*.` plus a name, standing for exactly one more label. */
export function isHostPattern(text: string): boolean {
  return text.length <= 253 && HOST_PATTERN.test(text)
}

/** True when `host` (already lower-case, no port) matches `pattern`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host
  const suffix = pattern.slice(1)
  if (!host.endsWith(suffix)) return false
  const label = host.slice(0, -suffix.length)
  return label.length > 0 && !label.includes('.')
}

/** True when a cookie scoped to `cookieDomain` is sent to `host`. */
export function underCookieDomain(host: string, cookieDomain: string): boolean {
  const domain = cookieDomain.replace(/^\./, '').toLowerCase()
  return host === domain || host.endsWith('.' + domain)
}
