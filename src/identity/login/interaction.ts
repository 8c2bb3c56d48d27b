// Decides what the browser sees during a sign-in interaction: the local login form, its
// outcome, and consent. Forgery protection comes from oidc-provider: the interaction is found
// through its HttpOnly SameSite=Lax cookie scoped to /interaction/<uid>, and the uid in the URL
// must name that same interaction, so a form posted from another site finds nothing.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import { errors } from 'oidc-provider'
import { AppError } from '../../lib/index.ts'
import { localSubject } from '../accounts.ts'
import { peerAddress, type ClientAddress } from '../client-address.ts'
import { LocalAccountErrorCodes, type LocalAccount, type LocalAccounts } from '../local-accounts.ts'
import { ACR_VALUES } from '../provider.ts'
import { providerForEmail, UPSTREAM_PARAM, type OrganizationRoute } from '../upstream/providers.ts'
import { UPSTREAM_CALLBACK_PATH, type Federation } from '../upstream/federation.ts'
import type { SecondFactorStep } from '../mfa/sign-in.ts'
import type { Brand } from '../branding.ts'
import { consentPage, expiredPage, failurePage, loginPage, noOrganizationPage, upstreamProblemPage, type AppInfo, type LoginFormState } from './pages.ts'
import { clientInfo, organizationBrand, scopeRequests, type ResourceScopeText } from './page-context.ts'


export type InteractionOutcome =
  | { kind: 'page'; status: number; html: string; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string }

export interface Interactions {
  /** GET /interaction/:uid */
  show(req: IncomingMessage, res: ServerResponse, uid: string): Promise<InteractionOutcome>
  /** POST /interaction/:uid/login with the urlencoded form. */
  login(req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown>): Promise<InteractionOutcome>
  /** POST /interaction/:uid/mfa: the second factor of a local account (or its enrolment). */
  secondFactor(req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown>): Promise<InteractionOutcome>
  /** POST /interaction/:uid/consent with the urlencoded form (`decision=allow|deny`). */
  consent(req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown>): Promise<InteractionOutcome>
  /** POST /interaction/:uid/upstream: `email` (routed by domain) or `provider` (an upstream id). */
  upstream(req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown>): Promise<InteractionOutcome>
  /** GET /interaction/:uid/upstream/finish?ref=…: where the callback hands the account back. */
  upstreamFinish(req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown>): Promise<InteractionOutcome>
  /**
   * GET /login/callback: the upstream's redirect. The interaction cookie is scoped to
   * /interaction/<uid> and is not sent here, so the state record names the interaction.
   */
  callback(url: URL, sourceIp?: string, reference?: string): Promise<InteractionOutcome>
}

/** The fixed redirect URI to register at upstream providers (relative to the issuer). */
export const LOGIN_CALLBACK_PATH = UPSTREAM_CALLBACK_PATH

export interface InteractionOptions {
  /** The provider instance current now (it is replaced when the signing keys change). */
  provider: () => Provider
  localAccounts: LocalAccounts
  /** Upstream identity providers; absent when none are configured. */
  federation?: Federation
  /** Unexpected failures (store down, provider bugs): logged, never shown. */
  onError?: (err: unknown) => void
  /** The upstream an organization routes an email domain to; takes precedence over configured domains. */
  organizationRoute?: OrganizationRoute
  /**
   * Runs after a right password, before the login is handed to the provider (tenancy: is the
   * user a member anywhere?). `allowed: false` ends on the refusal page and the client gets no code.
   */
  /** A local sign-in refused for its credentials (wrong password, unknown, disabled or locked account). */
  /** A password sign-in failed: what was typed as the name, the error's code, the address. */
  onLocalSignInFailed?: (failure: { username: string; code: string; sourceIp?: string }) => void
  onLocalSignIn?: (account: LocalAccount, context: { sourceIp?: string }) => Promise<{ allowed: boolean }>
  /** The client's address for throttling (trusted proxies resolved); default the TCP peer. */
  clientAddress?: ClientAddress
  /** Second factors of local accounts (mfa/sign-in.ts); absent: the password alone signs in. */
  secondFactor?: SecondFactorStep
  /** The organization that claims an email domain, for its brand on the sign-in. */
  organizationOf?: (domain: string) => string | undefined
  /** An API's name and the registered description of one of its scopes, for the consent page. */
  resourceScope?: ResourceScopeText
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>

const page = (status: number, html: string, headers?: Record<string, string>): InteractionOutcome => ({ kind: 'page', status, html, headers })

const str = (value: unknown): string => (typeof value === 'string' ? value : '')

/** The request id the HTTP layer put on the answer: the reference a problem page shows. */
const reference = (res: ServerResponse): string | undefined => {
  const id = res.getHeader('x-request-id')
  return typeof id === 'string' ? id : undefined
}

/** What the user can act on for each refusal of the local accounts. */
function loginFailure(err: AppError): { status: number; message: string; headers?: Record<string, string> } | undefined {
  switch (err.code) {
    case LocalAccountErrorCodes.invalidCredentials:
      return { status: 401, message: 'Wrong username or password.' }
    case LocalAccountErrorCodes.rateLimited: {
      const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
      return {
        status: 429,
        message: 'Too many sign-in attempts. Wait a while, then try again.',
        headers: retry === undefined ? undefined : { 'retry-after': String(retry) },
      }
    }
    case LocalAccountErrorCodes.accountDisabled:
      return { status: 403, message: 'This account is disabled.' }
    case LocalAccountErrorCodes.localLoginDisabled:
      return { status: 403, message: 'Password sign-in is turned off on this server.' }
    default:
      return undefined
  }
}

export function createInteractions(options: InteractionOptions): Interactions {
  const { localAccounts } = options
  const clientAddress = options.clientAddress ?? peerAddress

  /** The interaction named by both the cookie and the URL, or undefined when gone or mismatched. */
  async function details(req: IncomingMessage, res: ServerResponse, uid: string): Promise<Details | undefined> {
    try {
      const found = await options.provider().interactionDetails(req, res)
      return found.uid === uid ? found : undefined
    } catch (err) {
      if (err instanceof errors.SessionNotFound) return undefined
      throw err
    }
  }

  const guarded = (fn: (req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown>) => Promise<InteractionOutcome>) =>
    async (req: IncomingMessage, res: ServerResponse, uid: string, form: Record<string, unknown> = {}): Promise<InteractionOutcome> => {
      try {
        return await fn(req, res, uid, form)
      } catch (err) {
        if (err instanceof errors.SessionNotFound) return page(400, expiredPage(reference(res)))
        options.onError?.(err)
        return page(500, failurePage(reference(res)))
      }
    }

  const clientName = (clientId: unknown) => clientInfo(options.provider(), clientId)
  const brandOf = (interaction: Details, email = ''): Brand | undefined => organizationBrand(interaction.params, email, options.organizationOf)

  /** Grants what the authorization request asked for and is still missing. */
  async function grantRequested(interaction: Details): Promise<string> {
    const accountId = interaction.session?.accountId
    const clientId = str(interaction.params.client_id)
    const { Grant } = options.provider()
    const grant = interaction.grantId ? await Grant.find(interaction.grantId) : new Grant({ accountId, clientId })
    if (!grant) throw new errors.SessionNotFound('grant not found')
    const wanted = interaction.prompt.details as {
      missingOIDCScope?: string[]
      missingOIDCClaims?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    if (wanted.missingOIDCScope) grant.addOIDCScope(wanted.missingOIDCScope.join(' '))
    if (wanted.missingOIDCClaims) grant.addOIDCClaims(wanted.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(wanted.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '))
    return grant.save()
  }

  const finish = async (req: IncomingMessage, res: ServerResponse, result: Parameters<Provider['interactionResult']>[2]): Promise<InteractionOutcome> =>
    ({ kind: 'redirect', location: await options.provider().interactionResult(req, res, result) })

  /** The local login, once every factor it needs is passed: `amr` says which. */
  const complete = async (req: IncomingMessage, res: ServerResponse, account: LocalAccount, sourceIp: string | undefined, amr: string[]): Promise<InteractionOutcome> => {
    const verdict = await options.onLocalSignIn?.(account, { sourceIp })
    if (verdict && !verdict.allowed) return page(403, noOrganizationPage(reference(res)))
    return finish(req, res, { login: { accountId: localSubject(account.username), amr, acr: ACR_VALUES[0] } })
  }

  const upstreams = (options.federation?.providers ?? []).map((p) => ({ id: p.id, name: p.name }))

  const loginState = (interaction: Details, uid: string, client: AppInfo, extra: Partial<LoginFormState> = {}): LoginFormState => ({
    uid,
    client,
    username: str(interaction.params.login_hint),
    email: str(interaction.params.login_hint).includes('@') ? str(interaction.params.login_hint) : '',
    upstreams,
    localLogin: localAccounts.enabled,
    brand: brandOf(interaction, extra.email),
    ...extra,
  })


  /** Sends the browser to the upstream, asking it to re-authenticate when the client asked us to. */
  const beginUpstream = async (federation: Federation, interaction: Awaited<ReturnType<typeof details>> & object, uid: string, providerId: string, loginHint: string | undefined): Promise<InteractionOutcome> => {
    const reasons = interaction.prompt.reasons ?? []
    const location = await federation.begin({ uid, providerId, loginHint, reauth: reasons.includes('max_age') || reasons.includes('login_prompt') })
    return { kind: 'redirect', location }
  }

  const notFound = () => page(404, upstreamProblemPage('Not available', 'Sign-in through another identity provider is not set up on this server.'))
  const expired = (res: ServerResponse, home?: string) => page(400, expiredPage(reference(res), home))

  return {
    show: guarded(async (req, res, uid) => {
      const interaction = await details(req, res, uid)
      if (!interaction) return expired(res)
      const client = await clientName(interaction.params.client_id)
      if (interaction.prompt.name === 'login') {
        // An upstream named in the request (the console's test sign-in) needs no page either.
        const named = str(interaction.params[UPSTREAM_PARAM])
        if (named !== '' && options.federation?.providers.some((p) => p.id === named)) return beginUpstream(options.federation, interaction, uid, named, undefined)
        // An email login_hint whose domain belongs to an upstream needs no page: straight there.
        const hint = str(interaction.params.login_hint).trim()
        const provider = options.federation && hint.includes('@') ? providerForEmail(options.federation.providers, hint, options.organizationRoute) : undefined
        if (provider && options.federation) return beginUpstream(options.federation, interaction, uid, provider.id, hint)
        return page(200, loginPage(loginState(interaction, uid, client)))
      }
      if (interaction.prompt.name === 'consent') {
        if (client.firstParty) return finish(req, res, { consent: { grantId: await grantRequested(interaction) } })
        // An API's scopes are asked for too: consent to them is what lets the client act there.
        const scopes = scopeRequests(interaction.prompt.details as Parameters<typeof scopeRequests>[0], options.resourceScope)
        return page(200, consentPage({ uid, client, scopes, brand: brandOf(interaction) }))
      }
      return finish(req, res, { error: 'access_denied', error_description: 'unsupported interaction' })
    }),

    login: guarded(async (req, res, uid, form) => {
      const interaction = await details(req, res, uid)
      if (!interaction) return expired(res)
      // The Cancel button: the client gets access_denied at its redirect URI, with its state.
      if (form.cancel !== undefined) return finish(req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' })
      if (interaction.prompt.name !== 'login') return { kind: 'redirect', location: `/interaction/${encodeURIComponent(uid)}` }
      const username = str(form.username).trim()
      const password = str(form.password)
      const client = await clientName(interaction.params.client_id)
      if (!localAccounts.enabled) {
        const failure = loginFailure(new AppError(LocalAccountErrorCodes.localLoginDisabled, 'local accounts are disabled on this server', { status: 403 }))!
        return page(failure.status, loginPage(loginState(interaction, uid, client, { error: failure.message })))
      }
      if (username === '' || password === '') {
        return page(400, loginPage(loginState(interaction, uid, client, { username, error: 'Enter your username and password.' })))
      }
      let account: LocalAccount
      const sourceIp = clientAddress(req)
      try {
        account = await localAccounts.verify(username, password, { address: sourceIp })
      } catch (err) {
        const failure = err instanceof AppError ? loginFailure(err) : undefined
        if (!failure) throw err
        options.onLocalSignInFailed?.({ username, code: err instanceof AppError ? err.code : 'unknown', ...(sourceIp ? { sourceIp } : {}) })
        return page(failure.status, loginPage(loginState(interaction, uid, client, { username, error: failure.message })), failure.headers)
      }
      const second = await options.secondFactor?.afterPassword(uid, account)
      if (second?.kind === 'page') return second
      return complete(req, res, account, sourceIp, ['pwd'])
    }),

    secondFactor: guarded(async (req, res, uid, form) => {
      const interaction = await details(req, res, uid)
      if (!interaction || !options.secondFactor) return expired(res)
      if (interaction.prompt.name !== 'login') return { kind: 'redirect', location: `/interaction/${encodeURIComponent(uid)}` }
      const sourceIp = clientAddress(req)
      const outcome = await options.secondFactor.answer(uid, form, sourceIp)
      if (outcome.kind === 'page') return outcome
      if (outcome.kind === 'expired') return expired(res)
      return complete(req, res, outcome.account, sourceIp, outcome.amr)
    }),

    consent: guarded(async (req, res, uid, form) => {
      const interaction = await details(req, res, uid)
      if (!interaction) return expired(res)
      if (interaction.prompt.name !== 'consent') return { kind: 'redirect', location: `/interaction/${encodeURIComponent(uid)}` }
      if (form.decision !== 'allow') {
        return finish(req, res, { error: 'access_denied', error_description: 'the user declined' })
      }
      return finish(req, res, { consent: { grantId: await grantRequested(interaction) } })
    }),

    upstream: guarded(async (req, res, uid, form) => {
      const federation = options.federation
      if (!federation) return notFound()
      const interaction = await details(req, res, uid)
      if (!interaction) return expired(res)
      if (interaction.prompt.name !== 'login') return { kind: 'redirect', location: `/interaction/${encodeURIComponent(uid)}` }
      const email = str(form.email).trim()
      const chosen = str(form.provider)
      const provider = chosen !== ''
        ? federation.providers.find((p) => p.id === chosen)
        : providerForEmail(federation.providers, email, options.organizationRoute)
      if (!provider) {
        const client = await clientName(interaction.params.client_id)
        const upstreamError = chosen !== ''
          ? 'That identity provider is not available. Choose another one.'
          : email === '' ? 'Enter your email address, or choose an identity provider.' : 'No identity provider is set up for this email domain. Choose one below.'
        return page(400, loginPage(loginState(interaction, uid, client, { email, upstreamError })))
      }
      return beginUpstream(federation, interaction, uid, provider.id, email.includes('@') ? email : undefined)
    }),

    upstreamFinish: guarded(async (req, res, uid, form) => {
      const federation = options.federation
      if (!federation) return notFound()
      const interaction = await details(req, res, uid)
      if (!interaction) return expired(res)
      const handoff = await federation.takeHandoff(uid, str(form.ref))
      if (!handoff || interaction.prompt.name !== 'login') return expired(res)
      if ('error' in handoff) return finish(req, res, { error: handoff.error, error_description: handoff.description })
      return finish(req, res, { login: { accountId: handoff.accountId, amr: ['fed'], acr: ACR_VALUES[1] } })
    }),

    async callback(url, sourceIp, reference) {
      const federation = options.federation
      if (!federation) return notFound()
      try {
        const result = await federation.complete(url, sourceIp)
        if (!result.ok) return page(result.status, upstreamProblemPage(result.title, result.message, reference, result.uid === undefined ? undefined : `/interaction/${encodeURIComponent(result.uid)}`))
        return { kind: 'redirect', location: `/interaction/${encodeURIComponent(result.uid)}/upstream/finish?ref=${encodeURIComponent(result.ref)}` }
      } catch (err) {
        options.onError?.(err)
        return page(500, failurePage(reference))
      }
    },
  }
}
