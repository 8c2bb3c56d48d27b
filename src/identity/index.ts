// Identity: the OpenID Connect provider — factory, store adapter, signing keys, secrets, accounts and claims, local accounts, sign-in interactions, the device flow, upstream federation, the mTLS listener for service clients.
// May import: src/lib, src/config, src/store (types and error codes), src/authz, src/tenancy; never Fastify or SQL drivers.
export type { FastIntrospect } from './fast-introspection.ts'
export type { FastToken } from './fast-token.ts'
export { cachedClientsRepo, type ClientCacheOptions } from './client-cache.ts'
export { createAdapterFactory, type AdapterOptions } from './adapter.ts'
export { createKeyCipher, KeyCipherErrorCodes, type KeyCipher } from './key-cipher.ts'
export {
  createSigningKeys, KeyErrorCodes, SIGNING_ALGS, type RotationResult, type SigningKeys, type SigningKeysOptions,
} from './keys.ts'
export {
  createLocalAccounts, LocalAccountErrorCodes, MIN_PASSWORD_LENGTH,
  type BootstrapResult, type LocalAccount, type LocalAccounts, type LocalAccountsOptions,
} from './local-accounts.ts'
export {
  generateSecret, GENERATED_SECRET_PARAMS, hashSecret, needsRehash, parseSecretHash, PASSWORD_PARAMS, SecretErrorCodes,
  verifySecret, type ParsedSecretHash, type ScryptParams,
} from './secrets.ts'
export {
  CLIENT_EXTRA_METADATA, createOidcProvider, deriveCookieKeys, fastIntrospectionOf, fastTokenOf, OIDC_MOUNTS, OIDC_ROUTES,
  type OidcProviderOptions, type OidcRouteMethod, type OidcTtls, type ResourceServerEntry,
} from './provider.ts'
export { createProviderHolder, type NodeHandler, type ProviderHolder, type ProviderHolderOptions } from './provider-holder.ts'
export { createFindAccount, organizationClaims, LOCAL_SUBJECT_PREFIX, localSubject, relationshipUser, RESERVED_SUBJECT_PREFIXES, SERVICE_SUBJECT_PREFIX, type AccountFinderOptions, type AccountType, type ClaimExtender } from './accounts.ts'
export { createInteractions, LOGIN_CALLBACK_PATH, type InteractionOptions, type InteractionOutcome, type Interactions } from './login/interaction.ts'
export { certificateMatches, dnEquals, MTLS_AUTH_METHODS, MTLS_ENDPOINTS, subjectToRfc4514, type MtlsFeatureOptions } from './mtls.ts'
export { startMtlsListener, type MtlsListener, type MtlsListenerOptions } from './mtls-listener.ts'
export {
  createFederation, EXTERNAL_SUBJECT_PREFIX, externalSubject, qualifiedGroups, UPSTREAM_CALLBACK_PATH, UPSTREAM_MODELS,
  type CallbackResult, type Federation, type FederationOptions, type UpstreamAccount,
} from './upstream/federation.ts'
export { emailDomain, providerForEmail, resolveUpstreams, type UpstreamProvider } from './upstream/providers.ts'
export {
  ClientErrorCodes, createClientService, type ClientPage, type ClientService, type ClientServiceOptions, type ClientWithSecret,
  type ProviderClientValidator,
} from './clients/service.ts'
export { clientInputSchema, MIN_CLIENT_SECRET_LENGTH, type ClientInput, type ClientSpec, type ClientView } from './clients/schema.ts'
export { syncBootstrapClients, SyncErrorCodes, type DeclaredClient, type SyncCounts } from './clients/sync.ts'
export {
  createSignedInResolver, PORTAL_CALLBACK_PATH, PORTAL_CLIENT_ID, PORTAL_LOGGED_OUT_PATH, portalClientMetadata,
  type AccessTokenHolder, type SignedInIdentity, type SignedInOptions, type SignedInResolver,
} from './signed-in.ts'
export { escapeHtml, linkButton, page, referenceLine, safeImageUrl, signedOutPage, type PageOptions } from './pages.ts'
export { createSignedOutEverywhere, SIGNED_OUT_MODEL, type SignedOutEverywhere } from './signed-out-everywhere.ts'
export { describeBrowser, overviewHtml, SIGN_OUT_EVERYWHERE_PATH, type AccountOverview } from './account-overview.ts'
export { ACCENT_COLOUR, brandFor, DEFAULT_BRAND, ORGANIZATION_PARAM, setBranding, type Brand, type Branding } from './branding.ts'
export { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID, CONSOLE_PATH, consoleAudience, consoleClientMetadata, consoleResourceServer } from './console-client.ts'
export { accessTokenUsername, selectAccessTokenClaims, type AccessTokenClaimName } from './access-token-claims.ts'
export { DEVICE_CODE_GRANT, DEVICE_ROUTES, userCodeAttemptCounter, USER_CODE_MAX_ATTEMPTS, USER_CODE_WINDOW_SECONDS, type AttemptCounter } from './device-flow.ts'
export { normalizeAddress, peerAddress, type ClientAddress } from './client-address.ts'
export { createLoginThrottle, type LoginAttempt, type LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts'
export { createTrustedIssuers, type TrustedIssuerOptions, type TrustedIssuers } from './trusted-issuers.ts'
export {
  createMfaService, MfaErrorCodes, type Enrolled, type FactorAmr, type FactorView, type MfaService, type MfaServiceOptions, type TotpEnrolment,
} from './mfa/service.ts'
export { createSecondFactorStep, type SecondFactorStep, type SecondFactorStepOptions } from './mfa/sign-in.ts'
export { WEBAUTHN_SCRIPT, WEBAUTHN_SCRIPT_PATH } from './mfa/webauthn-script.ts'
export { ACCOUNT_ACTIONS, ACCOUNT_PATH, createAccountPages, type AccountPage, type AccountPages, type AccountPagesOptions } from './mfa/account.ts'
export { createPeople, PeopleErrorCodes, type ActionContext, type LocalAccountView, type People, type PeopleOptions, type PersonView, type SessionSource, type SessionView, type UpstreamUserView } from './people.ts'
export { createIdentityDirectory, type IdentityDirectory, type ResourceServerView, type UpstreamView } from './directory.ts'
