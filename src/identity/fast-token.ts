// client_credentials tokens without oidc-provider's Koa pipeline: a service asking for a JWT
// access token paid ~600 µs of server CPU per token, mostly the pipeline around the few steps
// that make the token (docs/performance.md). This answers the plain request itself, with the
// provider's own models and Gatehouse's own resource and claim rules, and returns undefined for
// everything else, which the provider then answers (errors included):
// - client_secret_basic with a secret the provider already verified (fast-client-auth.ts);
// - a form of grant_type=client_credentials and at most scope, resource and audience, each once
//   and not empty; no DPoP (the HTTP layer declines requests with a DPoP header);
// - a client registered for the grant, not bound to mTLS or DPoP tokens;
// - a resource server resolved (from `resource`, `audience` or the client's default audience)
//   that issues JWTs: an opaque token is a store write the provider makes;
// - requested OpenID scopes the client may have (validateClientScope), the token scope narrowed
//   to the resource server's scopes as the grant handler does (client_credentials.js);
// - any refusal of the resource rules (audiences.ts) or an unexpected failure: the provider's.
// The token is the provider's ClientCredentials model with its ResourceServer, its TTL function,
// extraTokenClaims and JWT customizer; the first token of each signing configuration is saved
// (signed) by the provider's JWT format, later ones are signed the same way here
// (fast-jwt-signing.ts) with the header and key learned from that first one. The answer is built
// as buildTokenResponse and protocolAnswers build it, and `client_credentials.issued` and
// `grant.success` are emitted as the provider emits them.

import type Provider from 'oidc-provider'
import type { ResourceServer } from 'oidc-provider'
import type { KnownClientAuth } from './fast-client-auth.ts'
import { createLearnedSigners, newTokenId, signingConfigKey, signWith, type LearnedSigner } from './fast-jwt-signing.ts'
import type { NodeSigningKey } from './node-signing-key.ts'
import { AUDIENCE_PARAM } from './audiences.ts'
import { parseFastForm } from './fast-form.ts'
import { unreportedScope } from './protocol-answers.ts'

/** The JSON body of the answer, or undefined when the provider must answer the request. */
export type FastToken = (authorization: string, form: string) => Promise<string | undefined>

export interface FastTokenOptions {
  provider: Provider
  /** Client authentication shared with introspection (fast-client-auth.ts). */
  clientAuth: KnownClientAuth
  /** features.resourceIndicators.defaultResource for a request asking for this audience (or none). */
  defaultIndicator: (asked: string | undefined, client: unknown) => string | undefined
  /** features.resourceIndicators.getResourceServerInfo for a request asking for this audience (or none). */
  resourceServerInfo: (asked: string | undefined, indicator: string, client: unknown) => ResourceServer
  /** The provider's static scopes (its `scopes` and the scopes of its `claims`). */
  staticScopes: ReadonlySet<string>
  /** The provider's `extraTokenClaims` (its configuration's function). */
  extraTokenClaims: (ctx: undefined, token: never) => unknown
  /** The provider's `formats.customizers.jwt`. */
  customizeJwt?: (ctx: undefined, token: never, jwt: StructuredToken) => unknown
  /** The provider's keys that sign through node:crypto. */
  signingKeys: readonly NodeSigningKey[]
}

interface StructuredToken { header: unknown; payload: Record<string, unknown> }

const GRANT_TYPE = 'client_credentials'
const FORM_KEYS: ReadonlySet<string> = new Set(['grant_type', 'scope', 'resource', AUDIENCE_PARAM])
/** oidc-provider's scope syntax (lib/helpers/is_valid_scope.js). */
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/

interface Form { scope?: string; resource?: string; audience?: string }

/** The parameters of a form holding grant_type=client_credentials and nothing the provider treats otherwise. */
function formOf(body: string): Form | undefined {
  const params = parseFastForm(body, FORM_KEYS)
  for (const [key, value] of Object.entries(params)) if (!FORM_KEYS.has(key) || typeof value !== 'string' || value === '') return undefined
  if (params.grant_type !== GRANT_TYPE) return undefined
  const { scope, resource, audience } = params as Record<string, string | undefined>
  if (scope !== undefined && !SCOPE_SYNTAX.test(scope)) return undefined
  return { scope, resource, audience }
}

/** A resource indicator the provider takes: an absolute URI without a fragment (check_resource.js). */
function validIndicator(identifier: string): boolean {
  const href = URL.parse(identifier)?.href
  return href !== undefined && !href.includes('#')
}

interface TokenModel {
  clientId: string
  jti?: string
  format?: string
  aud?: unknown
  extra?: unknown
  scope?: string
  resourceServer?: ResourceServer
  expiration: number
  tokenType: string
  save(): Promise<string>
}

/** Most resource indicators whose syntax check is remembered (they come from clients' forms). */
const INDICATORS_KEPT = 256

/** oidc-provider's check of an extraTokenClaims result (configuration_result.js). */
function plainObjectOrUndefined(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!value || (value as object).constructor !== Object) {
    throw new TypeError('extraTokenClaims must return undefined or a plain object')
  }
  return value as Record<string, unknown>
}

interface GrantClient {
  clientId: string
  scope?: string
  grantTypeAllowed(type: string): boolean
  dpopBoundAccessTokens?: unknown
  tlsClientCertificateBoundAccessTokens?: unknown
}

export function createFastToken(options: FastTokenOptions): FastToken {
  const { provider, defaultIndicator, resourceServerInfo, staticScopes, extraTokenClaims, customizeJwt } = options
  const { authenticate } = options.clientAuth
  const models = provider as unknown as {
    ClientCredentials: new (fields: { client: unknown; scope?: string }) => TokenModel
    ResourceServer: new (identifier: string, info: ResourceServer) => ResourceServer
  }
  const signers = createLearnedSigners(options.signingKeys)
  const indicators = new Map<string, boolean>()
  // Client objects are the provider's, one per registration (Client.find caches them by content).
  const clientScopes = new WeakMap<GrantClient, ReadonlySet<string>>()

  function validIndicatorCached(identifier: string): boolean {
    let valid = indicators.get(identifier)
    if (valid === undefined) {
      valid = validIndicator(identifier)
      if (indicators.size >= INDICATORS_KEPT) indicators.clear()
      indicators.set(identifier, valid)
    }
    return valid
  }

  function scopesOf(client: GrantClient): ReadonlySet<string> {
    let scopes = clientScopes.get(client)
    if (scopes === undefined) clientScopes.set(client, scopes = new Set(client.scope!.split(' ')))
    return scopes
  }

  /**
   * What the provider's save does for a JWT (BaseToken.save, the opaque and JWT formats,
   * helpers/jwt.js sign), in its order: the TTL, the id, iat and exp, extraTokenClaims, the
   * payload's members in the JWT format's order, the customizer, the signature, the event.
   */
  async function signed(token: TokenModel, signer: LearnedSigner): Promise<string> {
    const expiration = token.expiration
    token.jti = newTokenId()
    token.format = 'jwt'
    const iat = Math.floor(Date.now() / 1000)
    const extra = plainObjectOrUndefined(await extraTokenClaims(undefined, token as never))
    token.extra = extra
    const jwt: StructuredToken = {
      header: undefined,
      payload: {
        ...extra,
        jti: token.jti,
        sub: token.clientId,
        iat,
        exp: iat + expiration,
        authorization_details: undefined,
        scope: token.scope || undefined,
        client_id: token.clientId,
        iss: provider.issuer,
        aud: token.aud,
      },
    }
    if (customizeJwt !== undefined) await customizeJwt(undefined, token as never, jwt)
    // A header the customizer adds is not in the learned one: the provider must sign (it throws, the provider answers).
    if (jwt.header !== undefined) throw new Error('customized JWT header')
    if (!jwt.payload.aud) throw new Error('JWT access tokens must contain an audience')
    const value = signWith(signer, jwt.payload)
    provider.emit('client_credentials.issued', token)
    return value
  }

  async function issue(form: Form, client: GrantClient): Promise<string | undefined> {
    if (!client.grantTypeAllowed(GRANT_TYPE) || client.dpopBoundAccessTokens || client.tlsClientCertificateBoundAccessTokens) return undefined
    // resolveRequestedResources: `resource`, else the default (the audience asked for, or the client's).
    const indicator = form.resource ?? defaultIndicator(form.audience, client)
    if (indicator === undefined || !validIndicatorCached(indicator)) return undefined
    const info = resourceServerInfo(form.audience, indicator, client)
    if (info.accessTokenFormat !== 'jwt' || typeof info.scope !== 'string') return undefined
    // validateClientScope: an OpenID scope the client is not registered for is the provider's refusal.
    const scopes = new Set(form.scope?.split(' '))
    if (client.scope) {
      const allowed = scopesOf(client)
      for (const scope of scopes) if (staticScopes.has(scope) && !allowed.has(scope)) return undefined
    }
    const token = new models.ClientCredentials({ client, scope: [...scopes].join(' ') || undefined })
    const resourceServer = new models.ResourceServer(indicator, info)
    token.resourceServer = resourceServer
    const served = new Set(resourceServer.scope.split(' '))
    token.scope = [...scopes].filter((scope) => served.has(scope)).join(' ') || undefined
    const config = signingConfigKey(info)
    const signer = config === undefined ? undefined : signers.get(config)
    let value: string
    if (signer !== undefined) value = await signed(token, signer)
    else {
      value = await token.save()
      if (config !== undefined) signers.learn(config, value)
    }
    // buildTokenResponse's members in its order, then protocolAnswers' scope.
    const body: Record<string, unknown> = { access_token: value, expires_in: token.expiration }
    if (token.scope) body.scope = token.scope
    body.token_type = token.tokenType
    if (body.scope === undefined) {
      const reported = unreportedScope(token.scope ?? '', form.scope?.split(' ').filter(Boolean) ?? [])
      if (reported !== undefined) body.scope = reported
    }
    // Listeners (metrics) read what the provider's token endpoint gives them: its context.
    provider.emit('grant.success', {
      oidc: { route: 'token', provider, client, params: { grant_type: GRANT_TYPE, ...form }, entities: { Client: client, ClientCredentials: token } },
    })
    return JSON.stringify(body)
  }

  return async (authorization, body) => {
    const form = formOf(body)
    if (form === undefined) return undefined
    const client = await authenticate(authorization)
    if (client === undefined) return undefined
    try {
      return await issue(form, client as unknown as GrantClient)
    } catch {
      // A refusal (invalid_target and the like): the provider answers it, with its own wording.
      return undefined
    }
  }
}
