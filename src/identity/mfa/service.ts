// Second factors of local accounts: enrolment (TOTP after one right code, passkeys after a
// verified registration), the check at sign-in (TOTP, passkey assertion or a recovery code, each
// good once, throttled like passwords), recovery codes, removal and the operator's reset.

import { AppError, CommonCodes, newUlid, systemClock, validationError, type Clock } from '../../lib/index.ts'
import type { JsonObject, LocalAccountsRepo, LocalMfaRepo, MfaFactorKind, MfaFactorRecord, OidcArtifactsRepo } from '../../store/index.ts'
import { createKeyCipher } from '../key-cipher.ts'
import { createLoginThrottle, type LoginThrottleOptions } from '../login-throttle.ts'
import { createPending, newRef } from './pending.ts'
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.ts'
import { newTotpSecret, normalizeTotpCode, totpQrSvg, totpUri, verifyTotp } from './totp.ts'
import {
  authenticationOptions, parseCredential, registrationOptions, relyingPartyOf, verifyAssertion, verifyRegistration,
} from './webauthn.ts'
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server'

export const MfaErrorCodes = {
  /** A wrong, reused or malformed code or passkey answer. */
  invalidFactor: 'mfa_invalid_factor',
  /** The enrolment step expired, was finished already, or belongs to another account. */
  enrolmentExpired: 'mfa_enrolment_expired',
  unknownFactor: 'mfa_unknown_factor',
  rateLimited: CommonCodes.rateLimited,
} as const

/** How the second step was passed, as RFC 8176 names it in `amr`. */
export type FactorAmr = 'otp' | 'hwk' | 'mfa'

/** A factor as shown to its owner and the operator: never a secret or key. */
export interface FactorView {
  id: string
  kind: MfaFactorKind
  label: string
  createdAt: Date
  lastUsedAt: Date | null
}

export interface Enrolled {
  factor: FactorView
  /** Present when the account had no recovery codes: show them once. */
  recoveryCodes?: string[]
}

export interface TotpEnrolment {
  ref: string
  secret: string
  uri: string
  qrSvg: string
}

/** What the user answers at the second step: a code (TOTP or recovery) or a passkey assertion. */
export interface FactorAnswer {
  code?: unknown
  credential?: unknown
  /** The challenge the passkey answered, as issued by assertionOptions. */
  challenge?: string
}

export interface MfaService {
  factors(username: string): Promise<FactorView[]>
  /** Whether the account must pass a second factor at sign-in. */
  enrolled(username: string): Promise<boolean>
  recoveryCodesLeft(username: string): Promise<number>
  beginTotp(username: string): Promise<TotpEnrolment>
  /** The enrolment started by beginTotp, again (after a wrong first code). */
  pendingTotp(username: string, ref: string): Promise<TotpEnrolment>
  confirmTotp(username: string, ref: string, code: unknown, label: unknown): Promise<Enrolled>
  beginPasskey(username: string): Promise<{ ref: string; options: PublicKeyCredentialCreationOptionsJSON }>
  finishPasskey(username: string, ref: string, credential: unknown, label: unknown): Promise<Enrolled>
  /** Options for navigator.credentials.get, or undefined when the account has no passkey. */
  assertionOptions(username: string): Promise<PublicKeyCredentialRequestOptionsJSON | undefined>
  /** Throws invalid_factor (401) or rate_limited (429); answers how the factor was passed. */
  verify(username: string, answer: FactorAnswer, context?: { address?: string }): Promise<FactorAmr>
  remove(username: string, id: string): Promise<void>
  /** A new set of ten, replacing the old; shown once. */
  regenerateRecoveryCodes(username: string): Promise<string[]>
  reset(username: string): Promise<{ factors: number; recoveryCodes: number }>
}

export interface MfaServiceOptions {
  repo: LocalMfaRepo
  /** Where enrolments in progress wait (shared by replicas). */
  pending: Pick<OidcArtifactsRepo, 'upsert' | 'find' | 'consume' | 'destroy'>
  /** Attempt windows, shared with password throttling. */
  attempts: Pick<LocalAccountsRepo, 'recordFailedAttempt' | 'countAttempts' | 'resetAttempts'>
  /** The server's secret key: TOTP secrets are encrypted with it; passkey user handles derive from it. */
  secretKey: string
  issuer: string
  clock?: Clock
  throttle?: Omit<LoginThrottleOptions, 'repo' | 'clock'>
}

const MAX_LABEL_LENGTH = 64

function checkLabel(label: unknown, fallback: string): string {
  const text = typeof label === 'string' ? label.trim() : ''
  if (text.length > MAX_LABEL_LENGTH || /[\u0000-\u001f\u007f]/.test(text)) throw validationError(`a name is at most ${MAX_LABEL_LENGTH} printable characters`)
  return text === '' ? fallback : text
}

const view = ({ id, kind, label, createdAt, lastUsedAt }: MfaFactorRecord): FactorView => ({ id, kind, label, createdAt, lastUsedAt })

// Attempt windows of the second step, apart from the password's. A username has no control
// characters, so these keys cannot collide with another counter's.
const attemptKey = (username: string) => `\u001fmfa\u001f${username}`

interface PendingEnrolment extends JsonObject {
  username: string
  kind: MfaFactorKind
  sealed?: string
  challenge?: string
}

export function createMfaService(options: MfaServiceOptions): MfaService {
  const { repo } = options
  const clock = options.clock ?? systemClock
  const rp = relyingPartyOf(options.issuer)
  const cipher = createKeyCipher(options.secretKey, { info: 'gatehouse mfa-secret encryption v1', what: 'second-factor secret' })
  const pending = createPending<PendingEnrolment>(options.pending, 'MfaEnrolment')
  const challenges = createPending<{ username: string; challenge: string }>(options.pending, 'MfaChallenge')
  const throttle = createLoginThrottle({ ...options.throttle, repo: options.attempts, clock })
  const key = (username: string) => username.normalize('NFKC').toLowerCase()
  const expired = () => new AppError(MfaErrorCodes.enrolmentExpired, 'this enrolment expired or was finished already; start again', { status: 400 })
  const invalid = () => new AppError(MfaErrorCodes.invalidFactor, 'the code or passkey was not accepted', { status: 401 })
  // A pending secret is sealed to its enrolment, the stored one to its factor id.
  const seal = (secret: string, boundTo: string) => cipher.encrypt(secret, `totp:${boundTo}`)
  const open = (sealed: string, boundTo: string) => cipher.decrypt(sealed, `totp:${boundTo}`)

  const mine = async (username: string, ref: string, kind: MfaFactorKind) => {
    const found = await pending.get(ref)
    if (!found || found.kind !== kind || key(found.username) !== key(username)) throw expired()
    return found
  }

  const totpView = (username: string, ref: string, secret: string): TotpEnrolment => {
    const uri = totpUri(secret, rp.name, username)
    return { ref, secret, uri, qrSvg: totpQrSvg(uri) }
  }

  /** Stores the factor, with a first set of recovery codes when the account has none. */
  const enrol = async (username: string, factor: Parameters<LocalMfaRepo['addFactor']>[1]): Promise<Enrolled> => {
    const codes = (await repo.countRecoveryCodes(username)) === 0 ? newRecoveryCodes() : undefined
    const added = await repo.addFactor(username, factor, codes?.map((c) => hashRecoveryCode(c)!))
    if (!added) throw new AppError(CommonCodes.notFound, `no local account ${username}`, { status: 404 })
    return codes === undefined ? { factor: view(added) } : { factor: view(added), recoveryCodes: codes }
  }

  async function check(username: string, answer: FactorAnswer, factors: MfaFactorRecord[]): Promise<FactorAmr | undefined> {
    const now = clock.now()
    if (answer.credential !== undefined && answer.credential !== '') {
      const response = parseCredential<AuthenticationResponseJSON>(answer.credential)
      const issued = typeof answer.challenge === 'string' ? await challenges.take(answer.challenge) : undefined
      if (!response || !issued || key(issued.username) !== key(username)) return undefined
      const factor = factors.find((f) => f.kind === 'webauthn' && f.credentialId === response.id)
      const counter = factor && (await verifyAssertion(rp, response, issued.challenge, factor))
      return factor && counter !== undefined && (await repo.useWebauthn(username, factor.id, counter, now)) ? 'hwk' : undefined
    }
    if (normalizeTotpCode(answer.code) !== undefined) {
      for (const factor of factors) {
        if (factor.kind !== 'totp' || factor.secretCiphertext === null) continue
        const step = await verifyTotp(open(factor.secretCiphertext, factor.id), answer.code, now, factor.lastStep)
        // The conditional update is what makes a code single-use across replicas.
        if (step !== undefined && (await repo.useTotpStep(username, factor.id, step, now))) return 'otp'
      }
      return undefined
    }
    if (normalizeRecoveryCode(answer.code) !== undefined) {
      return (await repo.consumeRecoveryCode(username, hashRecoveryCode(answer.code)!)) ? 'mfa' : undefined
    }
    return undefined
  }

  return {
    factors: async (username) => (await repo.listFactors(username)).map(view),
    enrolled: async (username) => (await repo.listFactors(username)).length > 0,
    recoveryCodesLeft: (username) => repo.countRecoveryCodes(username),

    async beginTotp(username) {
      const secret = newTotpSecret()
      const ref = newRef()
      await pending.put({ username, kind: 'totp', sealed: seal(secret, ref) }, ref)
      return totpView(username, ref, secret)
    },

    async pendingTotp(username, ref) {
      const found = await mine(username, ref, 'totp')
      return totpView(username, ref, open(found.sealed!, ref))
    },

    async confirmTotp(username, ref, code, label) {
      const name = checkLabel(label, 'Authenticator app')
      const found = await mine(username, ref, 'totp')
      const secret = open(found.sealed!, ref)
      const step = await verifyTotp(secret, code, clock.now(), null)
      if (step === undefined) throw invalid()
      if (!(await pending.take(ref))) throw expired()
      const id = newUlid()
      const enrolled = await enrol(username, { id, kind: 'totp', label: name, secretCiphertext: seal(secret, id) })
      // The code that proved the enrolment is spent: it cannot sign in as well.
      await repo.useTotpStep(username, id, step, clock.now())
      return enrolled
    },

    async beginPasskey(username) {
      const creation = await registrationOptions(rp, options.secretKey, username, await repo.listFactors(username))
      const ref = await pending.put({ username, kind: 'webauthn', challenge: creation.challenge })
      return { ref, options: creation }
    },

    async finishPasskey(username, ref, credential, label) {
      const name = checkLabel(label, 'Passkey')
      const found = await mine(username, ref, 'webauthn')
      const response = parseCredential<RegistrationResponseJSON>(credential)
      const passkey = response && (await verifyRegistration(rp, response, found.challenge!))
      if (!passkey) throw new AppError(MfaErrorCodes.invalidFactor, 'the passkey was not accepted; try again', { status: 400 })
      if (!(await pending.take(ref))) throw expired()
      return enrol(username, { id: newUlid(), kind: 'webauthn', label: name, ...passkey })
    },

    async assertionOptions(username) {
      const factors = await repo.listFactors(username)
      if (!factors.some((f) => f.kind === 'webauthn')) return undefined
      const options = await authenticationOptions(rp, factors)
      await challenges.put({ username, challenge: options.challenge }, options.challenge)
      return options
    },

    async verify(username, answer, context = {}) {
      // Decided before the answer is looked at, as for passwords.
      const attempt = await throttle.admit(attemptKey(username), context.address)
      const amr = await check(username, answer, await repo.listFactors(username))
      if (amr === undefined) {
        await attempt.failed()
        throw invalid()
      }
      await attempt.succeeded()
      return amr
    },

    async remove(username, id) {
      if (typeof id !== 'string' || !(await repo.removeFactor(username, id))) {
        throw new AppError(MfaErrorCodes.unknownFactor, 'no such factor on this account', { status: 404 })
      }
    },

    async regenerateRecoveryCodes(username) {
      if ((await repo.listFactors(username)).length === 0) throw validationError('recovery codes stand in for a second factor: add one first')
      const codes = newRecoveryCodes()
      if (!(await repo.replaceRecoveryCodes(username, codes.map((c) => hashRecoveryCode(c)!)))) {
        throw new AppError(CommonCodes.notFound, `no local account ${username}`, { status: 404 })
      }
      return codes
    },

    reset: (username) => repo.reset(username),
  }
}
