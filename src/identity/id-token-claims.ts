// Which identity claims ID tokens carry. OpenID Connect puts scope claims in userinfo when the
// access token can fetch it (oidc-provider's conformIdTokenClaims), but relying parties such as
// kube-apiserver and Argo CD read `email` and `groups` from the ID token alone. So ID tokens carry
// the claims each client is registered for (`idTokenClaims`), each still only with its scope, and
// whatever a `claims` request parameter asks for; `sub`, the claim object, `sid`, `amr` and `acr`
// always. Userinfo is unchanged.

import type { FindAccount } from 'oidc-provider'

/** Claims a client may have in its ID tokens, each with the scope that grants it. */
export const ID_TOKEN_OPTIONAL_CLAIMS = ['email', 'email_verified', 'name', 'preferred_username', 'groups'] as const
export type IdTokenClaimName = (typeof ID_TOKEN_OPTIONAL_CLAIMS)[number]

const OPTIONAL: ReadonlySet<string> = new Set(ID_TOKEN_OPTIONAL_CLAIMS)

type ClientLike = { [key: string]: unknown } | undefined

/** The claims a client's ID tokens may carry beyond the fixed ones; `email` brings `email_verified`. */
export function idTokenClaimsOf(client: ClientLike, property: string): Set<string> {
  const listed = client?.[property]
  const names = new Set(Array.isArray(listed) ? listed.filter((c): c is string => typeof c === 'string') : [])
  if (names.has('email')) names.add('email_verified')
  return names
}

/** Wraps findAccount so an ID token's claims are filtered per client; `property` names the client metadata. */
export function withIdTokenClaims(findAccount: FindAccount, property: string): FindAccount {
  return async (ctx, sub, token) => {
    const account = await findAccount(ctx, sub, token)
    if (!account) return account
    return {
      ...account,
      async claims(use, scope, claims, rejected) {
        const all = await account.claims(use, scope, claims, rejected)
        if (use !== 'id_token') return all
        const allowed = idTokenClaimsOf(ctx.oidc?.client as ClientLike, property)
        const requested = claims ?? {}
        const kept: Record<string, unknown> = { ...all }
        for (const name of Object.keys(kept)) if (OPTIONAL.has(name) && !allowed.has(name) && !(name in requested)) delete kept[name]
        return kept as typeof all
      },
    }
  }
}
