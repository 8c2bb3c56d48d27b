// Client metadata that steers the browser and the edges per client: a branded login page, the
// origins allowed to call the token endpoints from a browser, and which resource-server scopes a
// client may receive. Kept apart from provider.ts, which only wires these hooks in.

import { errors, type Client, type KoaContextWithOIDC } from 'oidc-provider'
import { isLoopbackHost } from '../config/index.ts'
import { ID_TOKEN_OPTIONAL_CLAIMS } from './id-token-claims.ts'

export const CLIENT_ROUTING_METADATA = {
  /** https (or loopback http) page that shows the login prompt instead of Gatehouse's own. */
  loginUri: 'urn:gatehouse:login_uri',
  /** Origins (scheme://host[:port]) allowed to call the provider from a browser. */
  corsOrigins: 'urn:gatehouse:cors_origins',
  /** Resource-server scopes the client may receive; absent = none (its tokens still name the audience). */
  resourceScopes: 'urn:gatehouse:resource_scopes',
  /** Audience of the resource server the client's access tokens are for when a request names none. */
  defaultAudience: 'urn:gatehouse:default_audience',
  /** Identity claims the client's ID tokens carry (each with its scope); absent: none (userinfo has them). */
  idTokenClaims: 'urn:gatehouse:id_token_claims',
} as const

type ClientLike = { [key: string]: unknown }

function isWebUrl(value: string): boolean {
  const url = URL.parse(value)
  if (!url || value.includes('#') || url.username !== '' || url.password !== '') return false
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

const stringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')

/** Checks one of the routing extras; throws the provider's InvalidClientMetadata. */
export function validateRoutingMetadata(key: string, value: unknown): void {
  if (value === undefined) return
  const invalid = (message: string) => new errors.InvalidClientMetadata(`${key} ${message}`)
  switch (key) {
    case CLIENT_ROUTING_METADATA.loginUri:
      if (typeof value !== 'string' || !isWebUrl(value)) throw invalid('must be an https URL (or http on a loopback address) without fragment')
      return
    case CLIENT_ROUTING_METADATA.corsOrigins:
      if (!stringList(value) || value.some((o) => !isWebUrl(o) || new URL(o).origin !== o)) throw invalid('must be a list of https origins (or http on a loopback address)')
      return
    case CLIENT_ROUTING_METADATA.resourceScopes:
      if (!stringList(value)) throw invalid('must be a list of scopes')
      return
    case CLIENT_ROUTING_METADATA.idTokenClaims:
      if (!stringList(value) || value.some((c) => !(ID_TOKEN_OPTIONAL_CLAIMS as readonly string[]).includes(c))) throw invalid(`must be a list of ${ID_TOKEN_OPTIONAL_CLAIMS.join(', ')}`)
      return
    case CLIENT_ROUTING_METADATA.defaultAudience:
      if (typeof value !== 'string' || value === '') throw invalid('must be the audience of a resource server')
      return
    default:
      if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata(`${key} must be a boolean`)
  }
}

/**
 * CORS per client: its listed origins, else oidc-provider's own rule (a public client's
 * redirect URI origins, and any origin's userinfo call made with a redirect URI origin).
 */
export function clientCors(ctx: KoaContextWithOIDC, origin: string, client: Client): boolean {
  if (origin === 'null') return false
  const listed = (client as unknown as ClientLike)[CLIENT_ROUTING_METADATA.corsOrigins]
  if (stringList(listed) && listed.includes(origin)) return true
  if (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none') {
    return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin)
  }
  return false
}

/**
 * The resource server's scopes this client may receive, space separated: those it is registered
 * for. A client registered for none gets none, so an OIDC-only client cannot pick up an API's
 * scopes by naming the API.
 */
export function clientResourceScopes(client: ClientLike | undefined, scopes: string[]): string {
  const allowed = client?.[CLIENT_ROUTING_METADATA.resourceScopes]
  return stringList(allowed) ? scopes.filter((s) => allowed.includes(s)).join(' ') : ''
}

/**
 * Where the login prompt is shown: the client's own login page when it has one, handed the
 * absolute interaction URL to come back to; Gatehouse's page otherwise (and always for consent).
 */
export function interactionUrl(issuer: string) {
  return (ctx: KoaContextWithOIDC, interaction: { uid: string; prompt: { name: string }; params: Record<string, unknown> }): string => {
    const own = `/interaction/${interaction.uid}`
    const loginUri = (ctx.oidc.client as ClientLike | undefined)?.[CLIENT_ROUTING_METADATA.loginUri]
    if (interaction.prompt.name !== 'login' || typeof loginUri !== 'string') return own
    const target = new URL(loginUri)
    target.searchParams.set('interaction', `${issuer}${own}`)
    target.searchParams.set('client_id', String(interaction.params.client_id ?? ''))
    if (typeof interaction.params.login_hint === 'string' && interaction.params.login_hint !== '') target.searchParams.set('login_hint', interaction.params.login_hint)
    return target.href
  }
}
