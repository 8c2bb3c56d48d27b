// Who is calling the tenancy API, from its Authorization header: the operator (a preshared key,
// or anyone while no key is configured, as the rest of the API), the holder of a Gatehouse
// access token, or a user of a trusted external issuer known from the token's claims alone.

import { createHash, type X509Certificate } from 'node:crypto'
import type { GatehouseConfig, TrustedIssuerConfig } from '../config/index.ts'
import { bearerToken, presharedKeyMatcher, type TenancyMount } from '../http/index.ts'
import { createTrustedIssuers, resolveUpstreams, type SignedInResolver, type TrustedIssuers } from '../identity/index.ts'
import { AppError, CommonCodes } from '../lib/index.ts'
import { SYSTEM_PRINCIPAL, type Principal, type Tenancy } from '../tenancy/index.ts'
import type { Logger } from './logger.ts'

export const TenancyCallerCodes = {
  unauthenticated: CommonCodes.unauthenticated,
  /** An RFC 8705 token presented without the certificate it is bound to. */
  certificateBound: 'certificate_bound_token',
} as const

type CallerConfig = Pick<GatehouseConfig, 'presharedKeys' | 'apiAudiences' | 'trustedIssuers' | 'upstreams'>

export interface TenancyCallerOptions {
  /** Read on every call: the bootstrap file may add upstreams after start. */
  config: () => CallerConfig
  tenancy: Pick<Tenancy, 'principalFor'>
  signedIn: Pick<SignedInResolver, 'accessToken'>
  trusted: TrustedIssuers
}

export type ResolveCaller = TenancyMount['resolveCaller']

/** Upstream groups qualified beyond this length could never be named by a group; sign-in drops them too. */
const MAX_GROUP_LENGTH = 200

const unauthenticated = (message: string) => new AppError(TenancyCallerCodes.unauthenticated, message, { status: 401 })

export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url')
}

const trimSlash = (url: string) => url.replace(/\/+$/, '')

/**
 * How a trusted issuer's groups are qualified (`<id>:<group>`): its configured id, else the id of
 * the upstream with the same issuer (so a token and a sign-in through it give the same groups),
 * else the issuer's host name.
 */
export function trustedIssuerGroupPrefix(trusted: TrustedIssuerConfig, upstreams: CallerConfig['upstreams']): string {
  if (trusted.id !== undefined) return trusted.id
  const same = resolveUpstreams(upstreams).find((u) => trimSlash(u.issuer) === trimSlash(trusted.issuer))
  return same?.id ?? new URL(trusted.issuer).hostname
}

export function createCallerResolver(options: TenancyCallerOptions): ResolveCaller {
  const initial = options.config()
  // Keys cannot change without a restart; compared in constant time like the preshared-key hook.
  const isPresharedKey = presharedKeyMatcher(initial.presharedKeys)
  const open = initial.presharedKeys.length === 0

  async function fromTrustedIssuer(token: string): Promise<Principal | undefined> {
    const identity = await options.trusted.verify(token)
    if (identity === undefined) return undefined
    const config = options.config()
    const trusted = config.trustedIssuers.find((t) => t.issuer === identity.claims.iss)
    if (trusted === undefined) return undefined
    const prefix = trustedIssuerGroupPrefix(trusted, config.upstreams)
    const groups = [...new Set(identity.groups.map((g) => `${prefix}:${g}`))].filter((g) => g.length <= MAX_GROUP_LENGTH)
    return { kind: 'user', subject: identity.subject, upstreamGroups: groups }
  }

  return async (authorization, peerCertificate) => {
    if (authorization === undefined || authorization === '') {
      if (open) return SYSTEM_PRINCIPAL
      throw unauthenticated('missing bearer token (Authorization: Bearer <token>)')
    }
    const token = bearerToken(authorization)
    // Compared even when malformed, so a malformed header costs what a wrong key costs.
    if (isPresharedKey(token ?? '') && token !== undefined) return SYSTEM_PRINCIPAL
    if (token === undefined) throw unauthenticated('the Authorization header must be "Bearer <token>"')

    const holder = await options.signedIn.accessToken(token, options.config().apiAudiences)
    if (holder !== undefined) {
      if (holder.otherBinding) throw unauthenticated('sender-constrained (DPoP) tokens are not accepted here')
      if (holder.certificateThumbprint !== undefined
        && (peerCertificate === undefined || certificateThumbprint(peerCertificate) !== holder.certificateThumbprint)) {
        throw new AppError(TenancyCallerCodes.certificateBound, 'this token is bound to a client certificate, which this request did not present', { status: 401 })
      }
      return options.tenancy.principalFor(holder.subject, holder.kind)
    }
    if (token.split('.').length === 3) {
      const principal = await fromTrustedIssuer(token)
      if (principal !== undefined) return principal
    }
    throw unauthenticated('the bearer token is not valid here (unknown, expired, revoked, or for another audience)')
  }
}

/** The tenancy API mount: the service, and callers resolved against the running identity side. */
export function tenancyMount(core: { config: GatehouseConfig; tenancy: Tenancy }, signedIn: SignedInResolver, logger: Logger): TenancyMount {
  const trusted = createTrustedIssuers({
    issuers: core.config.trustedIssuers,
    onError: (err, issuer) => logger.warn({ err, issuer }, 'could not check a token from a trusted issuer'),
  })
  return {
    service: core.tenancy,
    resolveCaller: createCallerResolver({ config: () => core.config, tenancy: core.tenancy, signedIn, trusted }),
  }
}
