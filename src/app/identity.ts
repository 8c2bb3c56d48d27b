// Starts the identity side: secret key, signing keys, the bootstrap admin and the OpenID
// Connect provider, and says where to log in. Runs before the HTTP server is built. Tenancy
// joins in here: organization claims, group sync and refusal at sign-in, domain routing.

import type { GatehouseConfig } from '../config/index.ts'
import { envVarFor } from '../config/index.ts'
import { SESSION_CACHE_MS } from '../forwardauth/index.ts'
import { TENANCY_PREFIXES, type OidcMount } from '../http/index.ts'
import { userCodeAttemptCounter, createFederation, createFindAccount, organizationClaims, qualifiedGroups, createInteractions, resolveUpstreams, createLocalAccounts, createOidcProvider, createSigningKeys, createProviderHolder, createSignedInResolver, OIDC_MOUNTS, portalClientMetadata, consoleClientMetadata, consoleResourceServer, type NodeHandler, type SignedInResolver, type ClientAddress, createTrustedIssuers, type TrustedIssuers, startMtlsListener, createMfaService, createSecondFactorStep, createAccountPages, fastIntrospectionOf, fastTokenOf, type FastIntrospect, type FastToken, type AccountPages, type IdentityDirectory, createIdentityDirectory, type MfaService, type MtlsListener, type ProviderHolder, type SigningKeys, createSignedOutEverywhere } from '../identity/index.ts'
import { localSubject } from '../lib/index.ts'
import { applyBootstrapFile } from './bootstrap.ts'
import { clientAddressOf } from './client-address.ts'
import type { Core } from './core.ts'
import { bootstrapAdminSubject, ensureAdminBinding } from './local-accounts.ts'
import type { Logger } from './logger.ts'
import type { ProductMetrics } from './metrics.ts'
import { provisioningUser, signInUsername, type SignInProfile } from './provisioning.ts'
import { PLATFORM_ADMINISTRATOR, type MembershipClaim } from '../tenancy/index.ts'
import { loadMtlsFiles, mtlsBaseUrl } from './mtls.ts'
import { resolveSecretKey } from './secret-key.ts'
import { configuredProviderOptions } from './provider-options.ts'
import { maxTokenLifetimeSeconds } from './signing-keys.ts'
import { createSignInAudit } from './sign-in-audit.ts'

export interface StartedIdentity {
  mount: OidcMount
  /** Lines for the start-up banner. */
  banner: string[]
  /** Shown once on stderr: the generated bootstrap password, when one was made. */
  notice?: string
  /** Starts the mutual-TLS listener for service clients, when mtlsPort is set. */
  /** `api` serves the tenancy API there, so service accounts can use certificate-bound tokens with it. */
  startMtls?: (api?: NodeHandler) => Promise<MtlsListener>
  keys: SigningKeys
  /** The current provider; the server starts its key refresh once listening. */
  providers: ProviderHolder
  /** Resolves portal sign-in codes and bearer tokens to identities (forward-auth). */
  signedIn: SignedInResolver
  /** Access tokens of trusted external issuers (forward-auth and the tenancy API share its key sets). */
  trusted: TrustedIssuers
  /** Second factors of local accounts. */
  mfa: MfaService
  /** The account page, where local accounts manage their factors; and the address rule it throttles by. */
  account: {
    pages: AccountPages
    clientAddress: ClientAddress
    linkedAccount: (subject: string) => Promise<{ provider: string; issuer: string; sub: string } | undefined>
    endBrowserSessions: (subject: string) => Promise<void>
  }
  /** Resource servers and upstreams as configured (the bootstrap file's included), for the console. */
  directory: IdentityDirectory
}

export async function startIdentity(core: Core, logger: Logger, metrics?: ProductMetrics): Promise<StartedIdentity> {
  const config: GatehouseConfig = (await applyBootstrapFile(core, logger)).config
  const secret = resolveSecretKey(config, core.database)
  const maxTokenLifetime = maxTokenLifetimeSeconds(config)
  const keys = createSigningKeys({ repo: core.store.signingKeys, secret: secret.value, maxTokenLifetimeSeconds: maxTokenLifetime })
  const mtlsFiles = loadMtlsFiles(config)
  const localAccounts = createLocalAccounts({ repo: core.store.localAccounts, enabled: config.localLogin })
  const clientAddress = clientAddressOf(config)
  // Key generation and the admin's password hash both run off the main thread: side by side.
  const [, admin] = await Promise.all([
    keys.ensureKeys(),
    config.localLogin
      ? localAccounts.bootstrapAdmin({
          username: config.bootstrapAdminUsername,
          password: config.bootstrapPassword === '' ? undefined : config.bootstrapPassword,
        })
      : undefined,
  ])
  // Without it the admin would be refused as soon as the first organization exists.
  const adminBound = config.localLogin && (await ensureAdminBinding(core.tenancy, config.bootstrapAdminUsername))
  if (adminBound) logger.info({ username: config.bootstrapAdminUsername }, 'bootstrap admin bound to platform-administrator')

  const tenancy = core.tenancy
  const audit = createSignInAudit(core.store.audit, logger)
  const bootstrapAdmin = bootstrapAdminSubject(config)
  /** Whether a user may go on where membership is required; the bootstrap admin always may. */
  const admitted = async (subject: string) => subject === bootstrapAdmin || (await tenancy.admitted(subject))
  /** Syncs the user's upstream groups and says whether the sign-in may go on. */
  const admit = async (subject: string, groups: string[], sourceIp: string | undefined, profile: Omit<SignInProfile, 'subject'>): Promise<{ allowed: boolean }> => {
    // Another replica or the CLI may have changed organizations since the last notice reached
    // us; one cheap revision read keeps a refusal from resting on stale state.
    await tenancy.core.current()
    const provisioning = core.provisioning
    const passes = (member: boolean) => member || !config.requireOrganization || subject === bootstrapAdmin
    // A refused sign-in (the user is in no organization any more) retires what rules made for
    // them, as a disabled account does: their upstream groups alone must not keep a project.
    const events = provisioning && ((claim: MembershipClaim, member: boolean) =>
      provisioning.userItems(passes(member) ? 'user.signed_in' : 'user.disabled', provisioningUser({ subject, ...profile }, claim, (id) => tenancy.core.state.groups.get(id)?.name)))
    const { member } = await tenancy.signIn(subject, groups, sourceIp, events)
    const allowed = passes(member)
    metrics?.signIn(profile.upstream ?? 'local', allowed ? 'success' : 'refused')
    await audit.signedIn(subject, allowed, { upstream: profile.upstream ?? 'local', username: profile.username, ...(sourceIp ? { sourceIp } : {}) })
    return { allowed }
  }

  const federation = config.upstreams.length === 0
    ? undefined
    : createFederation({
        issuer: config.issuer,
        providers: resolveUpstreams(config.upstreams),
        oidc: core.store.oidc,
        userRecords: core.store.userRecords,
        accountTtlSeconds: maxTokenLifetime,
        onError: (err, providerId) => {
          metrics?.signIn(providerId ?? 'unknown', 'failed')
          logger.warn({ err, upstream: providerId }, 'upstream sign-in failed')
          void audit.upstreamFailed(providerId ?? 'unknown', err)
        },
        onSignIn: (account, providerId, { sourceIp }) => admit(account.subject, qualifiedGroups(providerId, account.groups), sourceIp, {
          issuer: account.upstream.issuer, username: signInUsername(account.subject, account),
          ...(account.email ? { email: account.email } : {}), ...(account.name ? { name: account.name } : {}),
          groups: account.groups, upstream: providerId,
        }),
      })

  const signedOutEverywhere = createSignedOutEverywhere(core.store.oidc, { ttlSeconds: config.sessionTtlSeconds })
  const findAccount = createFindAccount({
    localAccounts: core.store.localAccounts,
    claimNamespace: config.claimNamespace,
    extenders: [organizationClaims((subject, kind) => tenancy.claims(subject, kind))],
    upstreamAccount: federation && ((subject) => federation.account(subject)),
    admitted: config.requireOrganization ? admitted : undefined,
  })
  // The provider is rebuilt when signing keys change: each build gets the listener.
  const countTokens = (provider: ReturnType<typeof createOidcProvider>) => {
    if (metrics) provider.on('grant.success', (ctx: { oidc?: { params?: { grant_type?: unknown } } }) => metrics.tokenIssued(String(ctx.oidc?.params?.grant_type ?? '')))
    return provider
  }
  const configured = configuredProviderOptions(config)
  const consoleApi = consoleResourceServer(config.issuer, config.accessTokenTtlSeconds)
  const directory = createIdentityDirectory({ issuer: config.issuer, resourceServers: config.resourceServers, builtinResourceServers: [{ indicator: consoleApi.indicator, scopes: [], accessTokenTtlSeconds: consoleApi.accessTokenTtl, accessTokenClaims: ['preferred_username'] }], upstreams: config.upstreams, ...(federation ? { probe: (id: string) => federation.probe(id) } : {}) })
  const providers = await createProviderHolder({ keys, build: (jwks) => countTokens(createOidcProvider({
    ...configured,
    // The console's audience is built in, not configured: its tokens are valid for the admin APIs.
    resourceServers: [...configured.resourceServers ?? [], consoleApi],
    jwks,
    store: { oidc: core.store.oidc, oidcClients: core.store.oidcClients },
    secretKey: secret.value,
    findAccount,
    browserSessionEnded: (subject, authTime) => signedOutEverywhere.ended(subject, authTime),
    staticClients: [portalClientMetadata(config.issuer), consoleClientMetadata(config.issuer)],
    countUserCodeAttempt: userCodeAttemptCounter(core.store.localAccounts),
    clientAddress,
    onServerError: (err) => logger.error({ err }, 'OpenID Connect provider error'),
    onBackchannelLogoutError: (err, clientId) => logger.warn({ err, clientId }, 'back-channel logout to a client failed'),
  })),
  onRebuilt: ({ kids }) => logger.info({ kids }, 'signing keys changed; provider rebuilt'),
  onRefreshError: (err) => logger.warn({ err }, 'could not refresh the signing keys; still using the current ones') })

  // Introspection and client_credentials tokens on the node:http fast path, by the instance
  // current when the request arrives.
  const fastIntrospect: FastIntrospect = (authorization, form) => fastIntrospectionOf(providers.current())?.(authorization, form) ?? Promise.resolve(undefined)
  const fastToken: FastToken = (authorization, form) => fastTokenOf(providers.current())?.(authorization, form) ?? Promise.resolve(undefined)

  const banner = [
    `  issuer:         ${config.issuer}`,
    `  discovery:      ${config.issuer}/.well-known/openid-configuration`,
  ]
  if (secret.origin === 'generated') banner.push(`  secret key:     generated into ${secret.path} (keep it with the database; or set ${envVarFor('secretKey')})`)
  if (secret.origin === 'ephemeral') banner.push('  secret key:     temporary (in-memory database)')
  if (federation) banner.push(`  upstreams:      ${federation.providers.map((p) => p.id).join(', ')} (redirect URI ${config.issuer}/login/callback)`)
  if (admin?.created) banner.push(`  local admin:    "${admin.username}" created`)

  const notice = admin?.generatedPassword === undefined
    ? undefined
    : [
        `Bootstrap admin created: username "${admin.username}", password: ${admin.generatedPassword}`,
        `  This password is shown only once. To choose it instead, set ${envVarFor('bootstrapPassword')} before the first start.`,
        '',
      ].join('\n')

  const mfa = createMfaService({
    repo: core.store.localMfa, pending: core.store.oidc, attempts: core.store.localAccounts, secretKey: secret.value, issuer: config.issuer,
  })
  /** A platform administrator: the bootstrap admin, or a subject bound to the built-in role. */
  const platformAdministrator = async (subject: string): Promise<boolean> => {
    if (subject === bootstrapAdmin) return true
    await tenancy.core.current()
    const state = tenancy.core.state
    return (state.bindingBySubject.get(subject)?.roleIds ?? []).some((id) => {
      const role = state.roles.get(id)
      return role?.name === PLATFORM_ADMINISTRATOR && role.source === 'builtin'
    })
  }
  const secondFactor = createSecondFactorStep({
    mfa, issuer: config.issuer, pending: core.store.oidc, accounts: core.store.localAccounts,
    required: config.mfaRequiredForAdmins ? (account) => platformAdministrator(localSubject(account.username)) : undefined,
  })

  const interactions = createInteractions({
    secondFactor,
    provider: providers.current,
    localAccounts,
    federation,
    onError: (err) => logger.error({ err }, 'sign-in interaction failed'),
    organizationRoute: (domain) => tenancy.core.state.orgByDomain.get(domain)?.upstreams[0],
    organizationOf: (domain) => tenancy.core.state.orgByDomain.get(domain)?.name,
    resourceScope: (indicator, scope) => {
      const rs = config.resourceServers.find((r) => r.indicator === indicator)
      return { api: rs?.name ?? indicator, description: rs?.scopeDescriptions?.[scope] }
    },
    onLocalSignInFailed: ({ username, code, sourceIp }) => {
      metrics?.signIn('local', 'failed')
      void audit.localFailed(username, code, sourceIp)
    },
    clientAddress,
    onLocalSignIn: (account, { sourceIp }) => admit(localSubject(account.username), [], sourceIp, {
      issuer: config.issuer, username: signInUsername(localSubject(account.username), {}), groups: [],
    }),
  })

  const startMtls = mtlsFiles && ((api?: NodeHandler) =>
    startMtlsListener({
      handler: providers.handler, issuer: config.issuer, ...mtlsFiles, host: config.host, port: config.mtlsPort,
      ...(api ? { api: { prefixes: TENANCY_PREFIXES, handler: api } } : {}),
    }))
  if (mtlsFiles) banner.push(`  mTLS clients:   ${mtlsBaseUrl(config)} (token, introspection, revocation)`)

  const signedIn = createSignedInResolver({
    issuer: config.issuer, provider: () => providers.current(), publicJwks: () => keys.publicJwks(), findAccount, repo: core.store.oidc,
    // A revoked API token stops passing forward-auth within the bound a signed-out session has.
    bearerRecheckMs: SESSION_CACHE_MS,
  })
  const trusted = createTrustedIssuers({
    issuers: config.trustedIssuers,
    onError: (err, issuer) => logger.warn({ err, issuer }, 'could not check a token from a trusted issuer'),
  })
  const account = {
    pages: createAccountPages({ mfa, localAccounts, issuer: config.issuer }), clientAddress,
    // The provider by the name its sign-in button shows.
    linkedAccount: async (subject: string) => {
      const upstream = (await federation?.account(subject))?.upstream
      return upstream && { ...upstream, provider: federation?.providers.find((p) => p.id === upstream.provider)?.name ?? upstream.provider }
    },
    endBrowserSessions: (subject: string) => signedOutEverywhere.mark(subject),
  }
  return { keys, providers, signedIn, trusted, mfa, account, directory, mount: { handler: providers.handler, issuer: config.issuer, routes: OIDC_MOUNTS, interactions, fastIntrospect, fastToken }, banner, notice, startMtls }
}
