// Builds the oidc-provider instance: protocol defaults Gatehouse relies on (PKCE for public
// clients, refresh rotation, introspection, revocation, logout, client_credentials, the device
// authorization grant, JWT access tokens for registered resource servers), storage through the
// store, clients from the clients repository. The HTTP mount lives in src/http; this module
// never sees Fastify.

import { hkdfSync } from 'node:crypto'
import Provider, { interactionPolicy, type Adapter, type AdapterPayload, type Client, type Configuration, type FindAccount, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider'
import type { JWK } from 'jose'
import type { OidcArtifactsRepo, OidcClientsRepo } from '../store/index.ts'
import { createAdapterFactory } from './adapter.ts'
import { withIdTokenClaims } from './id-token-claims.ts'
import { assertAssertionLifetime } from './client-assertion.ts'
import type { ClientAddress } from './client-address.ts'
import { createAccessTokenClaims, type AccessTokenClaimName } from './access-token-claims.ts'
import { UPSTREAM_PARAM } from './upstream/providers.ts'
import { AUDIENCE_PARAM, createResourceResolver } from './audiences.ts'
import { CLIENT_ROUTING_METADATA, clientCors, interactionUrl, validateRoutingMetadata } from './client-extras.ts'
import { deviceFlowFeature, devicePollInterval, DEVICE_ROUTES, userCodeThrottle, type AttemptCounter } from './device-flow.ts'
import { MTLS_AUTH_METHODS, mtlsEndpointAliases, mtlsFeature } from './mtls.ts'
import { ORGANIZATION_PARAM } from './branding.ts'
import { logoutSource, postLogoutSuccessSource, providerPageHeaders, renderError } from './pages.ts'
import { createJwtIntrospection, jwtAccessTokenMiddleware } from './jwt-access-tokens.ts'
import { createFastIntrospection, type FastIntrospect } from './fast-introspection.ts'
import { createFastToken, type FastToken, type FastTokenOptions } from './fast-token.ts'
import { protocolAnswers } from './protocol-answers.ts'
import { getsRefreshToken, offlineRefreshTokens } from './refresh-tokens.ts'
import { nodeSignable, NodeSigningKey } from './node-signing-key.ts'
import { createCachedSecretVerifier } from './secret-cache.ts'
import { createKnownClientAuth } from './fast-client-auth.ts'
import { clientRecordStampOf } from './client-cache.ts'

/** Paths of the provider's endpoints relative to the issuer (set in its `routes` config). */
export const OIDC_ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  jwks: '/jwks',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  end_session: '/session/end',
  pushed_authorization_request: '/request',
  ...DEVICE_ROUTES,
} as const

export type OidcRouteMethod = 'GET' | 'POST' | 'OPTIONS'

/** Every (method, path) the provider answers; the HTTP layer mounts exactly these. */
export const OIDC_MOUNTS: ReadonlyArray<readonly [OidcRouteMethod, string]> = [
  ['GET', '/.well-known/openid-configuration'],
  ['OPTIONS', '/.well-known/openid-configuration'],
  ['GET', '/.well-known/oauth-authorization-server'],
  ['OPTIONS', '/.well-known/oauth-authorization-server'],
  ['GET', OIDC_ROUTES.authorization],
  ['GET', `${OIDC_ROUTES.authorization}/:uid`],
  ['POST', OIDC_ROUTES.token],
  ['OPTIONS', OIDC_ROUTES.token],
  ['GET', OIDC_ROUTES.userinfo],
  ['POST', OIDC_ROUTES.userinfo],
  ['OPTIONS', OIDC_ROUTES.userinfo],
  ['GET', OIDC_ROUTES.jwks],
  ['OPTIONS', OIDC_ROUTES.jwks],
  ['POST', OIDC_ROUTES.introspection],
  ['OPTIONS', OIDC_ROUTES.introspection],
  ['POST', OIDC_ROUTES.revocation],
  ['OPTIONS', OIDC_ROUTES.revocation],
  ['GET', OIDC_ROUTES.end_session],
  ['POST', `${OIDC_ROUTES.end_session}/confirm`],
  ['GET', `${OIDC_ROUTES.end_session}/success`],
  ['POST', OIDC_ROUTES.pushed_authorization_request],
  ['OPTIONS', OIDC_ROUTES.pushed_authorization_request],
  ['POST', OIDC_ROUTES.device_authorization],
  ['OPTIONS', OIDC_ROUTES.device_authorization],
  ['GET', OIDC_ROUTES.code_verification],
  ['POST', OIDC_ROUTES.code_verification],
  ['GET', `${OIDC_ROUTES.code_verification}/:uid`],
]

/** `acr` of an ID token: how the user authenticated (a password here, or at an upstream provider). */
export const ACR_VALUES = ['urn:gatehouse:acr:password', 'urn:gatehouse:acr:federated'] as const

/** Client metadata Gatehouse adds to the standard set. */
export const CLIENT_EXTRA_METADATA = {
  /** true: the client may introspect tokens issued to other clients (a resource server). */
  mayIntrospect: 'urn:gatehouse:may_introspect',
  /** true: the client is operated with Gatehouse; consent is implied and refresh tokens need no offline_access. */
  firstParty: 'urn:gatehouse:first_party',
  ...CLIENT_ROUTING_METADATA,
} as const

export interface OidcTtls {
  accessToken: number
  idToken: number
  refreshToken: number
  session: number
  /** Defaults to 60 s. */
  authorizationCode?: number
  /** Defaults to 10 minutes. */
  interaction?: number
}

/** A resource server that may receive JWT access tokens (audience = indicator unless given). */
export interface ResourceServerEntry {
  indicator: string
  scopes: string[]
  audience?: string
  accessTokenTtl?: number
  /** Identity claims its JWT access tokens carry (each with its scope). */
  accessTokenClaims?: readonly AccessTokenClaimName[]
  /** Only these clients may get its tokens (built-in audiences); absent: any client. */
  clients?: readonly string[]
}

export interface OidcProviderOptions {
  /** From configuration only: never derived from a request. */
  issuer: string
  /** Whether the browser session that signed `subject` in at `authTime` (seconds) was ended by "sign out everywhere". */
  browserSessionEnded?: (subject: string, authTime: number) => Promise<boolean>
  /** Private JWKs, ES256 first (see SigningKeys.jwks). */
  jwks: { keys: JWK[] }
  store: { oidc: OidcArtifactsRepo; oidcClients: OidcClientsRepo }
  /** The configured secret key; cookie signing keys are derived from it. */
  secretKey: string
  ttl: OidcTtls
  /** Claim name of the Gatehouse claim object (`acctype`, later organization ids). */
  claimNamespace: string
  findAccount: FindAccount
  resourceServers?: ResourceServerEntry[]
  /** Errors oidc-provider hit while answering (it renders them itself). */
  onServerError?: (err: unknown) => void
  /** A client's back-channel logout endpoint failed or answered other than 200/204. */
  onBackchannelLogoutError?: (err: unknown, clientId: string) => void
  /** RFC 8705 client certificates, answered on a dedicated TLS listener reachable at `baseUrl`. */
  mtls?: { baseUrl: string; clientCaConfigured: boolean }
  /** Built-in clients (the forward-auth portal's), served before the clients repository. */
  staticClients?: Record<string, unknown>[]
  /** Counts device user-code entries per client address; absent: not throttled (a provider that only validates clients). */
  countUserCodeAttempt?: AttemptCounter
  /** The client's address for throttling (trusted proxies resolved); default the TCP peer. */
  clientAddress?: ClientAddress
}

/** oidc-provider's default: allowed clock skew for JWTs clients send. */
const CLOCK_TOLERANCE_SECONDS = 15

/** Keygrip keys for oidc-provider's cookies; stable per secret so every replica agrees. */
export function deriveCookieKeys(secretKey: string): string[] {
  return [Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', 'gatehouse cookie keys v1', 32)).toString('base64url')]
}

/** Serves the Client model from the clients repository; clients are managed there, not by the protocol. */
function clientAdapter(repo: OidcClientsRepo): Adapter {
  const readOnly = async () => {
    throw new Error('clients are managed through the clients repository')
  }
  return {
    async find(id) {
      const record = await repo.get(id)
      if (!record) return undefined
      // The hash stands in for the secret; compareClientSecret below checks against it.
      const secret = record.secretHash === null ? {} : { client_secret: record.secretHash }
      return { ...record.metadata, ...secret, client_id: record.clientId } as AdapterPayload
    },
    upsert: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: async () => undefined,
  }
}

/** introspection.allowedPolicy: a token's own client, or a client allowed to introspect others'. */
function mayIntrospect(client: { clientId: string; [key: string]: unknown }, token: { clientId?: unknown }): boolean {
  return token.clientId === client.clientId || client[CLIENT_EXTRA_METADATA.mayIntrospect] === true
}

const fastIntrospections = new WeakMap<Provider, FastIntrospect>()

/** JWT introspection answered outside the provider's pipeline (fast-introspection.ts), per instance. */
export function fastIntrospectionOf(provider: Provider): FastIntrospect | undefined {
  return fastIntrospections.get(provider)
}

const fastTokens = new WeakMap<Provider, FastToken>()

/** client_credentials tokens answered outside the provider's pipeline (fast-token.ts), per instance. */
export function fastTokenOf(provider: Provider): FastToken | undefined {
  return fastTokens.get(provider)
}

export function createOidcProvider(options: OidcProviderOptions): Provider {
  const { issuer, ttl, claimNamespace } = options
  const resources = createResourceResolver({ servers: options.resourceServers ?? [], defaultTtl: ttl.accessToken })
  const identityClaims = createAccessTokenClaims({ findAccount: options.findAccount, claimsFor: (indicator) => resources.entry(indicator)?.accessTokenClaims })

  const accessTtl = (_ctx: KoaContextWithOIDC, token: { resourceServer?: ResourceServer }) => token.resourceServer?.accessTokenTTL ?? ttl.accessToken
  const adapters = createAdapterFactory({ repo: options.store.oidc, overrides: { Client: clientAdapter(options.store.oidcClients) } }) as (model: string) => Adapter

  // No client_secret_jwt: secrets are stored hashed, so the server cannot compute an HMAC with them.
  const clientAuthMethods: NonNullable<Configuration['clientAuthMethods']> = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', ...(options.mtls ? MTLS_AUTH_METHODS : [])]

  // Signed through node:crypto (node-signing-key.ts); a key it cannot take stays a JWK for jose.
  const signingKeys = options.jwks.keys.map((k) => (nodeSignable(k) ? new NodeSigningKey(k) : k))
  const configuration: Configuration = {
    adapter: (model: string) => (model === 'RefreshToken' ? offlineRefreshTokens(adapters(model)) : adapters(model)),
    jwks: { keys: signingKeys } as Configuration['jwks'],
    clients: (options.staticClients ?? []) as unknown as Configuration['clients'],
    cookies: {
      keys: deriveCookieKeys(options.secretKey),
      names: { session: 'gh_session', interaction: 'gh_interaction', resume: 'gh_resume' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    routes: OIDC_ROUTES,
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods,
    discovery: {
      // The same client authentication everywhere; RFC 8414 names the lists, oidc-provider only the token endpoint's.
      introspection_endpoint_auth_methods_supported: clientAuthMethods,
      revocation_endpoint_auth_methods_supported: clientAuthMethods,
      ...(options.mtls ? { mtls_endpoint_aliases: mtlsEndpointAliases(options.mtls.baseUrl) } : {}),
    },
    // A code is redeemed only with the redirect_uri it was issued for (RFC 6749 §4.1.3), also
    // when the client has a single one registered.
    allowOmittingSingleRegisteredRedirectUri: false,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    assertJwtClientAuthClaimsAndHeader: async (_ctx, claims) => assertAssertionLifetime(claims, Math.floor(Date.now() / 1000), CLOCK_TOLERANCE_SECONDS),
    extraClientMetadata: {
      properties: Object.values(CLIENT_EXTRA_METADATA),
      validator: (_ctx, key, value) => validateRoutingMetadata(key, value),
    },
    clientBasedCORS: clientCors,
    // Authorization code only: no implicit or hybrid flows (tokens in the front channel).
    responseTypes: ['code'],
    // Names a resource server by its audience where clients cannot send `resource` (audiences.ts);
    // `upstream` goes straight to that upstream provider (the console's test sign-in).
    extraParams: [AUDIENCE_PARAM, UPSTREAM_PARAM, ORGANIZATION_PARAM],
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    claims: {
      // acr, amr and auth_time (how and when the user signed in) exist only in ID tokens; listed
      // here, every ID token carries them, not only those that asked with max_age or claims.
      openid: ['sub', claimNamespace, 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    findAccount: withIdTokenClaims(options.findAccount, CLIENT_EXTRA_METADATA.idTokenClaims),
    // Scope claims may go into ID tokens (id-token-claims.ts decides which, per client).
    conformIdTokenClaims: false,
    acrValues: [...ACR_VALUES],
    extraTokenClaims: async (ctx, token) => ({
      ...await identityClaims(ctx, token as Parameters<typeof identityClaims>[1]),
      [claimNamespace]: { acctype: 'accountId' in token && token.accountId ? 'user' : 'service' },
    }),
    formats: {
      customizers: {
        // RFC 9068 §2.2.3: the scope the token grants, also when that is none of the requested
        // scopes (oidc-provider leaves an empty one out).
        jwt: (_ctx, token, jwt) => { jwt.payload.scope ??= typeof token.scope === 'string' ? token.scope : '' },
      },
    },
    // Every refresh hands out a new refresh token and retires the old one (public clients too).
    rotateRefreshToken: true,
    // OIDC drops offline_access unless consent was prompted for; first-party clients skip consent,
    // so the refresh_token grant on the client is what decides for them, and a grant that was
    // once given offline_access keeps counting for later sign-ins of the same client.
    issueRefreshToken: (ctx, client, code) => getsRefreshToken(ctx, client, code.scopes),
    // A refresh token outlives the browser session at Gatehouse (logout, session expiry): the
    // CLI or app that holds it has no part in that session.
    expiresWithSession: (ctx, code) => !getsRefreshToken(ctx, ctx.oidc.client!, code.scopes),
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Session: ttl.session,
      Grant: ttl.refreshToken,
      AuthorizationCode: ttl.authorizationCode ?? 60,
      Interaction: ttl.interaction ?? 600,
    },
    interactions: { url: interactionUrl(issuer), policy: loginPolicy(options.browserSessionEnded) },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        // The default lets any confidential client introspect any token.
        allowedPolicy: (_ctx, client, token) => mayIntrospect(client, token),
      },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      // `claims={"id_token":{"email":null}}` asks for a claim in the ID token (its scope still needed).
      claimsParameter: { enabled: true },
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      ...(options.mtls ? { mTLS: mtlsFeature({ clientCaConfigured: options.mtls.clientCaConfigured }) } : {}),
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // OIDC Back-Channel Logout 1.0: at sign-out, a logout token (sub, sid) to every client of
      // the session that registered backchannel_logout_uri; sign-out waits for their answers.
      backchannelLogout: { enabled: true },
      deviceFlow: deviceFlowFeature(),
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => resources.defaultResource(ctx, client, oneOf),
        // Refreshes and code exchanges keep the resource (audience) granted at authorization.
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator, client) => resources.getResourceServerInfo(ctx, indicator, client),
      },
    },
    renderError,
    // oidc-provider refuses outgoing requests to loopback and private addresses, against URLs
    // that anyone registering a client could name. Here only operators register clients, and
    // their relying parties (back-channel logout URIs, jwks_uri) mostly live on private networks.
    fetch: (url, init) => globalThis.fetch(url, { ...init, dispatcher: undefined } as RequestInit),
  }

  // The provider's static scopes (helpers/configuration.js: `scopes` plus the scopes of `claims`),
  // taken before it reads the configuration.
  const staticScopes = new Set([...configuration.scopes ?? [], ...Object.keys(configuration.claims ?? {})])
  const provider = new Provider(issuer, configuration)
  // Koa must trust X-Forwarded-Proto for the Secure cookie flag; the HTTP mount pins that header
  // (and Host) from the issuer, so a client cannot steer it.
  provider.proxy = true
  const verifyClientSecret = createCachedSecretVerifier()
  // `sid` in every ID token, not only for clients with session-bound logout: RPs key their
  // sessions on it, and back-channel logout tokens name it.
  provider.Client.prototype.includeSid = () => true
  provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, given: string) {
    return typeof this.clientSecret === 'string' ? verifyClientSecret(given, this.clientSecret) : false
  }
  // Outermost: it sees the answers of everything below, the JWT introspection included.
  provider.use(protocolAnswers({ issuer }))
  provider.use(providerPageHeaders())
  provider.use(devicePollInterval())
  if (options.countUserCodeAttempt) provider.use(userCodeThrottle(options.countUserCodeAttempt, { clientAddress: options.clientAddress }))
  const jwtOptions = { issuer, jwks: options.jwks, repo: options.store.oidc, claimNamespace, mayIntrospectProperty: CLIENT_EXTRA_METADATA.mayIntrospect }
  // One verifier (and its cache) for the middleware and the fast path.
  const jwtIntrospection = createJwtIntrospection(jwtOptions)
  provider.use(jwtAccessTokenMiddleware(jwtOptions, jwtIntrospection))
  // One client authentication (and its memory of the provider's clients) for both fast answers.
  const clientAuth = createKnownClientAuth(provider, verifyClientSecret.known, clientRecordStampOf(options.store.oidcClients))
  fastIntrospections.set(provider, createFastIntrospection({
    provider, introspectJson: jwtIntrospection.introspectJson, clientAuth, seenJwt: jwtIntrospection.seen, allowedPolicy: mayIntrospect,
    stillStored: async (model, id) => (await options.store.oidc.find(model, id)) !== undefined,
  }))
  fastTokens.set(provider, createFastToken({
    provider, clientAuth, staticScopes,
    // The very functions the provider calls while it saves a token.
    extraTokenClaims: configuration.extraTokenClaims as unknown as FastTokenOptions['extraTokenClaims'],
    customizeJwt: configuration.formats?.customizers?.jwt as unknown as FastTokenOptions['customizeJwt'],
    signingKeys: signingKeys.filter((key) => key instanceof NodeSigningKey),
    defaultIndicator: (asked, client) => resources.defaultIndicator(asked, client),
    resourceServerInfo: (asked, indicator, client) => resources.resourceServerInfo(asked, indicator, client),
  }))
  provider.on('server_error', (_ctx: unknown, err: unknown) => options.onServerError?.(err))
  provider.on('backchannel.error', (_ctx: unknown, err: unknown, client: Client) => options.onBackchannelLogoutError?.(err, client.clientId))
  return provider
}

/**
 * oidc-provider's prompts, with one more reason to ask for a sign-in: the account signed out
 * everywhere after this browser session began (signed-out-everywhere.ts).
 */
function loginPolicy(ended: OidcProviderOptions['browserSessionEnded']) {
  const policy = interactionPolicy.base()
  if (ended === undefined) return policy
  policy.get('login')!.checks.add(new interactionPolicy.Check('signed_out_everywhere', 'End-User signed out of every session', async (ctx) => {
    const session = ctx.oidc.session
    const authTime = session?.authTime()
    if (session?.accountId === undefined || authTime === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT
    return (await ended(session.accountId, authTime)) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT
  }))
  return policy
}
