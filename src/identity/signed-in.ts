// Gatehouse as a relying party of its own provider, in-process: the forward-auth portal redeems
// the authorization codes issued to its built-in client without an HTTP round trip to itself,
// and API clients' bearer access tokens are resolved to the same identity shape.

import { createHash } from 'node:crypto'
import type { FindAccount, Provider } from 'oidc-provider'
import type { OidcArtifactsRepo } from '../store/index.ts'
import { SERVICE_SUBJECT_PREFIX } from './accounts.ts'
import { CLIENT_EXTRA_METADATA } from './provider.ts'
import { createBearerCache, type Resolved } from './bearer-cache.ts'
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
  redeemPortalCode(code: string, redirectUri: string, codeVerifier: string): Promise<(SignedInIdentity & { idToken?: string }) | undefined>
  /**
   * Resolves a JWT access token Gatehouse issued for one of `audiences` (resource servers set up
   * for forward-auth); undefined for anything else. Tokens for other audiences would let any
   * API that receives a user's token replay it against every protected application, and a
   * certificate-bound token cannot be checked against a certificate here.
   */
  bearer(token: string, audiences: readonly string[]): Promise<SignedInIdentity | undefined>
  /**
   * Who holds an access token Gatehouse issued: an opaque token (a user's, or a client's from
   * client_credentials), or a JWT for one of `audiences`; undefined when it is not valid (expired,
   * revoked, unknown, for another audience, or its account or client is gone). Binding is
   * reported, not judged: only the caller knows which certificate the request came with.
   */
  accessToken(token: string, audiences: readonly string[]): Promise<AccessTokenHolder | undefined>
}

/** The holder of a valid access token, and what the token is bound to. */
export interface AccessTokenHolder {
  kind: 'user' | 'service'
  /** The account's subject, or `service:<client id>`. */
  subject: string
  clientId: string
  /**
   * A JWT issued for one of the asked `audiences`: the client requested it for that API by
   * resource indicator. False for an opaque token, which any client gets (for userinfo, or from
   * client_credentials) and hands to whichever service it calls.
   */
  forAudience: boolean
  /** RFC 8705: the SHA-256 thumbprint (`x5t#S256`) of the certificate the token is bound to. */
  certificateThumbprint?: string
  /** Bound to a key other than a certificate (DPoP): a bare bearer presentation proves nothing. */
  otherBinding: boolean
}

export interface SignedInOptions {
  issuer: string
  provider: () => Provider
  publicJwks: () => Promise<{ keys: import('jose').JWK[] }>
  findAccount: FindAccount
  repo: OidcArtifactsRepo
  /**
   * How long a resolved bearer token is answered from memory before its revocation and account
   * are checked again (see bearer-cache.ts). The app passes forward-auth's session bound.
   */
  bearerRecheckMs?: number
  /** Bearer tokens remembered (answers and misses each). */
  bearerCacheLimit?: number
  /** Epoch milliseconds; defaults to the system clock. */
  now?: () => number
}

const KEY_SET_CACHE_MS = 5_000
const BEARER_RECHECK_MS = 2_000
const BEARER_CACHE_LIMIT = 10_000

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function identityFromClaims(subject: string, claims: Record<string, unknown>): SignedInIdentity {
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : []
  return {
    subject, accountType: 'user', groups, claims,
    username: text(claims.preferred_username), name: text(claims.name), email: text(claims.email),
  }
}

function audienceIn(aud: unknown, audiences: readonly string[]): boolean {
  const list = Array.isArray(aud) ? aud : [aud]
  return list.some((a) => typeof a === 'string' && audiences.includes(a))
}

/** A compact JWS has exactly two dots (counted, not split: bearer tokens run to kilobytes). */
function threeParts(token: string): boolean {
  const first = token.indexOf('.')
  const second = first < 0 ? -1 : token.indexOf('.', first + 1)
  return second > 0 && token.indexOf('.', second + 1) < 0
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/**
 * An ID token of the portal client for `sub`, kept with the portal session as the id_token_hint
 * of its sign-out: it names the session's own client, so the sign-out needs no second
 * confirmation. Undefined when it cannot be made (the session still works; sign-out then asks once).
 */
async function portalIdToken(provider: Provider, sub: string): Promise<string | undefined> {
  try {
    const client = await provider.Client.find(PORTAL_CLIENT_ID)
    if (!client) return undefined
    const token = new provider.IdToken({ sub }, { client })
    ;(token as unknown as { scope: string }).scope = 'openid'
    return await token.issue({ use: 'idtoken' })
  } catch {
    return undefined
  }
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

  const now = options.now ?? Date.now
  // The key set is re-read at most every few seconds: bearer requests must not each cost a query.
  let verifier: { kids: string; at: number; verify: ReturnType<typeof createJwtAccessTokenVerifier> } | undefined
  const verifyJwt = async (token: string) => {
    if (verifier === undefined || now() - verifier.at > KEY_SET_CACHE_MS) {
      const jwks = await options.publicJwks()
      const kids = jwks.keys.map((k) => k.kid).join(',')
      verifier = verifier?.kids === kids
        ? { ...verifier, at: now() }
        : { kids, at: now(), verify: createJwtAccessTokenVerifier({ issuer: options.issuer, jwks, now: () => Math.floor(now() / 1000) }) }
    }
    return verifier.verify(token)
  }

  const NOT_OURS: Resolved<SignedInIdentity> = { value: undefined, expiresAt: Infinity }
  const resolveBearer = async (token: string, scope: string): Promise<Resolved<SignedInIdentity>> => {
    const audiences = scope.split(' ')
    const claims = await verifyJwt(token)
    if (!claims || claims.cnf !== undefined) return NOT_OURS
    if (!audienceIn(claims.aud, audiences)) return NOT_OURS
    if (await options.repo.find(REVOKED_JWT_MODEL, claims.jti)) return NOT_OURS
    const value = typeof claims.sub === 'string' && claims.sub !== claims.client_id ? await account(claims.sub) : service(claims.client_id)
    return { value, expiresAt: claims.exp * 1000 }
  }
  const bearers = createBearerCache({ limit: options.bearerCacheLimit ?? BEARER_CACHE_LIMIT, recheckMs: options.bearerRecheckMs ?? BEARER_RECHECK_MS, now }, resolveBearer)

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
      const identity = await account(found.accountId)
      return identity === undefined ? undefined : { ...identity, idToken: await portalIdToken(provider, found.accountId) }
    },
    async accessToken(token, audiences) {
      let clientId: string
      let accountId: string | undefined
      let cnf: Record<string, unknown> | undefined
      const jwt = token.split('.').length === 3
      if (jwt) {
        if (audiences.length === 0) return undefined
        const claims = await verifyJwt(token)
        if (!claims || !audienceIn(claims.aud, audiences)) return undefined
        if (await options.repo.find(REVOKED_JWT_MODEL, claims.jti)) return undefined
        clientId = claims.client_id
        accountId = typeof claims.sub === 'string' && claims.sub !== claims.client_id ? claims.sub : undefined
        cnf = typeof claims.cnf === 'object' && claims.cnf !== null ? claims.cnf as Record<string, unknown> : undefined
      } else {
        const provider = options.provider()
        // Client-credentials tokens are a model of their own in oidc-provider.
        const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token))
        if (!found || found.isExpired || typeof found.clientId !== 'string') return undefined
        // Opaque tokens carry an audience only when issued for a resource server.
        if (found.aud !== undefined && !audienceIn(found.aud, audiences)) return undefined
        clientId = found.clientId
        accountId = 'accountId' in found && typeof found.accountId === 'string' ? found.accountId : undefined
        cnf = { 'x5t#S256': found['x5t#S256'], jkt: found.jkt }
      }
      // Tokens outlive deleted clients and disabled accounts; the admin API must not.
      if (!(await options.provider().Client.find(clientId))) return undefined
      if (accountId !== undefined && !(await options.findAccount(undefined as never, accountId))) return undefined
      const thumbprint = cnf?.['x5t#S256']
      return {
        kind: accountId === undefined ? 'service' : 'user',
        subject: accountId ?? SERVICE_SUBJECT_PREFIX + clientId,
        clientId,
        forAudience: jwt,
        ...(typeof thumbprint === 'string' ? { certificateThumbprint: thumbprint } : {}),
        otherBinding: cnf !== undefined && Object.entries(cnf).some(([k, v]) => k !== 'x5t#S256' && v !== undefined),
      }
    },
    async bearer(token, audiences) {
      if (audiences.length === 0 || !threeParts(token)) return undefined
      // Audience URLs hold no spaces: the scope string splits back into the list.
      return bearers.get(token, audiences.join(' '))
    },
  }
}
