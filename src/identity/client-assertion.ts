// Bounds the lifetime of `private_key_jwt` client assertions. oidc-provider checks `exp` and
// replays (by jti, until exp) but accepts any lifetime, so a stolen assertion valid for a year
// would authenticate its client for a year. RFC 7523 §3 leaves the bound to the server.

import { errors } from 'oidc-provider'

/** The longest an assertion may live, in seconds: clients make a fresh one per request. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300

/** `assertJwtClientAuthClaimsAndHeader` for oidc-provider; `now` in seconds since the epoch. */
export function assertAssertionLifetime(claims: { exp?: unknown; iat?: unknown }, now: number, toleranceSeconds: number): void {
  const exp = claims.exp
  if (typeof exp !== 'number') return // oidc-provider refuses it already
  const from = typeof claims.iat === 'number' ? claims.iat : now
  if (exp - from > MAX_ASSERTION_LIFETIME_SECONDS + (typeof claims.iat === 'number' ? 0 : toleranceSeconds)) {
    throw new errors.InvalidClientAuth(`client_assertion must expire within ${MAX_ASSERTION_LIFETIME_SECONDS} seconds of its iat`)
  }
  if (typeof claims.iat === 'number' && claims.iat > now + toleranceSeconds) {
    throw new errors.InvalidClientAuth('client_assertion iat is in the future')
  }
}
