// The second step of a local sign-in, between the right password and the login handed to the
// provider. Its state is kept under the interaction's uid, which only the browser holding that
// interaction's cookie can name (interaction.ts checks both), so a password proven in one browser
// cannot be finished with a factor from another. A platform administrator without a factor,
// where the configuration asks for one, enrols here before the sign-in finishes.

import { AppError } from '../../lib/index.ts'
import type { LocalAccountsRepo } from '../../store/index.ts'
import type { LocalAccount } from '../local-accounts.ts'
import { challengePage, enrolPage, passkeyPageHeaders, recoveryCodesPage } from './pages.ts'
import { createPending } from './pending.ts'
import { MfaErrorCodes, type Enrolled, type FactorAmr, type MfaService } from './service.ts'

export type StepOutcome =
  | { kind: 'page'; status: number; html: string; headers?: Record<string, string> }
  /** The factor was passed (or enrolled): finish the login with these `amr` values. */
  | { kind: 'done'; account: LocalAccount; amr: string[] }
  /** Nothing is pending for this interaction (expired, finished, or never started). */
  | { kind: 'expired' }

export interface SecondFactorStep {
  /** After a right password: the page asking for the factor (or to enrol), or undefined to finish now. */
  afterPassword(uid: string, account: LocalAccount): Promise<StepOutcome | undefined>
  /** POST /interaction/:uid/mfa (`step`: verify, totp, passkey, continue). */
  answer(uid: string, form: Record<string, unknown>, address: string | undefined): Promise<StepOutcome>
}

export interface SecondFactorStepOptions {
  mfa: MfaService
  issuer: string
  pending: Parameters<typeof createPending>[0]
  accounts: Pick<LocalAccountsRepo, 'get'>
  /** Whether this account must have a second factor (platform administrators, when configured). */
  required?: (account: LocalAccount) => Promise<boolean>
}

interface SignInState {
  username: string
  /** verify: a factor is asked for; enrol: one must be added; enrolled: codes shown, Continue finishes. */
  stage: 'verify' | 'enrol' | 'enrolled'
  amr?: FactorAmr
  [key: string]: unknown
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '')

export function createSecondFactorStep(options: SecondFactorStepOptions): SecondFactorStep {
  const { mfa } = options
  const states = createPending<SignInState>(options.pending, 'MfaSignIn')
  const action = (uid: string) => `/interaction/${encodeURIComponent(uid)}/mfa`
  const headers = passkeyPageHeaders(options.issuer)
  const page = (status: number, html: string, extra: Record<string, string> = {}): StepOutcome => ({ kind: 'page', status, html, headers: { ...headers, ...extra } })

  async function challenge(uid: string, username: string, status = 200, error?: string, extra?: Record<string, string>): Promise<StepOutcome> {
    const [passkey, factors, codesLeft] = await Promise.all([mfa.assertionOptions(username), mfa.factors(username), mfa.recoveryCodesLeft(username)])
    return page(status, challengePage({
      action: action(uid), fields: { step: 'verify' }, error,
      passkey: passkey && { options: passkey, challenge: passkey.challenge },
      codes: factors.some((f) => f.kind === 'totp') || codesLeft > 0,
    }), extra)
  }

  async function enrol(uid: string, username: string, status = 200, error?: string, totpRef?: string): Promise<StepOutcome> {
    const totp = totpRef === undefined ? await mfa.beginTotp(username) : await mfa.pendingTotp(username, totpRef).catch(() => mfa.beginTotp(username))
    return page(status, enrolPage({
      totpAction: action(uid), passkeyAction: action(uid), fields: {}, totp, passkey: await mfa.beginPasskey(username), error,
      intro: 'This server asks platform administrators for a second factor. Add one to finish signing in.',
    }))
  }

  /** The account as it is now: disabled or deleted since the password means the sign-in is over. */
  async function current(username: string): Promise<LocalAccount | undefined> {
    const record = await options.accounts.get(username)
    if (!record || record.disabled) return undefined
    const { passwordHash: _hash, ...account } = record
    return account
  }

  async function done(uid: string, username: string, amr: FactorAmr): Promise<StepOutcome> {
    // Taken once: a second post of the same step finds nothing.
    if (!(await states.take(uid))) return { kind: 'expired' }
    const account = await current(username)
    return account ? { kind: 'done', account, amr: ['pwd', amr] } : { kind: 'expired' }
  }

  async function enrolled(uid: string, state: SignInState, result: Enrolled, amr: FactorAmr): Promise<StepOutcome> {
    await states.put({ ...state, stage: 'enrolled', amr }, uid)
    if (result.recoveryCodes === undefined) return done(uid, state.username, amr)
    return page(200, recoveryCodesPage({ codes: result.recoveryCodes, next: '', action: action(uid), fields: { step: 'continue' } }))
  }

  const failure = (err: unknown): { status: number; message: string; headers?: Record<string, string> } | undefined => {
    if (!(err instanceof AppError)) return undefined
    if (err.code === MfaErrorCodes.rateLimited) {
      const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
      return { status: 429, message: 'Too many attempts. Wait a while, then try again.', headers: retry === undefined ? undefined : { 'retry-after': String(retry) } }
    }
    if (err.code === MfaErrorCodes.invalidFactor) return { status: err.status, message: err.status === 401 ? 'That code or passkey was not accepted.' : err.message }
    if (err.status >= 400 && err.status < 500) return { status: err.status, message: err.message }
    return undefined
  }

  return {
    async afterPassword(uid, account) {
      if ((await mfa.factors(account.username)).length > 0) {
        await states.put({ username: account.username, stage: 'verify' }, uid)
        return challenge(uid, account.username)
      }
      if (!(await options.required?.(account))) return undefined
      await states.put({ username: account.username, stage: 'enrol' }, uid)
      return enrol(uid, account.username)
    },

    async answer(uid, form, address) {
      const state = await states.get(uid)
      if (!state) return { kind: 'expired' }
      const step = str(form.step)
      const { username } = state
      try {
        if (state.stage === 'verify') {
          const amr = await mfa.verify(username, { code: form.code, credential: form.credential, challenge: str(form.challenge) }, { address })
          return await done(uid, username, amr)
        }
        if (state.stage === 'enrolled') return step === 'continue' ? await done(uid, username, state.amr!) : { kind: 'expired' }
        // Enrolment: a TOTP code (with its ref) or a passkey registration.
        if (str(form.credential) !== '') return await enrolled(uid, state, await mfa.finishPasskey(username, str(form.ref), form.credential, form.label), 'hwk')
        return await enrolled(uid, state, await mfa.confirmTotp(username, str(form.ref), form.code, form.label), 'otp')
      } catch (err) {
        const problem = failure(err)
        if (!problem) throw err
        if (state.stage === 'verify') return challenge(uid, username, problem.status, problem.message, problem.headers)
        const again = err instanceof AppError && err.code === MfaErrorCodes.invalidFactor && str(form.credential) === '' ? str(form.ref) : undefined
        // A wrong first code is bad input to the enrolment form, not a failed sign-in: 400.
        const wrongCode = problem.status === 401
        return enrol(uid, username, wrongCode ? 400 : problem.status, wrongCode ? 'That code was not right. Check the time on your device, then try the next code.' : problem.message, again)
      }
    },
  }
}
