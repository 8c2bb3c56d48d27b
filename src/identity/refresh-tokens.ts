// Who gets refresh tokens, and with which scope: first-party clients with the refresh_token grant
// always, others with offline_access (asked for, or once consented to); every refresh token holds
// offline_access, so refreshes that re-send the original scope pass.

import type { Adapter, Client, KoaContextWithOIDC } from 'oidc-provider'
import { CLIENT_EXTRA_METADATA } from './provider.ts'

/**
 * A refresh token is offline access, whatever the authorization request's scope kept: OpenID
 * Connect drops `offline_access` without prompt=consent, yet clients (Authlib, Incus) re-send
 * their original scope, `offline_access` included, on every refresh, which must not fail with
 * "refresh token missing requested scope".
 */
export function offlineRefreshTokens(adapter: Adapter): Adapter {
  return {
    ...adapter,
    upsert(id, payload, expiresIn) {
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []
      if (!scopes.includes('offline_access')) payload = { ...payload, scope: [...scopes, 'offline_access'].join(' ') }
      return adapter.upsert(id, payload, expiresIn)
    },
  }
}

/** The grant of the request already holds offline_access (consented to once, e.g. with prompt=consent). */
function grantHasOfflineAccess(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.entities.Grant?.getOIDCScope().split(' ').includes('offline_access') === true
}

/**
 * Whether a token request gets a refresh token: with the refresh_token grant, a first-party
 * client always (consent is implied), any other when the request or its grant has offline_access.
 */
export function getsRefreshToken(ctx: KoaContextWithOIDC, client: Client, scopes: Set<string>): boolean {
  return client.grantTypeAllowed('refresh_token') &&
    (client[CLIENT_EXTRA_METADATA.firstParty] === true || scopes.has('offline_access') || grantHasOfflineAccess(ctx))
}
