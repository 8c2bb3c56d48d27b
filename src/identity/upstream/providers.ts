// Upstream identity providers as configured, with the issuer each kind implies, and routing of
// a login email to the provider registered for its domain: an organization's domains first,
// then the providers' own `domains`.

import type { UpstreamConfig } from '../../config/index.ts'
import { DEFAULT_GRAPH_URL, microsoftScopes } from './microsoft.ts'

export interface UpstreamProvider {
  id: string
  kind: UpstreamConfig['kind']
  name: string
  issuer: string
  clientId: string
  clientSecret: string
  scopes: string[]
  groupsClaim: string
  domains: string[]
  /** microsoft: allowed Entra tenant ids (`tid`). */
  tenants: string[]
  /** microsoft: Microsoft Graph base URL for group memberships beyond what the id_token carries. */
  graphUrl: string
  /** google: the Workspace domain (`hd`) every sign-in must come from; undefined: any. */
  hostedDomain?: string
}

const DEFAULT_ISSUERS: Record<UpstreamConfig['kind'], string | undefined> = {
  google: 'https://accounts.google.com',
  // Multi-tenant: the issuer template's `{tenantid}` is filled from each id_token (see microsoft.ts); the tenant allow-list decides who may sign in.
  microsoft: 'https://login.microsoftonline.com/organizations/v2.0',
  oidc: undefined,
}

const DEFAULT_NAMES: Record<UpstreamConfig['kind'], string> = { google: 'Google', microsoft: 'Microsoft', oidc: '' }

/** Authorization request parameter naming the upstream provider to sign in through, skipping the choice. */
export const UPSTREAM_PARAM = 'upstream'

export function resolveUpstreams(configs: readonly UpstreamConfig[]): UpstreamProvider[] {
  return configs.map((c) => {
    // openid is what makes the upstream leg OpenID Connect; never let a config drop it.
    const scopes = c.scopes.includes('openid') ? c.scopes : ['openid', ...c.scopes]
    return {
      id: c.id,
      kind: c.kind,
      name: c.name ?? (DEFAULT_NAMES[c.kind] || c.id),
      issuer: c.issuer ?? DEFAULT_ISSUERS[c.kind]!,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      scopes: c.kind === 'microsoft' ? microsoftScopes(scopes) : scopes,
      groupsClaim: c.groupsClaim,
      domains: c.domains,
      tenants: c.tenants,
      graphUrl: c.graphUrl ?? DEFAULT_GRAPH_URL,
      hostedDomain: c.hostedDomain,
    }
  })
}

/** The domain part of an email address, lower case, or undefined when it is not one. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@')
  if (at <= 0 || at === email.length - 1) return undefined
  return email.slice(at + 1).trim().toLowerCase()
}

/** The upstream id an organization routes an email domain to (its first upstream), if any. */
export type OrganizationRoute = (domain: string) => string | undefined

/**
 * An organization that claims the domain wins over the configuration: organizations are managed
 * at run time and are the more specific statement. Its upstream must still be configured; if
 * it is not, the configured routing applies rather than a dead end.
 */
export function providerForEmail(providers: readonly UpstreamProvider[], email: string, organizationRoute?: OrganizationRoute): UpstreamProvider | undefined {
  const domain = emailDomain(email)
  if (domain === undefined) return undefined
  const routed = organizationRoute?.(domain)
  const viaOrganization = routed === undefined ? undefined : providers.find((p) => p.id === routed)
  return viaOrganization ?? providers.find((p) => p.domains.includes(domain))
}
