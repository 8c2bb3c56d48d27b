// RFC 8705 client certificates for oidc-provider: the hooks that read the peer certificate of the
// TLS connection a request came in on, and match it against a client's registered subject.
// Certificates are requested only on the dedicated mTLS listener, so browsers never see a prompt.

import type { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { KoaContextWithOIDC, MTLSConfiguration } from 'oidc-provider'

/** Client authentication methods served once mTLS is on. */
export const MTLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const

/** Endpoints answered on the mTLS listener (discovery advertises them as mtls_endpoint_aliases). */
export const MTLS_ENDPOINTS = {
  token_endpoint: '/token',
  introspection_endpoint: '/token/introspection',
  revocation_endpoint: '/token/revocation',
} as const

export interface MtlsFeatureOptions {
  /**
   * Whether a CA bundle for tls_client_auth was configured. Without one no chain is trusted for
   * tls_client_auth (Node would otherwise fall back to the public web roots).
   */
  clientCaConfigured: boolean
}

function peerCertificate(ctx: KoaContextWithOIDC): X509Certificate | undefined {
  const socket = ctx.socket as Partial<TLSSocket>
  // Plain-HTTP sockets have no peer certificate: certificate auth fails there, as it should.
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined
  return socket.getPeerX509Certificate() ?? undefined
}

/** One attribute=value pair of a distinguished name, type upper-cased, value unescaped. */
type Ava = readonly [string, string]

/** Splits on `sep` where it is not escaped with a backslash (RFC 4514 section 2.4). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1]
      i++
    } else if (c === sep) {
      parts.push(current)
      current = ''
    } else {
      current += c
    }
  }
  parts.push(current)
  return parts
}

/** Undoes RFC 4514 escaping: `\,` style and `\XX` hex (UTF-8 bytes). */
function unescapeValue(value: string): string {
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (c === '\\' && i + 1 < value.length) {
      const hex = value.slice(i + 1, i + 3)
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16))
        i += 2
      } else {
        bytes.push(...Buffer.from(value[i + 1] ?? ''))
        i++
      }
    } else {
      bytes.push(...Buffer.from(c ?? ''))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/**
 * Parses an RFC 4514 string into RDNs of sorted AVAs, ready for comparison. Values compare
 * case-insensitively with runs of spaces collapsed, as X.520 caseIgnoreMatch does for the usual
 * DirectoryString attributes.
 */
export function parseDn(dn: string): Ava[][] {
  if (dn.trim() === '') return []
  return splitUnescaped(dn, ',').map((rdn) =>
    splitUnescaped(rdn, '+')
      .map((ava): Ava => {
        const eq = ava.indexOf('=')
        const type = (eq < 0 ? ava : ava.slice(0, eq)).trim().toUpperCase()
        const value = eq < 0 ? '' : unescapeValue(ava.slice(eq + 1).trim())
        return [type, value.trim().replace(/\s+/g, ' ').toLowerCase()]
      })
      .sort((a, b) => (a[0] + '=' + a[1]).localeCompare(b[0] + '=' + b[1])))
}

export function dnEquals(a: string, b: string): boolean {
  return JSON.stringify(parseDn(a)) === JSON.stringify(parseDn(b))
}

/**
 * Node's `X509Certificate.subject` lists RDNs one per line in certificate order (most general
 * first), values already RFC 2253-escaped, multi-valued RDNs joined by " + ". RFC 4514 puts the
 * most specific RDN first, so the lines are reversed.
 */
export function subjectToRfc4514(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((rdn) => rdn.split(' + ').join('+'))
    .join(',')
}

function sanEntries(cert: X509Certificate, prefix: string): string[] {
  // Node quotes entries containing separators as JSON strings; split on ", " outside quotes.
  const text = cert.subjectAltName ?? ''
  const entries = text.match(/(?:[^,"]|"(?:\\.|[^"\\])*")+/g) ?? []
  return entries
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => {
      const value = entry.slice(prefix.length)
      return value.startsWith('"') ? (JSON.parse(value) as string) : value
    })
}

export function certificateMatches(cert: X509Certificate, property: string, expected: string): boolean {
  switch (property) {
    case 'tls_client_auth_subject_dn':
      return dnEquals(subjectToRfc4514(cert.subject), expected)
    case 'tls_client_auth_san_dns':
      return sanEntries(cert, 'DNS:').some((v) => v.toLowerCase() === expected.toLowerCase())
    case 'tls_client_auth_san_uri':
      return sanEntries(cert, 'URI:').includes(expected)
    case 'tls_client_auth_san_ip':
      return sanEntries(cert, 'IP Address:').some((v) => v.toLowerCase() === expected.toLowerCase())
    case 'tls_client_auth_san_email':
      return sanEntries(cert, 'email:').some((v) => v.toLowerCase() === expected.toLowerCase())
    default:
      return false
  }
}

/** The `features.mTLS` block of the provider configuration. */
export function mtlsFeature(options: MtlsFeatureOptions): MTLSConfiguration {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: true,
    getCertificate: peerCertificate,
    // `authorized` means the chain verified against the listener's `ca` (the configured bundle).
    certificateAuthorized: (ctx) => options.clientCaConfigured && (ctx.socket as Partial<TLSSocket>).authorized === true,
    certificateSubjectMatches(ctx, property, expected) {
      const cert = peerCertificate(ctx)
      return cert !== undefined && certificateMatches(cert, property, expected)
    },
  }
}

/** Discovery's `mtls_endpoint_aliases` for a listener reachable at `baseUrl`. */
export function mtlsEndpointAliases(baseUrl: string): Record<string, string> {
  const base = baseUrl.replace(/\/+$/, '')
  return Object.fromEntries(Object.entries(MTLS_ENDPOINTS).map(([name, path]) => [name, base + path]))
}
