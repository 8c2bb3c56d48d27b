// Identity claims in JWT access tokens, for resource servers that read the user from the token
// alone and never call userinfo (Incus). Each resource server lists the claims it wants; each
// claim still needs its scope. The username is stable per person and a valid OpenFGA id, so
// an API can use it as `user:<preferred_username>` in its relationship checks.

import { createHash } from 'node:crypto'
import type { FindAccount, KoaContextWithOIDC } from 'oidc-provider'
import { escapeRelationshipId, EXTERNAL_SUBJECT_PREFIX, LOCAL_SUBJECT_PREFIX } from '../lib/index.ts'

export type AccessTokenClaimName = 'preferred_username' | 'email' | 'name' | 'groups'

/** The scope each claim needs. The username identifies the user as `sub` does: openid. */
const SCOPE_OF: Record<AccessTokenClaimName, string> = {
  preferred_username: 'openid',
  email: 'email',
  name: 'profile',
  groups: 'groups',
}

/** OpenFGA object and user ids: no white space, `#` or `:`. */
const RELATIONSHIP_ID = /^[^\s#:]{1,256}$/

const MAX_NAME_LENGTH = 32
const HASH_LENGTH = 10

/**
 * The access-token username of a subject:
 * - a local account: its username as in its subject (NFKC, lower case), `%`, `:`, `#` and white
 *   space percent-encoded (`admin`);
 * - a federated user: the upstream's preferred_username (its local part when it is an email
 *   address), else the email's local part, reduced to `a-z 0-9 . _ -` (at most 32 characters,
 *   `user` when nothing is left), a dot, and the first 10 hex digits of SHA-256 of the subject
 *   (`ann.3f9a0c1b2d`). The suffix keeps two people of the same name at different upstreams
 *   apart; the name changes only when the upstream renames the user.
 */
export function accessTokenUsername(subject: string, claims: Record<string, unknown>): string | undefined {
  if (subject.startsWith(LOCAL_SUBJECT_PREFIX)) return escapeRelationshipId(subject.slice(LOCAL_SUBJECT_PREFIX.length))
  if (!subject.startsWith(EXTERNAL_SUBJECT_PREFIX)) return undefined
  const source = [claims.preferred_username, claims.email].find((v): v is string => typeof v === 'string' && v.trim() !== '') ?? ''
  const at = source.lastIndexOf('@')
  const name = (at > 0 ? source.slice(0, at) : source).normalize('NFKC').toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, MAX_NAME_LENGTH).replace(/[-._]+$/, '')
  const hash = createHash('sha256').update(subject).digest('hex').slice(0, HASH_LENGTH)
  return `${name === '' ? 'user' : name}.${hash}`
}

/** The claims a resource server asked for that the granted scope allows, from the account's claims. */
export function selectAccessTokenClaims(
  subject: string, claims: Record<string, unknown>, wanted: readonly AccessTokenClaimName[], scopes: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of wanted) {
    if (!scopes.has(SCOPE_OF[name])) continue
    switch (name) {
      case 'preferred_username': {
        const username = accessTokenUsername(subject, claims)
        if (username !== undefined) out.preferred_username = username
        break
      }
      case 'email':
        // Left out rather than altered when a consumer could not use it as an id.
        if (typeof claims.email === 'string' && RELATIONSHIP_ID.test(claims.email)) {
          out.email = claims.email
          if (typeof claims.email_verified === 'boolean') out.email_verified = claims.email_verified
        }
        break
      case 'name':
        if (typeof claims.name === 'string' && claims.name !== '') out.name = claims.name
        break
      case 'groups':
        if (Array.isArray(claims.groups)) out.groups = claims.groups.filter((g) => typeof g === 'string')
        break
    }
  }
  return out
}

interface TokenLike {
  accountId?: string
  resourceServer?: { identifier(): string }
}

type ScopedSource = { scopes: Set<string> } | undefined

/**
 * oidc-provider's extraTokenClaims part for user tokens bound to a resource server that lists
 * claims. The OpenID scopes are the grant's, narrowed to what this request asked for (a
 * refresh may ask for less); a token's own `scope` holds only the resource server's scopes.
 */
export function createAccessTokenClaims(options: {
  findAccount: FindAccount
  claimsFor: (indicator: string) => readonly AccessTokenClaimName[] | undefined
}) {
  return async (ctx: KoaContextWithOIDC, token: TokenLike): Promise<Record<string, unknown>> => {
    const indicator = token.resourceServer?.identifier()
    const wanted = indicator === undefined ? undefined : options.claimsFor(indicator)
    if (!wanted?.length || typeof token.accountId !== 'string') return {}
    const entities = ctx.oidc.entities as Record<string, ScopedSource>
    const source = entities.RefreshToken ?? entities.AuthorizationCode ?? entities.DeviceCode
    const requested = ctx.oidc.params?.scope ? ctx.oidc.requestParamScopes : source?.scopes
    const grant = ctx.oidc.entities.Grant
    if (!grant || !requested) return {}
    const scopes = new Set(grant.getOIDCScopeFiltered(requested).split(' ').filter(Boolean))
    const account = await options.findAccount(ctx, token.accountId)
    if (!account) return {}
    const claims = (await account.claims('userinfo', [...scopes].join(' '), {}, [])) as Record<string, unknown>
    return selectAccessTokenClaims(token.accountId, claims, wanted, scopes)
  }
}
