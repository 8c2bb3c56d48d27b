// The upstream leg of a sign-in with openid-client: discovery (cached per provider), state,
// nonce and PKCE kept server-side as one-shot records bound to the interaction, the callback
// that validates the upstream id_token and reads userinfo, and the account snapshot that
// findAccount serves afterwards (users are ephemeral: nothing else knows them).

import { randomBytes } from 'node:crypto'
import { EXTERNAL_SUBJECT_PREFIX, externalSubject } from '../../lib/index.ts'
import * as oidc from 'openid-client'
import type { OidcArtifactsRepo, UserRecordsRepo } from '../../store/index.ts'
import { discoverEntra, EntraTenantRefused, entraSubject, fetchGraphGroups, hasGroupsOverage } from './microsoft.ts'
import type { UpstreamProvider } from './providers.ts'

/** Paths relative to the Gatehouse issuer. */
export const UPSTREAM_CALLBACK_PATH = '/login/callback'

/** Store models (in the oidc artefacts table; names never used by oidc-provider). */
export const UPSTREAM_MODELS = {
  state: 'GatehouseUpstreamState',
  handoff: 'GatehouseUpstreamHandoff',
  account: 'GatehouseUpstreamAccount',
} as const

export { EXTERNAL_SUBJECT_PREFIX, externalSubject } from '../../lib/index.ts'

/** What findAccount serves for an upstream user. */
export interface UpstreamAccount {
  subject: string
  email?: string
  emailVerified?: boolean
  name?: string
  preferredUsername?: string
  groups: string[]
  upstream: { provider: string; issuer: string; sub: string }
}

/** What a completed callback hands to its interaction: an account, or an error for the client. */
export type Handoff = { accountId: string } | { error: 'access_denied'; description: string }

export type CallbackResult =
  | { ok: true; uid: string; ref: string }
  | { ok: false; status: number; title: string; message: string; /** Still open: the sign-in page can offer another provider. */ uid?: string }

export interface BeginRequest {
  uid: string
  providerId: string
  loginHint?: string
  /** The client asked for a fresh login (prompt=login, max_age): forward it upstream. */
  reauth?: boolean
}

export interface Federation {
  readonly providers: readonly UpstreamProvider[]
  /** The upstream authorization URL to send the browser to. */
  begin(request: BeginRequest): Promise<string>
  /** Completes the upstream leg at `${issuer}/login/callback?...`; `sourceIp` goes to the sign-in hook. */
  complete(callbackUrl: URL, sourceIp?: string): Promise<CallbackResult>
  /** What a completed callback handed to interaction `uid`; one use only. */
  takeHandoff(uid: string, ref: string): Promise<Handoff | undefined>
  account(subject: string): Promise<UpstreamAccount | undefined>
  /** Discovers the provider afresh, as a sign-in would: whether it answers, and why not. */
  probe(providerId: string): Promise<UpstreamHealth | undefined>
}

export interface UpstreamHealth {
  ok: boolean
  checkedAt: string
  /** Why discovery failed (the provider's own words or the network's). */
  error?: string
}

/** openid-client's message, with the HTTP status or network cause it keeps aside. */
function probeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause as { status?: unknown; code?: unknown; message?: unknown } | undefined
  const detail = typeof cause?.status === 'number' ? `HTTP ${cause.status}` : typeof cause?.code === 'string' ? cause.code : undefined
  return detail ? `${err.message} (${detail})` : err.message
}

/** A provider that does not answer within this is reported down rather than awaited. */
const PROBE_TIMEOUT_MS = 5_000

export interface FederationOptions {
  issuer: string
  providers: readonly UpstreamProvider[]
  oidc: OidcArtifactsRepo
  userRecords: UserRecordsRepo
  /** How long the account snapshot outlives a login (the longest token lifetime). */
  accountTtlSeconds: number
  /** Time allowed at the upstream; defaults to 10 minutes. */
  stateTtlSeconds?: number
  /** `providerId` when the failure happened at a known upstream (sign-in metrics count it there). */
  onError?: (err: unknown, providerId?: string) => void
  /**
   * Runs on every upstream sign-in before the account is handed to the interaction (tenancy
   * syncs the user's groups here). `allowed: false` ends the sign-in on a refusal page, so the
   * client is never given a code; a throw ends it on the generic problem page.
   */
  onSignIn?: (account: UpstreamAccount, providerId: string, context: { sourceIp?: string }) => Promise<{ allowed: boolean }>
}

/** The refusal page of a sign-in that tenancy turned away. */
export const NO_ORGANIZATION = {
  title: 'No organization',
  message: 'You signed in, but your account is not a member of any organization on this platform, so you cannot continue. ' +
    "Ask your organization's administrator to add you (or a group you belong to), or contact the platform administrator.",
} as const

/** Upstream group names as tenancy keys them: `<provider id>:<group>`, so two IdPs' "admins" differ. */
export function qualifiedGroups(providerId: string, groups: readonly string[]): string[] {
  return groups.map((g) => `${providerId}:${g}`)
}

interface StateRecord {
  uid: string
  provider: string
  verifier: string
  nonce: string
  [key: string]: unknown
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** A claim by name, or by dotted path for providers that nest groups (`realm_access.roles`). */
function pickClaim(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name]
  return name.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), claims)
}

function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : []
}

const isLoopbackHttp = (issuer: string) => {
  const url = new URL(issuer)
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}

/** One-shot: true for exactly one caller; the record is gone afterwards. */
async function takeOnce(repo: OidcArtifactsRepo, model: string, id: string): Promise<Record<string, unknown> | undefined> {
  const record = await repo.find(model, id)
  if (!record || record.consumed !== undefined) return undefined
  if (!(await repo.consume(model, id))) return undefined
  await repo.destroy(model, id)
  return record
}

const refusal = (status: number, title: string, message: string, uid?: string): CallbackResult => ({ ok: false, status, title, message, ...(uid === undefined ? {} : { uid }) })

const tenantRefused = (provider: UpstreamProvider) =>
  refusal(403, 'Sign-in refused', `Your ${provider.name} organization is not allowed to sign in here.`)

/** Discovery result: the configuration for authorization URLs and how to redeem a code. */
interface UpstreamClient {
  config: oidc.Configuration
  exchange(callbackUrl: URL, checks: oidc.AuthorizationCodeGrantChecks): Promise<{ tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers; config: oidc.Configuration }>
}

export function createFederation(options: FederationOptions): Federation {
  const { providers, oidc: repo } = options
  const stateTtl = options.stateTtlSeconds ?? 600
  const redirectUri = new URL(UPSTREAM_CALLBACK_PATH, options.issuer).href
  const configs = new Map<string, Promise<UpstreamClient>>()

  function discover(provider: UpstreamProvider): Promise<UpstreamClient> {
    const insecure = isLoopbackHttp(provider.issuer)
    if (provider.kind === 'microsoft') return discoverEntra({ ...provider, insecure })
    return oidc.discovery(new URL(provider.issuer), provider.clientId, undefined, oidc.ClientSecretPost(provider.clientSecret),
      insecure ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .then((config) => ({ config, exchange: async (url, checks) => ({ tokens: await oidc.authorizationCodeGrant(config, url, checks), config }) }))
  }

  function configuration(provider: UpstreamProvider): Promise<UpstreamClient> {
    let found = configs.get(provider.id)
    if (!found) {
      found = discover(provider)
      // A failed discovery is retried by the next sign-in instead of being remembered.
      found.catch(() => configs.delete(provider.id))
      configs.set(provider.id, found)
    }
    return found
  }

  const byId = (id: string) => providers.find((p) => p.id === id)

  async function handoff(uid: string, value: Handoff): Promise<CallbackResult> {
    const ref = randomBytes(32).toString('base64url')
    await repo.upsert(UPSTREAM_MODELS.handoff, ref, { uid, ...value }, stateTtl)
    return { ok: true, uid, ref }
  }

  function accountOf(provider: UpstreamProvider, claims: Record<string, unknown>, groups: string[]): UpstreamAccount {
    const iss = str(claims.iss)!
    const sub = provider.kind === 'microsoft' ? entraSubject(claims)! : str(claims.sub)!
    return {
      subject: externalSubject(iss, sub),
      email: str(claims.email),
      emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined,
      name: str(claims.name),
      preferredUsername: str(claims.preferred_username) ?? str(claims.email),
      groups,
      upstream: { provider: provider.id, issuer: iss, sub },
    }
  }

  /** What findAccount serves until the longest token ends; written only for admitted sign-ins. */
  async function snapshot(account: UpstreamAccount): Promise<void> {
    const { issuer, sub } = account.upstream
    await repo.upsert(UPSTREAM_MODELS.account, account.subject, { ...account }, options.accountTtlSeconds)
    await options.userRecords.recordLogin({ issuer, subject: sub, email: account.email, name: account.name, groups: account.groups }, new Date())
  }

  return {
    providers,

    async begin(request) {
      const provider = byId(request.providerId)
      if (!provider) throw new Error(`unknown upstream provider ${request.providerId}`)
      const { config } = await configuration(provider)
      const state = oidc.randomState()
      const record: StateRecord = { uid: request.uid, provider: provider.id, verifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce() }
      await repo.upsert(UPSTREAM_MODELS.state, state, record, stateTtl)
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: provider.scopes.join(' '),
        state,
        nonce: record.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(record.verifier),
        code_challenge_method: 'S256',
        ...(request.loginHint ? { login_hint: request.loginHint } : {}),
        ...(request.reauth ? { prompt: 'login' } : {}),
        // Google shows only accounts of this Workspace domain; the hd claim is still checked.
        ...(provider.hostedDomain ? { hd: provider.hostedDomain } : {}),
      })
      return url.href
    },

    async complete(callbackUrl, sourceIp) {
      const state = callbackUrl.searchParams.get('state')
      const record = state ? (await takeOnce(repo, UPSTREAM_MODELS.state, state)) as StateRecord | undefined : undefined
      if (!state || !record) {
        return refusal(400, 'Sign-in expired', 'This sign-in link is not valid any more: it expired or was already used. Go back to the application and start again.')
      }
      const provider = byId(record.provider)
      if (!provider) return refusal(400, 'Sign-in expired', 'This identity provider is no longer configured. Go back to the application and start again.')
      const upstreamError = callbackUrl.searchParams.get('error')
      if (upstreamError === 'access_denied') {
        // The user (or the upstream's policy) said no: the client learns it as OpenID Connect says.
        return handoff(record.uid, { error: 'access_denied', description: `${provider.name} did not allow the sign-in` })
      }
      if (upstreamError) {
        return refusal(400, 'Sign-in refused', `${provider.name} could not complete the sign-in (${upstreamError}).`, record.uid)
      }
      try {
        const upstream = await configuration(provider)
        const { tokens, config } = await upstream.exchange(callbackUrl, {
          pkceCodeVerifier: record.verifier,
          expectedState: state,
          expectedNonce: record.nonce,
          idTokenExpected: true,
        })
        const idClaims = tokens.claims() as Record<string, unknown> | undefined
        if (!idClaims) throw new Error('upstream returned no id_token')
        if (provider.kind === 'microsoft' && !provider.tenants.includes(str(idClaims.tid) ?? '')) return tenantRefused(provider)
        if (provider.hostedDomain !== undefined && str(idClaims.hd)?.toLowerCase() !== provider.hostedDomain) {
          return refusal(403, 'Sign-in refused', `Only ${provider.hostedDomain} accounts may sign in here with ${provider.name}.`)
        }
        let claims = { ...idClaims }
        if (config.serverMetadata().userinfo_endpoint) {
          const info = await oidc.fetchUserInfo(config, tokens.access_token, str(idClaims.sub)!)
          // The id_token's identifiers stay authoritative; userinfo adds profile and groups.
          const { sub: _sub, iss: _iss, oid: _oid, tid: _tid, hd: _hd, ...profile } = info
          claims = { ...idClaims, ...profile }
        }
        const groups = provider.kind === 'microsoft' && hasGroupsOverage(idClaims)
          ? await fetchGraphGroups(provider.graphUrl, tokens.access_token)
          : groupsOf(pickClaim(claims, provider.groupsClaim))
        const account = accountOf(provider, claims, groups)
        const verdict = await options.onSignIn?.(account, provider.id, sourceIp === undefined ? {} : { sourceIp })
        if (verdict && !verdict.allowed) return refusal(403, NO_ORGANIZATION.title, NO_ORGANIZATION.message)
        await snapshot(account)
        return await handoff(record.uid, { accountId: account.subject })
      } catch (err) {
        if (err instanceof EntraTenantRefused) return tenantRefused(provider)
        options.onError?.(err, provider.id)
        return refusal(400, 'Sign-in problem', `The sign-in at ${provider.name} could not be completed.`, record.uid)
      }
    },

    async takeHandoff(uid, ref) {
      const record = await takeOnce(repo, UPSTREAM_MODELS.handoff, ref)
      if (!record || record.uid !== uid) return undefined
      const accountId = str(record.accountId)
      if (accountId) return { accountId }
      return record.error === 'access_denied' ? { error: 'access_denied', description: str(record.description) ?? '' } : undefined
    },

    async account(subject) {
      if (!subject.startsWith(EXTERNAL_SUBJECT_PREFIX)) return undefined
      const record = await repo.find(UPSTREAM_MODELS.account, subject)
      return record ? (record as unknown as UpstreamAccount) : undefined
    },

    async probe(providerId) {
      const provider = providers.find((p) => p.id === providerId)
      if (!provider) return undefined
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS)
      })
      try {
        const found = discover(provider)
        await Promise.race([found, timeout])
        // A good discovery serves the next sign-in too.
        configs.set(provider.id, found)
        return { ok: true, checkedAt: new Date().toISOString() }
      } catch (err) {
        return { ok: false, checkedAt: new Date().toISOString(), error: probeError(err) }
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
