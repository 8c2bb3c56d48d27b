// Access tokens from trusted external issuers: an organization that keeps its own IdP still gets
// forward-auth (and, with tenancy, ACLs) without a sign-in through Gatehouse. The user is the
// subject a sign-in through the same issuer as an upstream would give, so both paths agree.

import { createRemoteJWKSet, customFetch, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import type { TrustedIssuerConfig } from '../config/index.ts'
import type { SignedInIdentity } from './signed-in.ts'
import { externalSubject } from './upstream/federation.ts'

export interface TrustedIssuers {
  /** The identity of a valid token from a trusted issuer; undefined for anything else. */
  verify(token: string): Promise<SignedInIdentity | undefined>
}

export interface TrustedIssuerOptions {
  issuers: readonly TrustedIssuerConfig[]
  /** For discovery and JWKS (tests route it; production uses the global fetch). */
  fetch?: typeof fetch
  onError?: (err: unknown, issuer: string) => void
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function groupsOf(claims: JWTPayload, claim: string): string[] {
  const value = claims[claim]
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '')
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '')
  return []
}

export function createTrustedIssuers(options: TrustedIssuerOptions): TrustedIssuers {
  const byIssuer = new Map(options.issuers.map((t) => [t.issuer, t]))
  const keySets = new Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>()
  const doFetch = options.fetch ?? fetch

  const keySet = (t: TrustedIssuerConfig) => {
    let set = keySets.get(t.issuer)
    if (set === undefined) {
      set = (async () => {
        let uri = t.jwksUri
        if (uri === undefined) {
          const res = await doFetch(`${t.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)
          if (!res.ok) throw new Error(`discovery answered ${res.status}`)
          uri = text(((await res.json()) as { jwks_uri?: unknown }).jwks_uri)
          if (uri === undefined) throw new Error('discovery has no jwks_uri')
        }
        return createRemoteJWKSet(new URL(uri), options.fetch ? { [customFetch]: options.fetch } : {})
      })()
      // A failed discovery is retried on the next token, not remembered.
      set.catch(() => keySets.delete(t.issuer))
      keySets.set(t.issuer, set)
    }
    return set
  }

  return {
    async verify(token) {
      let unverified: JWTPayload
      try {
        unverified = decodeJwt(token)
      } catch {
        return undefined
      }
      const trusted = typeof unverified.iss === 'string' ? byIssuer.get(unverified.iss) : undefined
      if (!trusted) return undefined
      try {
        const { payload } = await jwtVerify(token, await keySet(trusted), { issuer: trusted.issuer, audience: trusted.audiences, requiredClaims: ['sub', 'exp'] })
        // Certificate-bound tokens need the certificate, which forward-auth never sees.
        if (payload.cnf !== undefined || typeof payload.sub !== 'string') return undefined
        return {
          subject: externalSubject(trusted.issuer, payload.sub), accountType: 'user', groups: groupsOf(payload, trusted.groupsClaim),
          claims: payload as Record<string, unknown>,
          username: text(payload.preferred_username), name: text(payload.name), email: text(payload.email),
        }
      } catch (err) {
        if (!(err instanceof joseErrors.JOSEError)) options.onError?.(err, trusted.issuer)
        return undefined
      }
    },
  }
}
