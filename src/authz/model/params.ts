// Condition parameter types: decoding a model's ConditionParamTypeRef, its CEL type name, and the
// conversion of a JSON context value into the CEL value the type demands (the rules of OpenFGA's
// internal/condition/types converters: ints from integral numbers or numeric strings, durations
// in Go syntax, timestamps in RFC 3339, IP addresses as text).
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator'
import { parseIPAddress } from './ipaddress.ts'
import type { ConditionParamTypeJson } from './json.ts'

export type ParamKind = 'any' | 'bool' | 'string' | 'int' | 'uint' | 'double' | 'duration' | 'timestamp' | 'map' | 'list' | 'ipaddress'

export interface ParamType {
  kind: ParamKind
  /** Element type of map (values; keys are strings) and list. */
  of?: ParamType
}

const KINDS: Record<string, ParamKind> = {
  TYPE_NAME_ANY: 'any', TYPE_NAME_BOOL: 'bool', TYPE_NAME_STRING: 'string', TYPE_NAME_INT: 'int',
  TYPE_NAME_UINT: 'uint', TYPE_NAME_DOUBLE: 'double', TYPE_NAME_DURATION: 'duration',
  TYPE_NAME_TIMESTAMP: 'timestamp', TYPE_NAME_MAP: 'map', TYPE_NAME_LIST: 'list', TYPE_NAME_IPADDRESS: 'ipaddress',
}

/** Decodes a parameter type; throws Error with a reason when it is unknown or has wrong generics. */
export function decodeParamType(ref: ConditionParamTypeJson): ParamType {
  const kind = KINDS[ref.type_name]
  if (!kind) throw new Error(`unknown parameter type '${ref.type_name}'`)
  const generic = kind === 'map' || kind === 'list'
  if (ref.generic_types.length !== (generic ? 1 : 0)) {
    throw new Error(`type '${kind}' requires ${generic ? 1 : 0} generic types; found ${ref.generic_types.length}`)
  }
  return generic ? { kind, of: decodeParamType(ref.generic_types[0]) } : { kind }
}

export function celTypeName(t: ParamType): string {
  switch (t.kind) {
    case 'any': return 'dyn'
    case 'duration': return 'google.protobuf.Duration'
    case 'timestamp': return 'google.protobuf.Timestamp'
    case 'map': return `map<string, ${celTypeName(t.of!)}>`
    case 'list': return `list<${celTypeName(t.of!)}>`
    default: return t.kind
  }
}

export function paramTypeText(t: ParamType): string {
  return t.of ? `${t.kind}<${paramTypeText(t.of)}>` : t.kind
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

function integral(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) throw new Error(`expected ${what} value, but found numeric value '${value}'`)
    return BigInt(value)
  }
  if (typeof value === 'string') {
    const s = value.trim()
    if (/^[+-]?\d+$/.test(s)) {
      // BigInt of a megabyte of digits costs ~100 ms, paid again at every evaluation; anything
      // past 20 significant digits is out of range for int64 and uint64 alike.
      const digits = s.replace(/^[+-]?0*/, '')
      const negative = s.startsWith('-')
      if (digits.length > 20) return negative ? INT64_MIN - 1n : UINT64_MAX + 1n
      return BigInt((negative ? '-' : '') + (digits || '0'))
    }
    const n = Number(s)
    if (s === '' || !Number.isFinite(n)) throw new Error(`expected ${what} value, but found invalid string value '${value}'`)
    if (!Number.isInteger(n)) throw new Error(`expected ${what} value, but found numeric value '${value}'`)
    return BigInt(n)
  }
  throw new Error(`expected ${what} value, but found '${typeof value}'`)
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
}

/** Go's time.ParseDuration syntax ("1h30m", "1.5s", "-300ms", "0"), to whole nanoseconds. */
export function parseGoDuration(text: string): bigint | null {
  let s = text
  let sign = 1n
  if (s.startsWith('-') || s.startsWith('+')) { if (s[0] === '-') sign = -1n; s = s.slice(1) }
  if (s === '0') return 0n
  if (s === '') return null
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/
  let total = 0n
  while (s !== '') {
    const m = re.exec(s)
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return null
    const unit = DURATION_UNITS[m[3]]
    const frac = m[2] ?? ''
    // Go's ParseDuration: more than int64 nanoseconds is invalid (and is refused before BigInt
    // gets a megabyte of digits); fraction digits beyond nanosecond precision change nothing.
    const whole = m[1].replace(/^0+/, '')
    if (whole.length > 19) return null
    total += BigInt(whole || '0') * unit
    if (frac !== '') total += (BigInt(frac.slice(0, 30)) * unit) / 10n ** BigInt(Math.min(frac.length, 30))
    if (total > INT64_MAX + (sign < 0n ? 1n : 0n)) return null
    s = s.slice(m[0].length)
  }
  return sign * total
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** RFC 3339 as Go's time.Parse(time.RFC3339) accepts it; CEL timestamps hold milliseconds here. */
export function parseRfc3339(text: string): Date | null {
  const m = RFC3339.exec(text)
  if (!m) return null
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]))
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) return null
  let offsetMin = 0
  if (m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3))
    const om = Number(m[8].slice(4, 6))
    if (oh > 23 || om > 59) return null
    offsetMin = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const ms = m[7] ? Math.floor(Number('0' + m[7]) * 1000) : 0
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000)
  date.setUTCFullYear(y) // Date.UTC maps years 0-99 to 1900-1999
  return date
}

/** Converts one JSON context value to the CEL value of `t`; throws Error with the reason. */
export function convertParam(t: ParamType, value: unknown): unknown {
  switch (t.kind) {
    case 'any': return value
    case 'bool':
      if (typeof value !== 'boolean') throw new Error(`expected type value 'bool', but found '${typeName(value)}'`)
      return value
    case 'string':
      if (typeof value !== 'string') throw new Error(`expected type value 'string', but found '${typeName(value)}'`)
      return value
    case 'int': {
      const n = integral(value, 'an int')
      if (n < INT64_MIN || n > INT64_MAX) throw new Error(`int value '${value}' is out of range`)
      return n
    }
    case 'uint': {
      const n = integral(value, 'a uint')
      if (n < 0n || n > UINT64_MAX) throw new Error(`expected a uint value, but found '${value}'`)
      return new UnsignedInt(n)
    }
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
      // Out-of-range values (beyond ±1.8e308) are errors, not infinities.
      if (!Number.isFinite(n)) throw new Error(`expected a double value, but found '${String(value)}'`)
      return n
    }
    case 'duration': {
      const ns = typeof value === 'string' ? parseGoDuration(value) : null
      if (ns === null) throw new Error(`expected a valid duration string, but found: '${String(value)}'`)
      return new Duration(ns / 1_000_000_000n, Number(ns % 1_000_000_000n))
    }
    case 'timestamp': {
      const d = typeof value === 'string' ? parseRfc3339(value) : null
      if (!d) throw new Error(`expected RFC 3339 formatted timestamp string, but found '${String(value)}'`)
      return d
    }
    case 'ipaddress': {
      const ip = typeof value === 'string' ? parseIPAddress(value) : null
      if (!ip) throw new Error(`expected a well-formed IP address, but found: '${String(value)}'`)
      return ip
    }
    case 'list':
      if (!Array.isArray(value)) throw new Error(`expected a list, but found '${typeName(value)}'`)
      return value.map((v) => convertParam(t.of!, v))
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new Error(`expected a map, but found '${typeName(value)}'`)
      }
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = convertParam(t.of!, v)
      return out
    }
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'list'
  return typeof v
}
