// Who is calling the tenancy API, from its Authorization header: the operator (a preshared key,
// or anyone while no key is configured, as the rest of the API), the holder of a Gatehouse
// access token, or a user of a trusted external issuer known from the token's claims alone.

import { createHash, type X509Certificate } from 'node:crypto'
import { ConfigError, envVarFor, type GatehouseConfig, type TrustedIssuerConfig } from '../config/index.ts'
import { bearerToken, presharedKeyMatcher, type AdminCaller, type TenancyMount } from '../http/index.ts'
import { consoleAudience, resolveUpstreams, type SignedInResolver, type TrustedIssuers } from '../identity/index.ts'
import { AppError, CommonCodes } from '../lib/index.ts'
import { builtinRoleId, PLATFORM_ADMINISTRATOR, SYSTEM_PRINCIPAL, type Principal, type Tenancy } from '../tenancy/index.ts'
import type { Logger } from './logger.ts'

export const TenancyCallerCodes = {
  unauthenticated: CommonCodes.unauthenticated,
  /** An RFC 8705 token presented without the certificate it is bound to. */
  certificateBound: 'certificate_bound_token',
  /** A change requested with an opaque access token, which any client holds for userinfo. */
  tokenNotForWrites: 'token_not_for_writes',
  /** An admin API outside tenancy (clients, audit, …) called by someone who is not a platform administrator. */
  platformAdministratorRequired: 'platform_administrator_required',
} as const

type CallerConfig = Pick<GatehouseConfig, 'presharedKeys' | 'apiAudiences' | 'trustedIssuers' | 'upstreams' | 'issuer'>

export interface TenancyCallerOptions {
  /**
   * Read once, when the resolver is built: by then the bootstrap file's upstreams are merged in
   * (server start), and the trusted issuers' group prefixes are checked against them.
   */
  config: () => CallerConfig
  tenancy: Pick<Tenancy, 'principalFor'>
  signedIn: Pick<SignedInResolver, 'accessToken'>
  trusted: TrustedIssuers
  /** Told of each trusted issuer whose groups cannot count in tenancy (no prefix). */
  onUngrouped?: (issuer: string) => void
}

export type ResolveCaller = TenancyMount['resolveCaller']

/** Upstream groups qualified beyond this length could never be named by a group; sign-in drops them too. */
const MAX_GROUP_LENGTH = 200

const unauthenticated = (message: string) => new AppError(TenancyCallerCodes.unauthenticated, message, { status: 401 })

export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url')
}

/**
 * How each trusted issuer's groups are qualified (`<prefix>:<group>`), by issuer: its configured
 * `id`, else the id of the upstream whose issuer is exactly the same (so a token and a sign-in
 * through it give the same groups). An issuer with neither has no entry: its users count by their
 * subject alone (forward-auth needs no more), never through groups. Throws a ConfigError when a
 * prefix is another trusted issuer's or another upstream's: an organization's upstream group
 * `<prefix>:admins` must be nameable by one IdP only, or that IdP's administrator could mint
 * `admins` and take over every organization that trusts the other one.
 */
export function trustedIssuerGroupPrefixes(trustedIssuers: readonly TrustedIssuerConfig[], upstreamConfigs: CallerConfig['upstreams']): Map<string, string> {
  const upstreams = resolveUpstreams(upstreamConfigs)
  const where = (i: number) => `trustedIssuers[${i}] (${trustedIssuers[i]!.issuer})`
  const problems: string[] = []
  const prefixes = new Map<string, string>()
  const owners = new Map<string, number>()
  trustedIssuers.forEach((t, i) => {
    const prefix = t.id ?? upstreams.find((u) => u.issuer === t.issuer)?.id
    if (prefix === undefined) return
    const owner = owners.get(prefix)
    if (owner !== undefined) {
      problems.push(`${where(owner)} and ${where(i)} both qualify their groups as \`${prefix}:\`: each could name the other's groups; give them different \`id\`s`)
      return
    }
    const upstream = upstreams.find((u) => u.id === prefix && u.issuer !== t.issuer)
    if (upstream !== undefined) {
      problems.push(`${where(i)} qualifies its groups as \`${prefix}:\`, the id of upstream ${upstream.id} whose issuer is ${upstream.issuer}: its tokens could name that upstream's groups; give it another \`id\``)
      return
    }
    owners.set(prefix, i)
    prefixes.set(t.issuer, prefix)
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return prefixes
}

export function createCallerResolver(options: TenancyCallerOptions): ResolveCaller {
  const config = options.config()
  // Keys cannot change without a restart; compared in constant time like the preshared-key hook.
  const isPresharedKey = presharedKeyMatcher(config.presharedKeys)
  const open = config.presharedKeys.length === 0
  const prefixes = trustedIssuerGroupPrefixes(config.trustedIssuers, config.upstreams)
  for (const t of config.trustedIssuers) if (!prefixes.has(t.issuer)) options.onUngrouped?.(t.issuer)
  // The console's audience is always accepted: only the built-in console client gets its tokens.
  const audiences = [...config.apiAudiences, consoleAudience(config.issuer)]
  const forWrites = `an opaque access token may only read here: for changes, request an access token for one of ${envVarFor('apiAudiences')}`
    + (config.apiAudiences.length === 0 ? ' (none is configured)' : ` (${config.apiAudiences.join(', ')})`) + ' with the resource indicator (resource=<audience>)'

  async function fromTrustedIssuer(token: string): Promise<Principal | undefined> {
    const identity = await options.trusted.verify(token)
    if (identity === undefined) return undefined
    const prefix = typeof identity.claims.iss === 'string' ? prefixes.get(identity.claims.iss) : undefined
    const groups = prefix === undefined ? [] : [...new Set(identity.groups.map((g) => `${prefix}:${g}`))].filter((g) => g.length <= MAX_GROUP_LENGTH)
    return { kind: 'user', subject: identity.subject, upstreamGroups: groups }
  }

  return async (authorization, request) => {
    if (authorization === undefined || authorization === '') {
      if (open) return SYSTEM_PRINCIPAL
      throw unauthenticated('missing bearer token (Authorization: Bearer <token>)')
    }
    const token = bearerToken(authorization)
    // Compared even when malformed, so a malformed header costs what a wrong key costs.
    if (isPresharedKey(token ?? '') && token !== undefined) return SYSTEM_PRINCIPAL
    if (token === undefined) throw unauthenticated('the Authorization header must be "Bearer <token>"')

    const holder = await options.signedIn.accessToken(token, audiences)
    if (holder !== undefined) {
      if (holder.otherBinding) throw unauthenticated('sender-constrained (DPoP) tokens are not accepted here')
      const peer = request.peerCertificate
      if (holder.certificateThumbprint !== undefined && (peer === undefined || certificateThumbprint(peer) !== holder.certificateThumbprint)) {
        throw new AppError(TenancyCallerCodes.certificateBound, 'this token is bound to a client certificate, which this request did not present', { status: 401 })
      }
      // An opaque token reaches every relying party the user signs in to (a compute service
      // checking the user's ACL, say): it may read, but changes need a token the client asked
      // for this API by resource indicator, which no other service is handed.
      if (request.write && !holder.forAudience) throw new AppError(TenancyCallerCodes.tokenNotForWrites, forWrites, { status: 403 })
      return options.tenancy.principalFor(holder.subject, holder.kind)
    }
    if (token.split('.').length === 3) {
      const principal = await fromTrustedIssuer(token)
      if (principal !== undefined) return principal
    }
    throw unauthenticated('the bearer token is not valid here (unknown, expired, revoked, or for another audience)')
  }
}

/**
 * The tenancy API mount: the service, and callers resolved against the running identity side.
 * Built once the bootstrap file is applied (the upstream list is final); throws a ConfigError
 * when trusted issuers' group prefixes are ambiguous.
 */
export function tenancyMount(core: { config: GatehouseConfig; tenancy: Tenancy }, identity: { signedIn: SignedInResolver; trusted: TrustedIssuers }, logger: Logger): TenancyMount {
  return {
    service: core.tenancy,
    requireOrganization: () => core.config.requireOrganization,
    resolveCaller: createCallerResolver({
      config: () => core.config, tenancy: core.tenancy, signedIn: identity.signedIn, trusted: identity.trusted,
      onUngrouped: (issuer) => logger.warn({ issuer }, 'trusted issuer has no `id` and no upstream with the same issuer: its users count in organizations by subject only, not through their groups'),
    }),
  }
}

/** The operator, or a subject bound to the built-in platform-administrator role. */
export function isPlatformAdministrator(tenancy: Pick<Tenancy, 'core'>, principal: Principal): boolean {
  if (principal.kind === 'system') return true
  const binding = tenancy.core.state.bindingBySubject.get(principal.subject)
  return binding?.roleIds.includes(builtinRoleId(PLATFORM_ADMINISTRATOR)) === true
}

/**
 * Callers of the admin APIs outside tenancy (clients, forward-auth applications, audit,
 * provisioning): who the tenancy API would take the caller for, if a platform administrator.
 * Organization administrators are refused: these APIs span every organization.
 */
export function adminCaller(resolve: ResolveCaller, tenancy: Pick<Tenancy, 'core'>): AdminCaller {
  return async (authorization, request) => {
    const principal = await resolve(authorization, request)
    if (!isPlatformAdministrator(tenancy, principal)) {
      throw new AppError(TenancyCallerCodes.platformAdministratorRequired, 'this admin API is for platform administrators (or the preshared key)', { status: 403 })
    }
    return principal.kind === 'system' ? 'api' : principal.subject
  }
}
