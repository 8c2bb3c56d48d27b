// The `ipaddress` condition parameter type: parsing (as Go's netip.ParseAddr) and CIDR membership
// (as netip.Prefix.Contains: same address family, no zone, prefix bits compared).

export class IPAddress {
  readonly bits: bigint
  readonly v4: boolean
  readonly zone: string
  readonly text: string

  constructor(bits: bigint, v4: boolean, zone: string, text: string) {
    this.bits = bits
    this.v4 = v4
    this.zone = zone
    this.text = text
  }

  toString(): string {
    return this.text
  }
}

function parseV4(s: string): bigint | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  let out = 0n
  for (const p of parts) {
    // netip rejects leading zeros ("01") as ambiguous octal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null
    const n = Number(p)
    if (n > 255) return null
    out = (out << 8n) | BigInt(n)
  }
  return out
}

function parseV6(s: string): bigint | null {
  let head = s
  let tailV4: bigint | null = null
  const lastColon = s.lastIndexOf(':')
  if (s.indexOf('.', lastColon) > lastColon) {
    tailV4 = parseV4(s.slice(lastColon + 1))
    if (tailV4 === null) return null
    head = s.slice(0, lastColon + 1) + '0:0'
  }
  const doubles = head.split('::')
  if (doubles.length > 2) return null
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'))
  const left = groupsOf(doubles[0])
  const right = doubles.length === 2 ? groupsOf(doubles[1]) : []
  const total = left.length + right.length
  if (doubles.length === 1 ? total !== 8 : total > 7) return null
  const groups = [...left, ...Array<string>(8 - total).fill('0'), ...right]
  let out = 0n
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
    out = (out << 16n) | BigInt(parseInt(g, 16))
  }
  if (tailV4 !== null) out = (out & ~0xffffffffn) | tailV4
  return out
}

/** Parses an IPv4 or IPv6 address (IPv6 may carry a %zone); null when malformed. */
export function parseIPAddress(text: string): IPAddress | null {
  if (text.includes(':')) {
    const pct = text.indexOf('%')
    const addr = pct >= 0 ? text.slice(0, pct) : text
    const zone = pct >= 0 ? text.slice(pct + 1) : ''
    if (pct >= 0 && zone === '') return null
    const bits = parseV6(addr)
    return bits === null ? null : new IPAddress(bits, false, zone, text)
  }
  const bits = parseV4(text)
  return bits === null ? null : new IPAddress(bits, true, '', text)
}

/** True when `ip` lies in `cidr`; throws on a malformed CIDR (a condition evaluation error). */
export function inCidr(ip: IPAddress, cidr: string): boolean {
  const slash = cidr.lastIndexOf('/')
  const prefix = slash >= 0 ? parseIPAddress(cidr.slice(0, slash)) : null
  const lenText = slash >= 0 ? cidr.slice(slash + 1) : ''
  if (!prefix || prefix.zone !== '' || !/^(0|[1-9][0-9]*)$/.test(lenText)) {
    throw new Error(`'${cidr}' is a malformed CIDR string`)
  }
  const width = prefix.v4 ? 32 : 128
  const len = Number(lenText)
  if (len > width) throw new Error(`'${cidr}' is a malformed CIDR string`)
  if (ip.v4 !== prefix.v4 || ip.zone !== '') return false
  const shift = BigInt(width - len)
  return (ip.bits >> shift) === (prefix.bits >> shift)
}
