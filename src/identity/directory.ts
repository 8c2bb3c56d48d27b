// What the console lists of the identity configuration: resource servers (APIs receiving JWT
// access tokens) and upstream identity providers. Read-only views that never carry a secret: an
// upstream's client secret is left out, not redacted, so no answer ever has the field at all.

import type { ResourceServerConfig, UpstreamConfig } from '../config/index.ts'
import type { UpstreamHealth } from './upstream/federation.ts'
import { resolveUpstreams } from './upstream/providers.ts'

/** Health answers are reused this long: the console's overview must not hammer a provider. */
const HEALTH_CACHE_MS = 30_000

export interface ResourceServerView {
  indicator: string
  audience: string
  scopes: string[]
  accessTokenTtlSeconds: number | null
  accessTokenClaims: string[]
  /** Built into Gatehouse (the console's own audience) or configured. */
  builtin: boolean
}

export interface UpstreamView {
  id: string
  kind: string
  name: string
  issuer: string
  clientId: string
  scopes: string[]
  groupsClaim: string
  domains: string[]
  tenants: string[]
  hostedDomain: string | null
  /** The redirect URI to register at the provider. */
  redirectUri: string
}

export interface IdentityDirectory {
  resourceServers(): ResourceServerView[]
  upstreams(): UpstreamView[]
  /** Whether the upstream's discovery answers now (cached briefly); undefined for an unknown id. */
  upstreamHealth(id: string): Promise<UpstreamHealth | undefined>
}

export function createIdentityDirectory(options: {
  issuer: string
  resourceServers: readonly ResourceServerConfig[]
  builtinResourceServers?: readonly ResourceServerConfig[]
  upstreams: readonly UpstreamConfig[]
  /** Discovers an upstream afresh (the federation's probe). */
  probe?: (id: string) => Promise<UpstreamHealth | undefined>
  now?: () => number
}): IdentityDirectory {
  const now = options.now ?? Date.now
  const health = new Map<string, { at: number; answer: Promise<UpstreamHealth | undefined> }>()
  const view = (rs: ResourceServerConfig, builtin: boolean): ResourceServerView => ({
    indicator: rs.indicator, audience: rs.audience ?? rs.indicator, scopes: [...rs.scopes],
    accessTokenTtlSeconds: rs.accessTokenTtlSeconds ?? null, accessTokenClaims: [...rs.accessTokenClaims ?? []], builtin,
  })
  const resourceServers = [...options.resourceServers.map((rs) => view(rs, false)), ...(options.builtinResourceServers ?? []).map((rs) => view(rs, true))]
  const upstreams = resolveUpstreams(options.upstreams).map((p): UpstreamView => ({
    id: p.id, kind: p.kind, name: p.name, issuer: p.issuer, clientId: p.clientId, scopes: [...p.scopes], groupsClaim: p.groupsClaim,
    domains: [...p.domains], tenants: [...p.tenants], hostedDomain: p.hostedDomain ?? null, redirectUri: `${options.issuer}/login/callback`,
  }))
  const upstreamHealth = (id: string): Promise<UpstreamHealth | undefined> => {
    if (!upstreams.some((u) => u.id === id) || !options.probe) return Promise.resolve(undefined)
    const cached = health.get(id)
    if (cached && now() - cached.at < HEALTH_CACHE_MS) return cached.answer
    const answer = options.probe(id)
    health.set(id, { at: now(), answer })
    return answer
  }
  return { resourceServers: () => resourceServers, upstreams: () => upstreams, upstreamHealth }
}
