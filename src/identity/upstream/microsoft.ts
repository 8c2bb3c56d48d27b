// Microsoft Entra specifics of the upstream leg: the multi-tenant issuer template, the stable
// subject, and group memberships read from Microsoft Graph when the id_token has too many to
// carry them ("groups overage").

import { decodeJwt } from 'jose'
import * as oidc from 'openid-client'

/** Where the tenant id goes in the issuer of Entra's multi-tenant discovery documents. */
export const TENANT_PLACEHOLDER = '{tenantid}'

export const DEFAULT_GRAPH_URL = 'https://graph.microsoft.com'

/**
 * The delegated Graph permission the upstream request asks for when the operator listed only
 * OpenID scopes: Entra issues an access token for Graph only when a Graph scope is requested,
 * and `User.Read` is the least privilege that lists the signed-in user's own memberships.
 */
export const GRAPH_SCOPE = 'User.Read'

const OIDC_ONLY_SCOPES = new Set(['openid', 'email', 'profile', 'offline_access'])

/** The scopes to request: the configured ones plus User.Read when none of them is for Graph. */
export function microsoftScopes(scopes: readonly string[]): string[] {
  return scopes.every((s) => OIDC_ONLY_SCOPES.has(s)) ? [...scopes, GRAPH_SCOPE] : [...scopes]
}

/**
 * The upstream subject of an Entra user. Entra's `sub` is pairwise per application: it changes
 * when the app registration (client id) is replaced, and no other system (Graph, Azure RBAC,
 * provisioning) knows it. `oid` is the user object's immutable id, the same for every
 * application in the tenant and what Graph returns; it is unique per tenant only, and the
 * issuer it is paired with names the tenant. Tokens without `oid` (rare: some guest and
 * service flows) fall back to `sub`.
 */
export function entraSubject(claims: Record<string, unknown>): string | undefined {
  const oid = claims.oid
  if (typeof oid === 'string' && oid !== '') return oid
  return typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined
}

/** True when the id_token says the groups did not fit and must be read from Graph. */
export function hasGroupsOverage(claims: Record<string, unknown>): boolean {
  const names = claims._claim_names
  return typeof names === 'object' && names !== null && 'groups' in names
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>

/**
 * The ids of every group the signed-in user belongs to, directly or through nested groups:
 * `GET /v1.0/me/transitiveMemberOf` with the user's delegated Graph token (User.Read suffices
 * for the signed-in user's own memberships). The token's legacy `_claim_sources` endpoint
 * (Azure AD Graph) is retired, so it is never called. Directory roles and administrative units
 * are in the same list and are dropped. Pages are followed through `@odata.nextLink`, which
 * must stay on the Graph origin so the token is never sent elsewhere.
 */
export async function fetchGraphGroups(graphUrl: string, accessToken: string, fetchImpl: Fetch = fetch, maxPages = 100): Promise<string[]> {
  const origin = new URL(graphUrl).origin
  let next: string | undefined = `${graphUrl.replace(/\/+$/, '')}/v1.0/me/transitiveMemberOf?$select=id&$top=999`
  const groups: string[] = []
  for (let page = 0; next !== undefined; page++) {
    if (page >= maxPages) throw new Error('Microsoft Graph returned too many pages of group memberships')
    if (new URL(next).origin !== origin) throw new Error('Microsoft Graph paged to another origin')
    const res = await fetchImpl(next, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(15_000) })
    if (!res.ok) throw new Error(`Microsoft Graph answered ${res.status} for the group memberships (does the app have the User.Read permission?)`)
    const body = await res.json() as { value?: unknown; '@odata.nextLink'?: unknown }
    if (!Array.isArray(body.value)) throw new Error('Microsoft Graph returned no membership list')
    for (const item of body.value as Array<Record<string, unknown>>) {
      const type = item['@odata.type']
      if (typeof item.id === 'string' && (type === undefined || type === '#microsoft.graph.group')) groups.push(item.id)
    }
    next = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined
  }
  return groups
}

export interface EntraDiscovery {
  /** The configuration used to build authorization URLs (its issuer may be the template). */
  config: oidc.Configuration
  /** Redeems the code, validating the id_token against its own tenant's issuer. */
  exchange(callbackUrl: URL, checks: oidc.AuthorizationCodeGrantChecks): Promise<{ tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers; config: oidc.Configuration }>
}

export interface EntraClient {
  issuer: string
  clientId: string
  clientSecret: string
  /** Tenant ids allowed to sign in; only these ever get an expected issuer. */
  tenants: readonly string[]
  insecure: boolean
}

class Captured extends Error {
  readonly response: Response
  constructor(response: Response) {
    super('token response captured')
    this.response = response
  }
}

const capturedIn = (err: unknown): Captured | undefined => {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof Captured) return e
  return undefined
}

/**
 * Discovery for Entra. Multi-tenant endpoints (`/organizations/v2.0`, `/common/v2.0`) publish
 * the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`, and each id_token's `iss`
 * carries the user's tenant. The code is redeemed once; the token response is then validated
 * by openid-client against the issuer of the tenant the token names, which must be on the
 * allow-list — a token whose signed `iss` and `tid` disagree fails that validation.
 * A single-tenant issuer is an ordinary OpenID Connect issuer.
 */
export async function discoverEntra(client: EntraClient): Promise<EntraDiscovery> {
  const url = new URL(client.issuer)
  const wellKnown = new URL(`${url.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`, url)
  const res = await fetch(wellKnown, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) })
  if (!res.ok) throw new Error(`Entra discovery answered ${res.status}`)
  const metadata = await res.json() as oidc.ServerMetadata
  if (typeof metadata.issuer !== 'string') throw new Error('Entra discovery has no issuer')
  const auth = oidc.ClientSecretPost(client.clientSecret)
  const make = (issuer: string, extra: Partial<oidc.ServerMetadata> = {}) => {
    const config = new oidc.Configuration({ ...metadata, issuer, ...extra }, client.clientId, undefined, auth)
    if (client.insecure) oidc.allowInsecureRequests(config)
    return config
  }
  const template = metadata.issuer
  if (!template.includes(TENANT_PLACEHOLDER)) {
    if (template !== client.issuer) throw new Error(`Entra discovery issuer ${template} does not match ${client.issuer}`)
    const config = make(template)
    return { config, exchange: async (callbackUrl, checks) => ({ tokens: await oidc.authorizationCodeGrant(config, callbackUrl, checks), config }) }
  }
  if (new URL(template.replace(TENANT_PLACEHOLDER, 'x')).origin !== url.origin) throw new Error('Entra discovery issuer is on another origin')

  const base = make(template)
  let jwks: oidc.ExportedJWKSCache | undefined
  return {
    config: base,
    async exchange(callbackUrl, checks) {
      // First pass: redeem the code and keep the raw answer; nothing in it is trusted yet.
      const first = make(template, { authorization_response_iss_parameter_supported: false })
      first[oidc.customFetch] = async (input, init) => {
        const response = await fetch(input, init as RequestInit)
        throw new Captured(response)
      }
      // An RFC 9207 `iss` in the response names the tenant too; the second pass checks it.
      const withoutIss = new URL(callbackUrl)
      withoutIss.searchParams.delete('iss')
      let captured: Captured | undefined
      try {
        await oidc.authorizationCodeGrant(first, withoutIss, checks)
      } catch (err) {
        captured = capturedIn(err)
        if (!captured) throw err
      }
      if (!captured) throw new Error('token response was not captured')
      const body = await captured.response.text()
      let tid: unknown
      try {
        const parsed = JSON.parse(body) as { id_token?: unknown }
        tid = typeof parsed.id_token === 'string' ? decodeJwt(parsed.id_token).tid : undefined
      } catch {
        tid = undefined
      }
      const status = captured.response.status
      const contentType = captured.response.headers.get('content-type') ?? 'application/json'
      /** Runs openid-client over the captured answer as if it came from `issuer`. */
      const replay = (issuer: string) => {
        const config = make(issuer)
        if (jwks) oidc.setJwksCache(config, jwks)
        config[oidc.customFetch] = async (input, init) => {
          if (new URL(input).href === new URL(metadata.token_endpoint!).href) return new Response(body, { status, headers: { 'content-type': contentType } })
          return fetch(input, init as RequestInit)
        }
        return { config, tokens: oidc.authorizationCodeGrant(config, callbackUrl, checks) }
      }
      // No tenant to read (an error answer, no id_token): openid-client reports what is wrong.
      if (typeof tid !== 'string') {
        await replay(template).tokens
        throw new Error('token response has no id_token tenant')
      }
      if (!client.tenants.includes(tid)) throw new EntraTenantRefused(tid)
      // Second pass: openid-client validates the same answer against the tenant's issuer.
      const { config, tokens: pending } = replay(template.replace(TENANT_PLACEHOLDER, tid))
      const tokens = await pending
      jwks = oidc.getJwksCache(config) ?? jwks
      config[oidc.customFetch] = (input, init) => fetch(input, init as RequestInit)
      if (tokens.claims()?.tid !== tid) throw new Error('id_token tid does not match its issuer')
      return { tokens, config }
    },
  }
}

/** The id_token names a tenant that is not on the allow-list (or none at all). */
export class EntraTenantRefused extends Error {
  readonly tenant: string | undefined
  constructor(tenant: string | undefined) {
    super(`Entra tenant ${tenant ?? '(none)'} is not allowed`)
    this.tenant = tenant
  }
}
