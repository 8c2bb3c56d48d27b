// The auth request a proxy sends, read into the request the visitor made. Two contracts:
//
// `forwarded` (Caddy forward_auth, Traefik ForwardAuth) reads X-Forwarded-Method/Proto/Host/Uri:
//  - Caddy's forward_auth is reverse_proxy rewritten to GET on the configured `uri`, setting
//    X-Forwarded-Method = {http.request.method} and X-Forwarded-Uri = {http.request.uri} (the raw
//    request URI, path AND query string), while reverse_proxy itself sets X-Forwarded-For (the
//    client, appended to a prior value only from its own trusted_proxies), X-Forwarded-Proto and
//    X-Forwarded-Host (the original Host). All other client headers pass through, including a
//    client-sent X-Original-URL and Remote-*: never read those here. Caddy also appends the
//    original query string to the auth URI itself.
//  - Traefik's ForwardAuth copies the client's headers (all, or those in authRequestHeaders) and
//    sets X-Forwarded-Method, -Proto (https when TLS), -Host (the request Host), -Uri
//    (req.URL.RequestURI(): path plus query) and -For (the peer address, prefixed with the prior
//    chain only when trustForwardHeader is on; with it on, client-sent X-Forwarded-* are kept).
// `nginx` (ngx_http_auth_request_module) reads X-Original-URL and X-Original-Method only. The
//  subrequest carries the client's original headers (so Accept, Cookie, and anything the client
//  invents) but its URI is the auth location's, with no body (`proxy_pass_request_body off`) and
//  no indication of the original URL or method: the documented config adds
//  `proxy_set_header X-Original-URL $scheme://$http_host$request_uri` and
//  `X-Original-Method $request_method`, which overwrite any client-sent value. nginx accepts only
//  2xx, 401 and 403 from the subrequest (anything else is a 500).
//
// Both contracts take the client address from X-Forwarded-For through the trusted-proxy walk.

import { AppError } from '../lib/index.ts'
import { formatIp, resolveClientIp, type Cidr, type IpAddress } from './client-ip.ts'
import { ForwardAuthErrorCodes } from './errors.ts'
import { parseAuthority } from './hosts.ts'
import { MAX_PATH_LENGTH } from './paths.ts'

export type ProxyContract = 'forwarded' | 'nginx'

/** The auth request as an HTTP framework hands it over. */
export interface RawAuthRequest {
  /** Header names in any case; repeated headers as arrays. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /** Address of the connecting peer (the proxy). */
  peerAddress: string
}

export interface ParseOptions {
  /** Proxies whose X-Forwarded-For entries are believed. */
  trustedProxies: readonly Cidr[]
}

/** The visitor's request, as far as the proxy told us. */
export interface ForwardedRequest {
  contract: ProxyContract
  /** Upper-case method. */
  method: string
  proto: 'http' | 'https'
  /** Lower-case host name without port. */
  host: string
  /** Port as the visitor wrote it, or ''. */
  port: string
  /** The raw path as sent (not normalised: normalisation happens where it is matched). */
  path: string
  /** '' or the query string including its leading '?'. */
  query: string
  clientIp: IpAddress | null
  /** Canonical text of `clientIp`, for logs. */
  clientIpText: string | null
  /** Sent by script (X-Requested-With: XMLHttpRequest): gets a 401, never a redirect. */
  xhr: boolean
  /** A browser navigation (Accept names HTML, or Sec-Fetch-Mode: navigate). */
  acceptsHtml: boolean
}

const MAX_URL_LENGTH = MAX_PATH_LENGTH + 1024

function missing(header: string): AppError {
  return new AppError(ForwardAuthErrorCodes.missingHeader, `the proxy did not send ${header}`, { status: 400, details: { header } })
}

function invalid(header: string, why: string): AppError {
  return new AppError(ForwardAuthErrorCodes.invalidHeader, `${header} ${why}`, { status: 400, details: { header } })
}

function headerReader(headers: RawAuthRequest['headers']): (name: string) => string | undefined {
  const map = new Map<string, string>()
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = typeof value === 'string' ? value : value.join(', ')
    const lower = key.toLowerCase()
    const prior = map.get(lower)
    map.set(lower, prior === undefined ? text : `${prior}, ${text}`)
  }
  return (name) => map.get(name.toLowerCase())
}

function required(get: (name: string) => string | undefined, name: string): string {
  const value = get(name)?.trim()
  if (value === undefined || value === '') throw missing(name)
  return value
}

function parseMethod(name: string, value: string): string {
  if (!/^[A-Za-z]{1,20}$/.test(value)) throw invalid(name, 'is not an HTTP method')
  return value.toUpperCase()
}

/** Splits an origin-form request target into path and query; fragments and oddities refused. */
function splitTarget(name: string, target: string): { path: string; query: string } {
  if (target.length > MAX_URL_LENGTH) throw invalid(name, 'is too long')
  if (!/^[\x21-\x7e]*$/.test(target)) throw invalid(name, 'contains spaces, control or non-ASCII characters')
  if (target.includes('#')) throw invalid(name, 'contains a fragment')
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  if (!path.startsWith('/')) throw invalid(name, 'is not an absolute path')
  return { path, query: q < 0 ? '' : target.slice(q) }
}

function hints(get: (name: string) => string | undefined): { xhr: boolean; acceptsHtml: boolean } {
  const xhr = (get('x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest'
  const accept = get('accept') ?? ''
  const acceptsHtml = /\b(text\/html|application\/xhtml\+xml)\b/i.test(accept) || get('sec-fetch-mode') === 'navigate'
  return { xhr, acceptsHtml }
}

function readForwarded(get: (name: string) => string | undefined) {
  const method = parseMethod('X-Forwarded-Method', required(get, 'X-Forwarded-Method'))
  const proto = required(get, 'X-Forwarded-Proto').toLowerCase()
  if (proto !== 'http' && proto !== 'https') throw invalid('X-Forwarded-Proto', 'must be http or https')
  const authority = parseAuthority(required(get, 'X-Forwarded-Host'))
  if (!authority) throw invalid('X-Forwarded-Host', 'is not a host name')
  const target = splitTarget('X-Forwarded-Uri', required(get, 'X-Forwarded-Uri'))
  return { method, proto: proto as 'http' | 'https', ...authority, ...target }
}

function readNginx(get: (name: string) => string | undefined) {
  const method = parseMethod('X-Original-Method', required(get, 'X-Original-Method'))
  const url = required(get, 'X-Original-URL')
  if (url.length > MAX_URL_LENGTH) throw invalid('X-Original-URL', 'is too long')
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url)
  if (!m) throw invalid('X-Original-URL', 'is not an absolute http(s) URL')
  const [, scheme, authorityText, rest] = m
  const authority = parseAuthority(authorityText)
  if (!authority) throw invalid('X-Original-URL', 'does not name a plain host')
  const target = splitTarget('X-Original-URL', rest === '' ? '/' : rest.startsWith('?') ? '/' + rest : rest)
  return { method, proto: scheme.toLowerCase() as 'http' | 'https', ...authority, ...target }
}

/**
 * Reads the visitor's request from an auth request under one contract; throws a 400 AppError
 * (`forwardauth_missing_header` / `forwardauth_invalid_header`, `details.header` naming it).
 */
export function parseAuthRequest(contract: ProxyContract, raw: RawAuthRequest, options: ParseOptions): ForwardedRequest {
  const get = headerReader(raw.headers)
  const parts = contract === 'nginx' ? readNginx(get) : readForwarded(get)
  const clientIp = resolveClientIp(raw.peerAddress, get('x-forwarded-for'), options.trustedProxies)
  return { contract, ...parts, clientIp, clientIpText: clientIp && formatIp(clientIp), ...hints(get) }
}
