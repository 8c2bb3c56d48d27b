// Path normalisation for matching skip paths and rules. Proxies hand over the raw request path,
// and the backend behind them may resolve `..`, `%2e%2e` or `//` differently from a naive string
// match; matching the resolved form closes that gap. What cannot be resolved the same way by
// every backend (encoded slashes and backslashes, double encoding, `..;`) is refused outright, so
// the caller denies it rather than letting a skip pattern match it.

export type NormalisedPath = { ok: true; path: string } | { ok: false; reason: string }

export const MAX_PATH_LENGTH = 8192

const UNRESERVED = /^[A-Za-z0-9\-._~]$/
const HEX2 = /^[0-9A-Fa-f]{2}$/

function fail(reason: string): NormalisedPath {
  return { ok: false, reason }
}

/** Decodes escapes of unreserved characters, upper-cases the rest; null reason when it succeeds. */
function decodeUnreserved(raw: string): { text: string } | { reason: string } {
  let out = ''
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]
    const code = ch.charCodeAt(0)
    if (code <= 0x20 || code >= 0x7f) return { reason: 'control, space or non-ASCII character in path' }
    if (ch === '\\') return { reason: 'backslash in path' }
    if (ch !== '%') {
      out += ch
      continue
    }
    const hex = raw.slice(i + 1, i + 3)
    if (!HEX2.test(hex)) return { reason: 'malformed percent-encoding in path' }
    const byte = parseInt(hex, 16)
    const decoded = String.fromCharCode(byte)
    if (byte === 0x2f || byte === 0x5c) return { reason: 'encoded slash or backslash in path' }
    if (byte < 0x20 || byte === 0x7f) return { reason: 'encoded control character in path' }
    if (byte === 0x25 && HEX2.test(raw.slice(i + 3, i + 5))) return { reason: 'double percent-encoding in path' }
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`
    i += 2
  }
  return { text: out }
}

/**
 * Checks a raw absolute path (no query) and returns the form rules and skip paths match. Escaped
 * unreserved characters are decoded. Anything backends resolve differently from each other is
 * refused rather than resolved: dot segments (`/public/../admin`: browsers never send them, and
 * `//public/x` or `/a//../b` resolve differently in WHATWG URL, RFC 3986 and servlet
 * containers), empty segments (`//admin`), and path parameters (`;`: Tomcat serves
 * `/admin;x.css` as `/admin`). A trailing slash is kept.
 */
export function normalisePath(raw: string): NormalisedPath {
  if (!raw.startsWith('/')) return fail('path must start with /')
  if (raw.length > MAX_PATH_LENGTH) return fail('path too long')
  const decoded = decodeUnreserved(raw)
  if ('reason' in decoded) return fail(decoded.reason)
  const text = decoded.text
  if (text.includes(';') || /%3B/i.test(text)) return fail('path parameters (;) in path')
  const segments = text.split('/').slice(1)
  for (const [i, segment] of segments.entries()) {
    if (segment === '.' || segment === '..') return fail('dot segment in path')
    if (segment === '' && i < segments.length - 1) return fail('empty segment (//) in path')
  }
  return { ok: true, path: text }
}

/**
 * True when `path` falls under `prefix` on a segment boundary: `/admin` (or `/admin/`) covers
 * `/admin` and `/admin/x` but not `/administrator`.
 */
export function pathHasPrefix(path: string, prefix: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  return p === '/' || path === p || path.startsWith(p + '/')
}
