// The portal's sign-in: an authorization-code request with PKCE to Gatehouse's own provider,
// under a one-shot state bound to a cookie on the issuer's host, then a session cookie on the
// cookie domain and a redirect to the page the visitor first asked for.

import { createHash, randomBytes } from 'node:crypto'
import { AppError } from '../lib/index.ts'
import type { OidcArtifactsRepo } from '../store/index.ts'
import { ForwardAuthErrorCodes } from './errors.ts'
import { checkReturnUrl, type ReturnUrlPolicy } from './return-url.ts'
import type { PortalSession, SessionStore } from './sessions.ts'

export const LOGIN_MODEL = 'ForwardAuthLogin'
const LOGIN_TTL_SECONDS = 600

export interface LoginFlowOptions {
  issuer: string
  clientId: string
  callbackPath: string
  repo: OidcArtifactsRepo
  sessions: SessionStore
  /** The identity, and the portal's ID token for the sign-out (kept with the session, not with the identity). */
  redeem(code: string, redirectUri: string, codeVerifier: string): Promise<(PortalSession['identity'] & { idToken?: string }) | undefined>
  returnPolicy(): Promise<ReturnUrlPolicy>
}

export interface LoginStart {
  /** Where the browser goes: the provider's authorization endpoint. */
  location: string
  /** Value of the short-lived state cookie (on the issuer host). */
  state: string
}

export interface LoginFinish {
  location: string
  /** Value of the session cookie (on the cookie domain). */
  sessionToken: string
  session: PortalSession
}

export interface LoginFlow {
  /** `fresh`: ask for a new sign-in even when one is open (switching to another user). */
  start(returnUrl: string, options?: { fresh?: boolean }): Promise<LoginStart>
  finish(query: Record<string, unknown>, stateCookie: string | undefined, context?: { userAgent?: string }): Promise<LoginFinish>
}

const badState = (message: string) => new AppError(ForwardAuthErrorCodes.badState, message, { status: 400 })

export function createLoginFlow(options: LoginFlowOptions): LoginFlow {
  const redirectUri = options.issuer + options.callbackPath

  const checkedReturn = async (candidate: string): Promise<string> => {
    const back = checkReturnUrl(candidate, await options.returnPolicy())
    if (!back.ok) throw new AppError(ForwardAuthErrorCodes.badReturnUrl, `cannot return to this URL: ${back.reason}`, { status: 400 })
    return back.url
  }

  return {
    async start(returnUrl, startOptions = {}) {
      const back = await checkedReturn(returnUrl)
      const state = randomBytes(24).toString('base64url')
      const verifier = randomBytes(32).toString('base64url')
      await options.repo.upsert(LOGIN_MODEL, state, { returnUrl: back, verifier }, LOGIN_TTL_SECONDS)
      const auth = new URL('/auth', options.issuer)
      auth.search = new URLSearchParams({
        client_id: options.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid email profile groups',
        state,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        ...(startOptions.fresh ? { prompt: 'login' } : {}),
      }).toString()
      return { location: auth.href, state }
    },

    async finish(query, stateCookie, context = {}) {
      const state = typeof query.state === 'string' ? query.state : ''
      if (state === '' || stateCookie === undefined || state !== stateCookie) {
        throw badState('this sign-in was not started in this browser, or it was already used: go back to the application and try again')
      }
      const record = await options.repo.find(LOGIN_MODEL, state) as { returnUrl: string; verifier: string } | undefined
      // One shot: a second callback with the same state finds nothing.
      if (!record || !(await options.repo.consume(LOGIN_MODEL, state))) throw badState('this sign-in expired or was already used: go back to the application and try again')
      if (typeof query.error === 'string') {
        throw new AppError(ForwardAuthErrorCodes.badCode, query.error === 'access_denied' ? 'sign-in was cancelled' : `sign-in failed: ${query.error}`, { status: 400, details: { error: query.error } })
      }
      const code = typeof query.code === 'string' ? query.code : ''
      const redeemed = code === '' ? undefined : await options.redeem(code, redirectUri, record.verifier)
      if (!redeemed) throw new AppError(ForwardAuthErrorCodes.badCode, 'the sign-in code was not accepted: go back to the application and try again', { status: 400 })
      // The registry may have changed while the visitor signed in.
      const location = await checkedReturn(record.returnUrl)
      const { idToken, ...identity } = redeemed
      const userAgent = context.userAgent?.slice(0, 300)
      const { token, session } = await options.sessions.create(identity, { ...(idToken ? { idToken } : {}), ...(userAgent ? { userAgent } : {}) })
      return { location, sessionToken: token, session }
    },
  }
}
