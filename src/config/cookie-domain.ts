import { parse } from 'tldts'

// Browsers ignore `Domain=` on a public suffix (`co.uk`, `github.io`), a single label
// (`localtest`) or an IP address: the session cookie would never reach the applications and every
// sign-in would end where it started, in an endless redirect. Checked against the Public Suffix
// List (ICANN and private sections, as browsers use it) through tldts, never a list of our own.

const EXAMPLES = 'e.g. `example.com` for id.example.com and app.example.com, or `gatehouse.localhost` to try it locally (browsers resolve *.localhost to this machine)'

/** Why browsers would refuse a cookie scoped to `domain`, or undefined when they accept it. */
export function cookieDomainProblem(domain: string): string | undefined {
  if (domain === '') return undefined
  const name = domain.replace(/^\./, '')
  const parsed = parse(name, { allowPrivateDomains: true })
  if (parsed.isIp === true) {
    return `${name} is an IP address: browsers refuse a cookie domain that is an address, so every sign-in would loop. Leave it unset (the cookie stays on the issuer's host) or use a DNS name, ${EXAMPLES}`
  }
  // A listed suffix (`com`, `co.uk`) first; an unlisted name is a suffix of its own only as a
  // single label (`localtest`), which browsers drop for the same reason.
  const listed = parsed.isIcann === true || parsed.isPrivate === true
  if (listed && (parsed.domain === null || parsed.publicSuffix === name)) {
    return `${name} is a public suffix (Public Suffix List): browsers refuse cookies for every site under it, so the session cookie never reaches the applications and every sign-in loops. Use the domain you own under it (e.g. \`example.${name}\`)`
  }
  if (!name.includes('.') || parsed.domain === null) {
    return `${name} is a single label: browsers drop a cookie domain without a dot, so the session cookie never reaches the applications and every sign-in loops. Use a name with two labels or more, ${EXAMPLES}`
  }
  return undefined
}
