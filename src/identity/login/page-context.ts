// What the sign-in pages say about their request: the application (name, logo, home page), the
// brand (an organization's when the request names it or the email is of its domain), and the
// scopes to consent to in words.

import type Provider from 'oidc-provider'
import { brandFor, hasOrganizationBrand, ORGANIZATION_PARAM, type Brand } from '../branding.ts'
import { CLIENT_EXTRA_METADATA } from '../provider.ts'
import { emailDomain } from '../upstream/providers.ts'
import type { AppInfo, ScopeRequest } from './pages.ts'

const str = (value: unknown): string => (typeof value === 'string' ? value : '')

export async function clientInfo(provider: Provider, clientId: unknown): Promise<AppInfo & { firstParty: boolean }> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined
  return {
    name: str(client?.clientName) || str(clientId),
    logoUrl: str(client?.logoUri) || undefined,
    homeUrl: str((client as { clientUri?: unknown } | undefined)?.clientUri) || undefined,
    firstParty: client?.[CLIENT_EXTRA_METADATA.firstParty] === true,
  }
}

/**
 * The organization's brand when the sign-in names it (the `organization` parameter) or the email
 * given (typed, else the login_hint) belongs to its domain; undefined: the product's.
 */
export function organizationBrand(params: Record<string, unknown>, email: string, organizationOf?: (domain: string) => string | undefined): Brand | undefined {
  const named = str(params[ORGANIZATION_PARAM])
  if (named !== '' && hasOrganizationBrand(named)) return brandFor(named)
  const domain = emailDomain(email || str(params.login_hint))
  const routed = domain === undefined ? undefined : organizationOf?.(domain)
  return routed !== undefined && hasOrganizationBrand(routed) ? brandFor(routed) : undefined
}

export type ResourceScopeText = (indicator: string, scope: string) => { api: string; description?: string }

/** The scopes consent is asked for: OpenID ones, then each API's with its name and description. */
export function scopeRequests(missing: { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> }, text?: ResourceScopeText): ScopeRequest[] {
  return [
    ...(missing.missingOIDCScope ?? []).map((scope) => ({ scope })),
    ...Object.entries(missing.missingResourceScopes ?? {}).flatMap(([indicator, scopes]) =>
      scopes.map((scope) => ({ scope, ...(text?.(indicator, scope) ?? { api: indicator }) }))),
  ]
}
