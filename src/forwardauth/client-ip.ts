// Client addresses behind reverse proxies: IPv4/IPv6 parsing, CIDR ranges, and the walk over
// X-Forwarded-For that believes only hops added by proxies the operator listed as trusted.

import { isIPv4, isIPv6 } from 'node:net'

export interface IpAddress {
  readonly v4: boolean
  readonly bits: bigint
}

export interface Cidr {
  readonly v4: boolean
  readonly bits: bigint
  readonly prefix: number
  /** As configured, for messages. */
  readonly text: string
}

const V4_MAPPED_HIGH_BITS = 0xffffn

function v4Bits(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)
}

function v6Bits(text: string): bigint {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes its two hex groups first.
  const lastColon = text.lastIndexOf(':')
  let s = text
  if (text.includes('.', lastColon)) {
    const v4 = v4Bits(text.slice(lastColon + 1))
    s = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const parts = s.split('::')
  const left = parts[0] ? parts[0].split(':') : []
  const right = parts.length > 1 && parts[1] ? parts[1].split(':') : []
  const fill = parts.length > 1 ? 8 - left.length - right.length : 0
  let out = 0n
  for (const g of [...left, ...Array<string>(fill).fill('0'), ...right]) out = (out << 16n) | BigInt(parseInt(g, 16))
  return out
}

/**
 * Parses an IPv4 or IPv6 address (no zone, no brackets, no port); null when malformed.
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what a dual-stack socket reports) becomes IPv4, so one
 * IPv4 range covers both spellings.
 */
export function parseIp(text: string): IpAddress | null {
  if (isIPv4(text)) return { v4: true, bits: v4Bits(text) }
  if (!isIPv6(text) || text.includes('%')) return null
  const bits = v6Bits(text)
  if (bits >> 32n === V4_MAPPED_HIGH_BITS) return { v4: true, bits: bits & 0xffffffffn }
  return { v4: false, bits }
}

/** Parses `addr/len`, or a bare address as a single-host range; null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/')
  const addr = parseIp(slash >= 0 ? text.slice(0, slash) : text)
  if (!addr) return null
  const width = addr.v4 ? 32 : 128
  const lenText = slash >= 0 ? text.slice(slash + 1) : String(width)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null
  let prefix = Number(lenText)
  // A mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it spells.
  if (!addr.v4 || slash < 0 || !text.slice(0, slash).includes(':')) {
    if (prefix > width) return null
  } else {
    if (prefix < 96 || prefix > 128) return null
    prefix -= 96
  }
  const shift = BigInt(width - prefix)
  return { v4: addr.v4, bits: (addr.bits >> shift) << shift, prefix, text }
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.v4 !== ip.v4) return false
  const shift = BigInt((cidr.v4 ? 32 : 128) - cidr.prefix)
  return ip.bits >> shift === cidr.bits >> shift
}

export function inAnyCidr(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  return cidrs.some((c) => cidrContains(c, ip))
}

/** Formats an address canonically (IPv6 without zero compression), for audit output. */
export function formatIp(ip: IpAddress): string {
  if (ip.v4) return [24n, 16n, 8n, 0n].map((s) => String((ip.bits >> s) & 0xffn)).join('.')
  const groups: string[] = []
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.bits >> s) & 0xffffn).toString(16))
  return groups.join(':')
}

/** One X-Forwarded-For element: an address, optionally `[v6]`, `[v6]:port` or `v4:port`. */
function parseHop(raw: string): IpAddress | null {
  const text = raw.trim()
  const bracket = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text)
  if (bracket) return parseIp(bracket[1])
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text)
  if (v4port) return parseIp(v4port[1])
  return parseIp(text)
}

/**
 * The client address: the connecting peer, unless the peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right, skipping trusted hops; the first untrusted hop is the
 * client. Entries left of it were written by the client itself and are never read. Null when a
 * hop that must be read is malformed (the address is then unknown and range policies fail).
 */
export function resolveClientIp(peerAddress: string, forwardedFor: string | undefined, trusted: readonly Cidr[]): IpAddress | null {
  const peer = parseIp(peerAddress.trim())
  if (!peer) return null
  if (!inAnyCidr(trusted, peer) || forwardedFor === undefined) return peer
  const hops = forwardedFor.split(',').filter((h) => h.trim() !== '')
  let current = peer
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!inAnyCidr(trusted, current)) return current
    const hop = parseHop(hops[i])
    if (!hop) return null
    current = hop
  }
  return current
}
