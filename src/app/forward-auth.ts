// Wires forward-auth: the application service and live registry over the store, portal sessions,
// the sign-in flow against Gatehouse's own provider, and relationship checks through the engine.

import { ConfigError, envVarFor, type GatehouseConfig } from '../config/index.ts'
import {
  createApplicationService, createForwardAuth, createLiveRegistry, createLoginFlow, createSessionStore, createSimulator, organizationNames, parseCidr, underCookieDomain,
  type ApplicationService, type RelationshipChecker, type SessionStore, type Simulator,
} from '../forwardauth/index.ts'
import type { ForwardAuthMount } from '../http/index.ts'
import { LOCAL_SUBJECT_PREFIX, PORTAL_CALLBACK_PATH, PORTAL_CLIENT_ID, relationshipUser, type SignedInIdentity, type SignedInResolver, type TrustedIssuers } from '../identity/index.ts'
import type { Store } from '../store/index.ts'
import { openStore, type Core } from './core.ts'
import { bootstrapAdminSubject } from './local-accounts.ts'
import type { Logger } from './logger.ts'
import { countingDecisions, type ProductMetrics } from './metrics.ts'

export interface StartedForwardAuth {
  mount: ForwardAuthMount
  applications: ApplicationService
  /** The policy simulator behind POST /api/v1/forward-auth/applications/{id}/simulate. */
  simulate: Simulator
  sessions: SessionStore
}

/** The cookie domain, defaulting to the issuer's host; the issuer must be under it. */
export function cookieDomainOf(config: GatehouseConfig): string {
  const issuerHost = new URL(config.issuer).hostname
  const domain = config.forwardAuthCookieDomain === '' ? issuerHost : config.forwardAuthCookieDomain
  if (!underCookieDomain(issuerHost, domain)) {
    throw new ConfigError([`forwardAuthCookieDomain (${envVarFor('forwardAuthCookieDomain')}) ${domain} must contain the issuer's host ${issuerHost}: the sign-in sets the session cookie there`])
  }
  return domain
}

export function createApplicationAdmin(store: Store, onChange?: () => void, logger?: Logger): ApplicationService {
  return createApplicationService({
    repo: store.forwardAuthApps, onChange, audit: store.audit,
    onAuditError: (err) => logger?.warn({ err }, 'could not record an application change in the audit log'),
  })
}

/** For the CLI: the application service on the configured (migrated) database. */
export async function openApplicationAdmin(config: GatehouseConfig, logger?: Logger): Promise<{ applications: ApplicationService; close(): Promise<void> }> {
  const { store } = await openStore(config, logger)
  try {
    await store.migrate()
    return { applications: createApplicationAdmin(store), close: () => store.close() }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}

function engineRelations(core: Core, logger: Logger): RelationshipChecker {
  return {
    async check({ store, object, relation, identity }) {
      try {
        const answer = await core.authz.check(store, { tuple_key: { user: relationshipUser(identity.subject), relation, object } }) as { allowed?: boolean }
        return answer.allowed === true
      } catch (err) {
        // A missing store or model denies; the operator sees why in the log.
        logger.warn({ err, store, object, relation }, 'forward-auth relationship check failed')
        return false
      }
    },
  }
}

/** A mistyped range would silently trust nobody, or the wrong proxy: refuse to start instead. */
function checkTrustedProxies(config: GatehouseConfig): void {
  const bad = config.forwardAuthTrustedProxies.filter((c) => parseCidr(c) === null)
  if (bad.length > 0) {
    throw new ConfigError([`forwardAuthTrustedProxies (${envVarFor('forwardAuthTrustedProxies')}): not an IPv4/IPv6 address or CIDR range: ${bad.join(', ')}`])
  }
}

export function startForwardAuth(core: Core, identity: { signedIn: SignedInResolver; trusted: TrustedIssuers }, logger: Logger, metrics?: ProductMetrics): StartedForwardAuth {
  const { signedIn, trusted } = identity
  const config = core.config
  checkTrustedProxies(config)
  const cookieDomain = cookieDomainOf(config)
  const registry = createLiveRegistry({
    source: core.store.forwardAuthApps,
    onError: (err) => logger.error({ err }, 'stored forward-auth applications do not compile; keeping the previous set'),
  })
  const applications = createApplicationAdmin(core.store, () => registry.invalidate(), logger)
  const sessions = createSessionStore({
    repo: core.store.oidc, idleSeconds: config.forwardAuthIdleSeconds, maxSeconds: config.forwardAuthMaxSeconds,
    // Local accounts can be disabled or deleted; upstream users are ephemeral and end with their session.
    stillValid: async (identity) => {
      // A user who left every organization loses its sessions like a disabled local account.
      if (identity.accountType === 'user' && config.requireOrganization && identity.subject !== bootstrapAdminSubject(config) && !(await core.tenancy.admitted(identity.subject))) return false
      if (!identity.subject.startsWith(LOCAL_SUBJECT_PREFIX)) return true
      const account = await core.store.localAccounts.get(identity.subject.slice(LOCAL_SUBJECT_PREFIX.length))
      return account !== null && !account.disabled
    },
  })
  // The organization header: from the namespaced claim of identities Gatehouse itself issued.
  // One result per identity object: a cached bearer token hands out the same identity on every
  // request, and forward-auth keeps its encoded headers per identity object (identity-headers.ts).
  const withOrgs = new WeakMap<SignedInIdentity, SignedInIdentity & { organizations: string[] }>()
  const withOrganizations = (identity: SignedInIdentity | undefined) => {
    if (identity === undefined) return undefined
    let found = withOrgs.get(identity)
    if (found === undefined) withOrgs.set(identity, (found = { ...identity, organizations: organizationNames(identity.claims, config.claimNamespace) }))
    return found
  }
  const loginStart = `${config.issuer}/api/forward-auth/login`
  const returnPolicy = async () => {
    const current = await registry.current()
    return { isApplicationHost: current.isApplicationHost, cookieDomain }
  }
  const login = createLoginFlow({
    issuer: config.issuer, clientId: PORTAL_CLIENT_ID, callbackPath: PORTAL_CALLBACK_PATH, repo: core.store.oidc, sessions,
    redeem: async (code, redirectUri, verifier) => withOrganizations(await signedIn.redeemPortalCode(code, redirectUri, verifier)),
    returnPolicy,
  })
  const decisions = createForwardAuth({
    registry, sessions, relations: engineRelations(core, logger), bearer: async (token) => withOrganizations(await signedIn.bearer(token, config.forwardAuthBearerAudiences)) ?? (await trusted.verify(token)),
    cookieName: config.forwardAuthCookieName, cookieDomain,
    loginUrl: (returnUrl) => `${loginStart}?rd=${encodeURIComponent(returnUrl)}`,
    trustedProxies: config.forwardAuthTrustedProxies, adminGroups: config.forwardAuthAdminGroups,
    audit: core.store.audit, onAuditError: (err) => logger.warn({ err }, 'could not record a forward-auth denial'),
  })
  const service = metrics ? countingDecisions(decisions, metrics) : decisions
  const simulate = createSimulator({
    application: async (id) => {
      const { source: _s, version: _v, createdAt: _c, updatedAt: _u, ...spec } = await applications.get(id)
      return spec
    },
    relations: engineRelations(core, logger), cookieDomain,
    loginUrl: (returnUrl) => `${loginStart}?rd=${encodeURIComponent(returnUrl)}`,
    identityOf: async (subject) => {
      const claim = await core.tenancy.claims(subject, 'user')
      const organizations = claim.organizations.map((o) => o.name)
      if (!subject.startsWith(LOCAL_SUBJECT_PREFIX)) return { organizations }
      const account = await core.store.localAccounts.get(subject.slice(LOCAL_SUBJECT_PREFIX.length))
      return account === null ? { organizations } : { username: account.username, email: account.email ?? undefined, groups: account.groups, organizations }
    },
  })
  return {
    applications, simulate, sessions,
    mount: {
      service, login, sessions, issuer: config.issuer,
      // Unset, the cookie is host-only on the issuer (browsers refuse Domain= with an IP address).
      cookie: { name: config.forwardAuthCookieName, domain: config.forwardAuthCookieDomain === '' ? undefined : cookieDomain, secure: config.issuer.startsWith('https:'), maxAgeSeconds: config.forwardAuthMaxSeconds },
    },
  }
}
