// Where oidc-provider's answers differ from the letter of the RFCs that foreign clients (Authlib,
// PyJWT-based RPs, oidc-client-ts) check, this middleware around the provider rewrites them:
// cache headers of token responses, 401 invalid_client for requests without client
// authentication, unauthorized_client for unregistered grant types, the granted scope whenever it
// differs from the request, and a JSON body for revocation.

import type { KoaContextWithOIDC } from 'oidc-provider'

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => Promise<void>

/** Endpoints that authenticate the client (RFC 6749 §2.3, RFC 7662 §2.1, RFC 7009 §2.1). */
const CLIENT_AUTH_ROUTES: ReadonlySet<string> = new Set(['token', 'introspection', 'revocation', 'device_authorization', 'pushed_authorization_request'])

/** Answers carrying tokens or token state; RFC 6749 §5.1 asks for Pragma next to Cache-Control. */
const NO_CACHE_ROUTES: ReadonlySet<string> = new Set(['token', 'introspection', 'device_authorization'])

/** oidc-provider's wording for the refusals re-coded here (lib/shared/client_auth.js, lib/actions/token.js, authorization/client.js). */
const NO_CLIENT_AUTH = 'no client authentication mechanism provided'
const GRANT_NOT_ALLOWED: Record<string, RegExp> = {
  token: /^requested grant type is not allowed for this client$/,
  device_authorization: /^\S+ is not allowed for this client$/,
}

type ErrorBody = { error?: unknown; error_description?: unknown }
type TokenBody = { access_token?: unknown; scope?: unknown }

const words = (scope: unknown): string[] => (typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [])
const sameScope = (a: string[], b: string[]) => a.length === b.length && a.every((s) => b.includes(s))

/**
 * The `scope` a token answer must report when the provider left it out (RFC 6749 §5.1): the
 * granted scope whenever it differs from the requested one, also when nothing of it was granted
 * (oidc-provider leaves an empty scope out, which reads as "all of it"). Undefined: none to add.
 */
export function unreportedScope(granted: string, requested: readonly string[]): string | undefined {
  return sameScope(words(granted), [...requested]) ? undefined : granted
}

/**
 * The scope the request asked for: the `scope` parameter where the grant takes one, else what the
 * code, device code or refresh token carries (RFC 6749 §5.1 compares with the request). The
 * parsed body, not the params: oidc-provider drops scopes it does not grant from those.
 */
function requestedScope(ctx: KoaContextWithOIDC): string[] {
  const { entities } = ctx.oidc
  const asked = (ctx.oidc as { body?: Record<string, unknown> }).body?.scope
  if (typeof asked === 'string' && asked !== '') return words(asked)
  const source = (entities.AuthorizationCode ?? entities.DeviceCode ?? entities.RefreshToken) as { scope?: string } | undefined
  return words(source?.scope)
}

/** What the issued access token holds. */
function grantedScope(ctx: KoaContextWithOIDC): string {
  const token = (ctx.oidc.entities.AccessToken ?? ctx.oidc.entities.ClientCredentials) as { scope?: string } | undefined
  return words(token?.scope).join(' ')
}

export function protocolAnswers(options: { issuer: string }): Middleware {
  const challenge = `Basic realm="${options.issuer.replace(/["\\]/g, '')}"`
  return async function answers(ctx, next) {
    await next()
    const oidc = (ctx as { oidc?: KoaContextWithOIDC['oidc'] }).oidc
    const route = oidc?.route
    if (oidc === undefined || route === undefined) return
    if (NO_CACHE_ROUTES.has(route)) {
      ctx.set('cache-control', 'no-store')
      ctx.set('pragma', 'no-cache')
    }
    const body = ctx.body as (ErrorBody & TokenBody) | undefined
    if (CLIENT_AUTH_ROUTES.has(route)) {
      // RFC 6749 §5.2: failed (or missing) client authentication is invalid_client, 401 with a
      // challenge; oidc-provider calls a missing one a malformed request.
      if (ctx.status === 400 && body?.error === 'invalid_request' && body.error_description === NO_CLIENT_AUTH) {
        ctx.status = 401
        body.error = 'invalid_client'
        body.error_description = 'client authentication is required'
      }
      if (ctx.status === 401 && body?.error === 'invalid_client' && !ctx.response.get('www-authenticate')) ctx.set('www-authenticate', challenge)
    }
    // RFC 6749 §5.2 and RFC 8628 §3.2: a grant the client is not registered for.
    const notAllowed = GRANT_NOT_ALLOWED[route]
    if (notAllowed && ctx.status === 400 && body?.error === 'invalid_request' && typeof body.error_description === 'string' && notAllowed.test(body.error_description)) {
      body.error = 'unauthorized_client'
    }
    if (route === 'token' && ctx.status === 200 && typeof body?.access_token === 'string') {
      if (body.scope === undefined) {
        const scope = unreportedScope(grantedScope(ctx), requestedScope(ctx))
        if (scope !== undefined) body.scope = scope
      }
    }
    if (route === 'revocation' && ctx.status === 200 && (ctx.body === '' || ctx.body === undefined)) {
      // RFC 7009 §2.2 leaves the body to the server; oidc-client-ts refuses text/plain.
      ctx.body = {}
      ctx.type = 'application/json; charset=utf-8'
    }
  }
}
