// The identity headers handed to the proxy on a 2xx. Every configured header is always present
// (empty when there is no value): Caddy 2.6 otherwise injects its placeholder text, and an
// absent header would let a client-sent one of the same name through some proxies.

import type { CompiledApplication } from './application.ts'

/** Who the session belongs to, as the session layer resolved it. */
export interface ForwardIdentity {
  subject: string
  username?: string
  name?: string
  email?: string
  groups: readonly string[]
  /** Organization names for the organization header (see organizationNames). */
  organizations?: readonly string[]
  /** Further claims, for a configured user claim. */
  claims?: Readonly<Record<string, unknown>>
}

/**
 * The organization names in Gatehouse's namespaced claim (`{ organizations: [{ id, name, groups }] }`),
 * as tenancy put it there when the token or code was issued. Only for identities Gatehouse
 * issued: a trusted external issuer could write any organization into a claim of that name.
 */
export function organizationNames(claims: Readonly<Record<string, unknown>> | undefined, namespace: string): string[] {
  const ns = claims?.[namespace]
  const orgs = ns !== null && typeof ns === 'object' ? (ns as { organizations?: unknown }).organizations : undefined
  if (!Array.isArray(orgs)) return []
  return orgs.map((o) => (o !== null && typeof o === 'object' ? (o as { name?: unknown }).name : undefined)).filter((n): n is string => typeof n === 'string' && n !== '')
}

/** Header name → value. Values carry UTF-8 as bytes (latin1 code units), ready for Node's setHeader. */
export type IdentityHeaders = Record<string, string>

/**
 * Sent empty by applications that do not configure an organization header: the documented proxy
 * configurations copy it, and Caddy 2.6 would pass its placeholder text for a missing one.
 */
export const DEFAULT_ORGANIZATION_HEADER = 'Remote-Organization'

function headerNames(app: CompiledApplication): string[] {
  const h = app.headers
  const names = [h.user, h.name, h.email, h.groups]
  const organization = h.organization ?? DEFAULT_ORGANIZATION_HEADER
  return names.some((n) => n.toLowerCase() === organization.toLowerCase()) ? names : [...names, organization]
}

/** Strips control characters and encodes as UTF-8 bytes, so no value can split a header. */
export function headerValue(text: string): string {
  return Buffer.from(text.replace(/[\x00-\x1f\x7f]/g, ''), 'utf8').toString('latin1')
}

export function emptyIdentityHeaders(app: CompiledApplication): IdentityHeaders {
  return Object.fromEntries(headerNames(app).map((n) => [n, '']))
}

function userValue(app: CompiledApplication, identity: ForwardIdentity): string {
  const fromClaim = (): unknown => {
    switch (app.userClaim) {
      case 'preferred_username': return identity.username ?? identity.claims?.preferred_username
      case 'sub': return identity.subject
      case 'email': return identity.email
      case 'name': return identity.name
      default: return identity.claims?.[app.userClaim]
    }
  }
  const value = fromClaim()
  // The user header must name someone: without the claim, the subject does.
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : identity.subject
}

/** A comma-separated list; names with a comma or control character could not be told apart and are left out. */
function listValue(names: readonly string[], filter: RegExp | null): string {
  return names.filter((n) => n !== '' && !/[\x00-\x1f\x7f,]/.test(n) && (filter === null || filter.test(n))).join(',')
}

/**
 * Per identity object (sessions hand out the same object while cached), per application: the
 * headers are the same on every request of a session, and encoding them is the bulk of a decision.
 */
const computed = new WeakMap<ForwardIdentity, WeakMap<CompiledApplication, IdentityHeaders>>()

export function identityHeaders(app: CompiledApplication, identity: ForwardIdentity): IdentityHeaders {
  let perApp = computed.get(identity)
  const known = perApp?.get(app)
  if (known !== undefined) return known
  const headers = buildIdentityHeaders(app, identity)
  if (perApp === undefined) computed.set(identity, (perApp = new WeakMap()))
  perApp.set(app, headers)
  return headers
}

function buildIdentityHeaders(app: CompiledApplication, identity: ForwardIdentity): IdentityHeaders {
  const h = app.headers
  const out: IdentityHeaders = {
    [h.user]: headerValue(userValue(app, identity)),
    [h.name]: headerValue(identity.name ?? ''),
    [h.email]: headerValue(identity.email ?? ''),
    [h.groups]: headerValue(listValue(identity.groups, app.groupsFilter)),
  }
  if (h.organization) out[h.organization] = headerValue(listValue(identity.organizations ?? [], null))
  else if (!Object.keys(out).some((n) => n.toLowerCase() === DEFAULT_ORGANIZATION_HEADER.toLowerCase())) out[DEFAULT_ORGANIZATION_HEADER] = ''
  return out
}
