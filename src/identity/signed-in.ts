// Gatehouse as a relying party of its own provider, in-process: the forward-auth portal redeems
// the authorization codes issued to its built-in client without an HTTP round trip to itself,
// and API clients' bearer access tokens are resolved to the same identity shape.

import { createHash } from 'node:crypto'
import type { FindAccount, Provider } from 'oidc-provider'
import type { OidcArtifactsRepo } from '../store/index.ts'
import { SERVICE_SUBJECT_PREFIX } from './accounts.ts'
import { CLIENT_EXTRA_METADATA } from './provider.ts'
import { createJwtAccessTokenVerifier, REVOKED_JWT_MODEL } from './jwt-access-tokens.ts'

/** The built-in public client the forward-auth portal signs visitors in with. */
export const PORTAL_CLIENT_ID = 'gatehouse-forward-auth'
export const PORTAL_CALLBACK_PATH = '/api/forward-auth/callback'
export const PORTAL_LOGGED_OUT_PATH = '/api/forward-auth/logged-out'

export function portalClientMetadata(issuer: string): Record<string, unknown> {
  return {
    client_id: PORTAL_CLIENT_ID,
    client_name: 'Gatehouse',
    token_endpoint_auth_method: 'none',
    redirect_uris: [issuer + PORTAL_CALLBACK_PATH],
    post_logout_redirect_uris: [issuer + PORTAL_LOGGED_OUT_PATH],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    [CLIENT_EXTRA_METADATA.firstParty]: true,
  }
}

/** Who a session or token belongs to, as forward-auth and the tenancy layer read it. */
export interface SignedInIdentity {
  subject: string
  accountType: 'user' | 'service'
  username?: string
  name?: string
  email?: string
  groups: string[]
  /** Every claim of the account, for a configured user claim. */
  claims: Record<string, unknown>
}

export interface SignedInResolver {
  /** Redeems a code issued to the portal client (exactly once); undefined when it is not valid. */
  redeemPortalCode(code: string, redirectUri: string, codeVerifier: string): Promise<SignedInIdentity | undefined>
  /**
   * Resolves a JWT access token Gatehouse issued for one of `audiences` (resource servers set up
   * for forward-auth); undefined for anything else. Tokens for other audiences would let any
   * API that receives a user's token replay it against every protected application, and a
   * certificate-bound token cannot be checked against a certificate here.
   */
  bearer(token: string, audiences: readonly string[]): Promise<SignedInIdentity | undefined>
}

export interface SignedInOptions {
  issuer: string
  provider: () => Provider
  publicJwks: () => Promise<{ keys: import('jose').JWK[] }>
  findAccount: FindAccount
  repo: OidcArtifactsRepo
}

const KEY_SET_CACHE_MS = 5_000

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function identityFromClaims(subject: string, claims: Record<string, unknown>): SignedInIdentity {
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : []
  return {
    subject, accountType: 'user', groups, claims,
    username: text(claims.preferred_username), name: text(claims.name), email: text(claims.email),
  }
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

export function createSignedInResolver(options: SignedInOptions): SignedInResolver {
  const account = async (subject: string): Promise<SignedInIdentity | undefined> => {
    // oidc-provider's own finder takes a context it does not need here.
    const found = await options.findAccount(undefined as never, subject)
    if (!found) return undefined
    return identityFromClaims(subject, (await found.claims('userinfo', 'openid email profile groups', {}, [])) as Record<string, unknown>)
  }
  // Namespaced, so a client called `admin` can never pass for the account `admin`.
  const service = (clientId: string): SignedInIdentity => ({ subject: SERVICE_SUBJECT_PREFIX + clientId, accountType: 'service', groups: [], claims: { client_id: clientId } })

  // The key set is re-read at most every few seconds: bearer requests must not each cost a query.
  let verifier: { kids: string; at: number; verify: ReturnType<typeof createJwtAccessTokenVerifier> } | undefined
  const verifyJwt = async (token: string) => {
    if (verifier === undefined || Date.now() - verifier.at > KEY_SET_CACHE_MS) {
      const jwks = await options.publicJwks()
      const kids = jwks.keys.map((k) => k.kid).join(',')
      verifier = verifier?.kids === kids ? { ...verifier, at: Date.now() } : { kids, at: Date.now(), verify: createJwtAccessTokenVerifier({ issuer: options.issuer, jwks }) }
    }
    return verifier.verify(token)
  }

  return {
    async redeemPortalCode(code, redirectUri, codeVerifier) {
      const provider = options.provider()
      const found = await provider.AuthorizationCode.find(code)
      if (!found || found.isExpired || (found as unknown as { consumed?: number }).consumed) return undefined
      if (found.clientId !== PORTAL_CLIENT_ID || found.redirectUri !== redirectUri || !found.accountId) return undefined
      if (found.codeChallengeMethod !== 'S256' || found.codeChallenge !== s256(codeVerifier)) return undefined
      try {
        // One conditional update in the store: a second redemption fails here.
        await found.consume()
      } catch {
        return undefined
      }
      return account(found.accountId)
    },
    async bearer(token, audiences) {
      if (audiences.length === 0 || token.split('.').length !== 3) return undefined
      const claims = await verifyJwt(token)
      if (!claims || claims.cnf !== undefined) return undefined
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (!aud.some((a) => typeof a === 'string' && audiences.includes(a))) return undefined
      if (await options.repo.find(REVOKED_JWT_MODEL, claims.jti)) return undefined
      return typeof claims.sub === 'string' && claims.sub !== claims.client_id ? account(claims.sub) : service(claims.client_id)
    },
  }
}
