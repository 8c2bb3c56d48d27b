// Introspection and revocation of the JWT access tokens issued for resource servers.
// oidc-provider never stores JWT access tokens, so its endpoints refuse them
// (unsupported_token_type). This middleware runs around the provider's router: once the caller
// has been authenticated by the provider, it answers for JWTs that Gatehouse itself signed, and
// keeps revoked ones (by jti, until they expire) in the artefact store.

import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { OidcArtifactsRepo } from '../store/index.ts'

/** Artefact model under which revoked JWT access tokens are kept (id = jti). */
export const REVOKED_JWT_MODEL = 'RevokedJwt'

/** Private JWK members; never part of a verification key. */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])

export interface JwtAccessTokenOptions {
  issuer: string
  /** The provider's signing keys (private JWKs; only their public parts are used). */
  jwks: { keys: JWK[] }
  repo: OidcArtifactsRepo
  /** Claim name of the Gatehouse claim object, echoed by introspection. */
  claimNamespace: string
  /** Client metadata that lets a client introspect tokens of other clients. */
  mayIntrospectProperty: string
  /** Seconds since the epoch; defaults to the system clock. */
  now?: () => number
}

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => Promise<void>

interface AccessTokenClaims extends JWTPayload {
  jti: string
  exp: number
  iat: number
  client_id: string
}

/** The public halves of asymmetric signing keys. */
export function publicJwks(jwks: { keys: JWK[] }): { keys: JWK[] } {
  return {
    keys: jwks.keys
      .filter((k) => k.kty !== 'oct')
      .map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK),
  }
}

export function looksLikeJwt(token: unknown): token is string {
  if (typeof token !== 'string' || token.split('.').length !== 3) return false
  try {
    decodeProtectedHeader(token)
    return true
  } catch {
    return false
  }
}

/** Verified tokens remembered per verifier: resource servers introspect the same token repeatedly. */
const VERIFIED_CACHE_SIZE = 1000

/**
 * Verifies `token` as an access token Gatehouse signed: one of the provider's keys, `typ`
 * at+jwt (so ID tokens signed with the same keys do not pass), this issuer, not expired.
 * Undefined for anything else. Revocation is not checked here.
 */
export function createJwtAccessTokenVerifier(options: Pick<JwtAccessTokenOptions, 'issuer' | 'jwks' | 'now'>) {
  const keys = publicJwks(options.jwks)
  const keySet = createLocalJWKSet(keys)
  const algorithms = [...new Set(keys.keys.map((k) => k.alg).filter((alg): alg is string => typeof alg === 'string'))]
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  // The exact token string, once its signature checked out against this (fixed) key set, needs
  // no second ECDSA verification; only expiry can change, and it is checked on every hit.
  const verified = new Map<string, AccessTokenClaims>()
  return Object.assign(verify, {
    /** Whether this exact string verified before: a JWT Gatehouse signed (expired or not). */
    seen: (token: string) => verified.has(token),
  })

  async function verify(token: string): Promise<AccessTokenClaims | undefined> {
    const known = verified.get(token)
    if (known !== undefined) {
      verified.delete(token)
      if (known.exp <= now()) return undefined
      verified.set(token, known)
      return known
    }
    const claims = await verifySignedToken(token)
    if (claims !== undefined) {
      verified.set(token, claims)
      if (verified.size > VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string)
    }
    return claims
  }

  async function verifySignedToken(token: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        typ: 'at+jwt',
        algorithms,
        requiredClaims: ['jti', 'exp', 'iat', 'client_id'],
        currentDate: new Date(now() * 1000),
      })
      if (typeof payload.jti !== 'string' || typeof payload.client_id !== 'string') return undefined
      return payload as AccessTokenClaims
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return undefined
      throw err
    }
  }
}

/** The RFC 7662 answer for an active token. */
function introspectionBody(claims: AccessTokenClaims, claimNamespace: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    active: true,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    scope: typeof claims.scope === 'string' && claims.scope !== '' ? claims.scope : undefined,
    // RFC 9449 §6.2: a token bound to a DPoP key is of type DPoP.
    token_type: typeof (claims.cnf as { jkt?: unknown } | undefined)?.jkt === 'string' ? 'DPoP' : 'Bearer',
    cnf: claims.cnf,
    [claimNamespace]: claims[claimNamespace],
  }
  for (const [key, value] of Object.entries(body)) if (value === undefined) delete body[key]
  return body
}

/** A client as the introspection rule sees it (oidc-provider's Client). */
export interface IntrospectingClient {
  clientId: string
  [metadata: string]: unknown
}

/**
 * The introspection answer for a JWT Gatehouse signed: active with its claims when it verifies,
 * the caller may see it (its own token, or a client allowed to introspect others') and it is not
 * revoked; `{ active: false }` otherwise. Shared by the middleware and the node:http fast path.
 */
export function createJwtIntrospection(options: JwtAccessTokenOptions) {
  const verify = createJwtAccessTokenVerifier(options)
  const isRevoked = async (jti: string) => (await options.repo.find(REVOKED_JWT_MODEL, jti)) !== undefined
  // The active answer depends on the claims alone: serialized once per verified token (the
  // verifier hands out the same claims object for the same token while it remembers it).
  const answers = new WeakMap<AccessTokenClaims, string>()
  /** The claims when the token is active for this client, else undefined. Revocation is read on every call. */
  async function activeClaims(client: IntrospectingClient, token: string): Promise<AccessTokenClaims | undefined> {
    const claims = await verify(token)
    // The same rule as for opaque tokens (provider.ts, allowedPolicy).
    const allowed = claims !== undefined &&
      (claims.client_id === client.clientId || client[options.mayIntrospectProperty] === true) &&
      !(await isRevoked(claims.jti))
    return allowed ? claims : undefined
  }
  return {
    verify,
    seen: verify.seen,
    async introspect(client: IntrospectingClient, token: string): Promise<Record<string, unknown>> {
      const claims = await activeClaims(client, token)
      return claims !== undefined ? introspectionBody(claims, options.claimNamespace) : { active: false }
    },
    /** introspect's answer as JSON text. */
    async introspectJson(client: IntrospectingClient, token: string): Promise<string> {
      const claims = await activeClaims(client, token)
      if (claims === undefined) return INACTIVE_JSON
      let json = answers.get(claims)
      if (json === undefined) answers.set(claims, json = JSON.stringify(introspectionBody(claims, options.claimNamespace)))
      return json
    },
  }
}

const INACTIVE_JSON = JSON.stringify({ active: false })

/** Koa middleware for `provider.use`: introspection and revocation of Gatehouse's JWT access tokens. */
export function jwtAccessTokenMiddleware(options: JwtAccessTokenOptions, jwt = createJwtIntrospection(options)): Middleware {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))

  return async function jwtAccessTokens(ctx, next) {
    await next()
    // ctx.oidc only exists once the provider's router ran; the endpoints below throw
    // unsupported_token_type for a JWT only after client authentication succeeded.
    const oidc = (ctx as { oidc?: KoaContextWithOIDC['oidc'] }).oidc
    if (oidc === undefined || (oidc.route !== 'introspection' && oidc.route !== 'revocation')) return
    const body = ctx.body as { error?: unknown } | undefined
    if (ctx.status !== 400 || body?.error !== 'unsupported_token_type') return
    const client = oidc.client
    const token = oidc.params?.token
    if (client === undefined || !looksLikeJwt(token)) return

    ctx.status = 200
    if (oidc.route === 'introspection') {
      ctx.body = await jwt.introspect(client as unknown as IntrospectingClient, token)
      ctx.type = 'application/json; charset=utf-8'
      return
    }
    const claims = await jwt.verify(token)
    // RFC 7009: the answer is 200 whether or not anything was revoked; only the token's own
    // client may revoke it.
    if (claims !== undefined && claims.client_id === client.clientId) {
      const remaining = Math.max(1, claims.exp - now())
      await options.repo.upsert(REVOKED_JWT_MODEL, claims.jti, { clientId: claims.client_id, exp: claims.exp }, remaining)
    }
    ctx.body = ''
  }
}
