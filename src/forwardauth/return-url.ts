// The URL a visitor is sent back to after signing in. It is attacker-controlled (a crafted login
// link), so it is accepted only as an absolute http(s) URL whose host Gatehouse serves: a
// registered application host or a host under the cookie domain. Browsers repair sloppy URLs
// (`https:evil.com`, `/\evil.com`, `https://app@evil.com`), so instead of asking one parser we
// read the authority ourselves with a strict grammar and require WHATWG URL to agree with it.

import { parseAuthority, underCookieDomain } from './hosts.ts'

export const MAX_RETURN_URL_LENGTH = 4096

export interface ReturnUrlPolicy {
  /** True when `host` (lower-case, no port) belongs to a registered application. */
  isApplicationHost(host: string): boolean
  cookieDomain: string
}

export type ReturnUrlCheck = { ok: true; url: string; host: string } | { ok: false; reason: string }

function refuse(reason: string): ReturnUrlCheck {
  return { ok: false, reason }
}

export function checkReturnUrl(candidate: string, policy: ReturnUrlPolicy): ReturnUrlCheck {
  if (candidate.length === 0 || candidate.length > MAX_RETURN_URL_LENGTH) return refuse('empty or too long')
  // Browsers drop tabs and newlines inside URLs and treat `\` like `/`: refuse them everywhere.
  if (/[\x00-\x20\x7f-\uffff\\]/.test(candidate)) return refuse('control character, space, backslash or non-ASCII character')
  const m = /^(https?):\/\/([^/?#]*)([/?#].*)?$/i.exec(candidate)
  if (!m) return refuse('not an absolute http(s) URL')
  const [, scheme, authorityText, rest = ''] = m
  if (authorityText.includes('@')) return refuse('credentials in URL')
  const authority = parseAuthority(authorityText)
  if (!authority) return refuse('malformed host')
  if (rest.includes('#')) return refuse('fragment in URL')
  const url = URL.parse(candidate)
  if (!url) return refuse('not a URL')
  // Both readings must agree; a difference means one parser was tricked.
  if (url.protocol !== `${scheme.toLowerCase()}:` || url.username !== '' || url.password !== '') return refuse('ambiguous URL')
  const whatwgHost = url.hostname
  if (whatwgHost !== authority.host) return refuse('ambiguous host')
  const host = authority.host
  if (!policy.isApplicationHost(host) && !underCookieDomain(host, policy.cookieDomain)) {
    return refuse('host is neither a registered application nor under the cookie domain')
  }
  return { ok: true, url: url.href, host }
}
