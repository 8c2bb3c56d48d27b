// Which resource server an access token is for. RFC 8707's `resource` names it by indicator;
// clients such as Incus send `audience=<aud>` instead (on the device authorization, authorization
// and token requests), and some cannot send either, so a client may carry a default audience.
// Whatever resolves is recorded on the grant, so refreshed tokens keep the same audience.

import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider'
import { CLIENT_ROUTING_METADATA, clientResourceScopes } from './client-extras.ts'
import type { ResourceServerEntry } from './provider.ts'

/** The request parameter naming a resource server by its audience. */
export const AUDIENCE_PARAM = 'audience'

const DEFAULT_AUDIENCE_METADATA = CLIENT_ROUTING_METADATA.defaultAudience

type ClientLike = { [key: string]: unknown } | undefined

export const audienceOf = (rs: ResourceServerEntry): string => rs.audience ?? rs.indicator

export interface ResourceResolver {
  /** oidc-provider's `features.resourceIndicators.defaultResource`. */
  defaultResource(ctx: KoaContextWithOIDC, client?: unknown, oneOf?: readonly string[]): Promise<string | string[] | undefined>
  /** oidc-provider's `features.resourceIndicators.getResourceServerInfo`. */
  getResourceServerInfo(ctx: KoaContextWithOIDC, indicator: string, client: unknown): ResourceServer
  /** The configured entry for an indicator. */
  entry(indicator: string): ResourceServerEntry | undefined
  /** defaultResource for a request that asked for `asked` as its audience (or none). */
  defaultIndicator(asked: string | undefined, client?: unknown, oneOf?: readonly string[]): string | undefined
  /** getResourceServerInfo for a request that asked for `asked` as its audience (or none). */
  resourceServerInfo(asked: string | undefined, indicator: string, client: unknown): ResourceServer
}

export interface ResourceResolverOptions {
  servers: ResourceServerEntry[]
  defaultTtl: number
}

/**
 * The `audience` a request asked for. Authorization and device requests carry it as a declared
 * extra parameter; the token endpoint keeps only each grant's own parameters, so there it is
 * read from the parsed body.
 */
function requestedAudience(ctx: KoaContextWithOIDC): string | undefined {
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] & { body?: Record<string, unknown> }
  const value = oidc.route === 'token' ? oidc.body?.[AUDIENCE_PARAM] : (oidc.params as Record<string, unknown> | undefined)?.[AUDIENCE_PARAM]
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw new errors.InvalidRequest(`${AUDIENCE_PARAM} must be given once`)
  return value
}

export function createResourceResolver(options: ResourceResolverOptions): ResourceResolver {
  const byIndicator = new Map(options.servers.map((rs) => [rs.indicator, rs]))
  const byAudience = new Map(options.servers.map((rs) => [audienceOf(rs), rs]))
  /** By audience first (what `aud` will say), then by indicator. */
  const named = (value: string) => byAudience.get(value) ?? byIndicator.get(value)

  function defaultIndicator(asked: string | undefined, client?: unknown, oneOf?: readonly string[]): string | undefined {
    if (asked !== undefined) {
      const rs = named(asked)
      if (!rs) throw new errors.InvalidTarget(`audience ${asked} is not a registered resource server`)
      // Several resources were granted: the audience picks one of them.
      if (oneOf !== undefined && !oneOf.includes(rs.indicator)) throw new errors.InvalidTarget(`audience ${asked} was not granted`)
      return rs.indicator
    }
    // Only asked with the resources a grant holds; none of them is chosen without a request.
    if (oneOf !== undefined) return undefined
    const fallback = (client as ClientLike)?.[DEFAULT_AUDIENCE_METADATA]
    if (typeof fallback !== 'string') return undefined
    const rs = named(fallback)
    // Opaque tokens would quietly fail at the API; the operator must fix the client or the configuration.
    if (!rs) throw new errors.InvalidTarget(`the client's default audience ${fallback} is no longer a registered resource server`)
    return rs.indicator
  }

  function resourceServerInfo(asked: string | undefined, indicator: string, client: unknown): ResourceServer {
    const rs = byIndicator.get(indicator)
    if (!rs) throw new errors.InvalidTarget()
    const clientId = (client as ClientLike)?.clientId
    if (rs.clients !== undefined && !rs.clients.includes(String(clientId))) throw new errors.InvalidTarget(`${indicator} is reserved for a built-in client`)
    if (asked !== undefined && named(asked) !== rs) throw new errors.InvalidTarget(`audience ${asked} does not match the resource ${indicator}`)
    return {
      scope: clientResourceScopes(client as ClientLike, rs.scopes),
      audience: audienceOf(rs),
      accessTokenTTL: rs.accessTokenTtl ?? options.defaultTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
    }
  }

  return {
    entry: (indicator) => byIndicator.get(indicator),

    async defaultResource(ctx, client, oneOf) {
      return defaultIndicator(requestedAudience(ctx), client, oneOf)
    },
    getResourceServerInfo: (ctx, indicator, client) => resourceServerInfo(requestedAudience(ctx), indicator, client),
    defaultIndicator,
    resourceServerInfo,
  }
}
