// Local accounts for bootstrap and break-glass logins: scrypt-hashed passwords, attempt
// throttling shared by every replica through the store, and one timing path whether or not the
// username exists, so a login form does not reveal which accounts there are.

import { AppError, CommonCodes, systemClock, validationError, type Clock } from '../lib/index.ts'
import { isStoreError, StoreErrorCodes, type LocalAccountProfile, type LocalAccountRecord, type LocalAccountsRepo, type OutboxItemInput } from '../store/index.ts'
import { createLoginThrottle, type LoginThrottleOptions } from './login-throttle.ts'
import { GENERATED_SECRET_PARAMS, generateSecret, hashSecret, needsRehash, PASSWORD_PARAMS, verifySecret, type ScryptParams } from './secrets.ts'

export const LocalAccountErrorCodes = {
  invalidCredentials: 'invalid_credentials',
  accountDisabled: 'account_disabled',
  localLoginDisabled: 'local_login_disabled',
  rateLimited: CommonCodes.rateLimited,
} as const

export const MIN_PASSWORD_LENGTH = 12
const MAX_PASSWORD_LENGTH = 1024
const MAX_USERNAME_LENGTH = 128

/** An account as shown to callers: never the hash. */
export type LocalAccount = Omit<LocalAccountRecord, 'passwordHash'>

export interface LocalAccountsOptions {
  repo: LocalAccountsRepo
  /** False turns every local login away (config switch once upstream IdPs are in place). */
  enabled?: boolean
  /** Throttling of wrong passwords per (username, address), per address and per username (login-throttle.ts). */
  throttle?: Omit<LoginThrottleOptions, 'repo' | 'clock'>
  hashParams?: ScryptParams
  clock?: Clock
  /**
   * Refuses a name a new account may not take (tenancy: reserved names, names of existing
   * projects) by throwing. Not applied to the configured bootstrap admin, whose default name
   * ("admin") is itself reserved so that nobody else can take it.
   */
  checkNewUsername?: (username: string) => void | Promise<void>
}

export interface BootstrapResult {
  created: boolean
  username: string
  /** Present only when this call created the account with a generated password: show it once. */
  generatedPassword?: string
}

export interface LocalAccounts {
  readonly enabled: boolean
  create(input: { username: string; password: string; disabled?: boolean } & Partial<LocalAccountProfile>): Promise<LocalAccount>
  setPassword(username: string, password: string): Promise<boolean>
  /** Replaces email and groups (validated: an email address, group names without control characters). */
  setProfile(username: string, profile: LocalAccountProfile): Promise<boolean>
  /** `outbox`: provisioning events of the change, committed with it. */
  setDisabled(username: string, disabled: boolean, outbox?: OutboxItemInput[]): Promise<boolean>
  /**
   * Checks a login from `address` (the client's, for throttling). Throws invalid_credentials
   * (401), account_disabled (403, only after the right password), local_login_disabled (403) or
   * rate_limited (429, details.retryAfterSeconds).
   */
  verify(username: string, password: string, context?: { address?: string }): Promise<LocalAccount>
  /** Creates the admin account unless it exists; never logs the password. */
  bootstrapAdmin(input: { username: string; password?: string }): Promise<BootstrapResult>
}

function checkUsername(username: string): void {
  if (typeof username !== 'string' || username.trim() === '' || username.length > MAX_USERNAME_LENGTH || /[\u0000-\u001f\u007f]/.test(username)) {
    throw validationError(`a username is 1 to ${MAX_USERNAME_LENGTH} printable characters`)
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw validationError(`a password is ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`)
  }
}

const MAX_GROUPS = 100

/** An operator-set email and groups: what relying parties will trust as `email` and `groups`. */
export function checkProfile(profile: Partial<LocalAccountProfile>): LocalAccountProfile {
  const email = profile.email ?? null
  if (email !== null && (typeof email !== 'string' || email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) {
    throw validationError('email must be an email address such as ann@example.com')
  }
  const groups = profile.groups ?? []
  if (!Array.isArray(groups) || groups.length > MAX_GROUPS) throw validationError(`groups is a list of at most ${MAX_GROUPS} names`)
  for (const g of groups) {
    if (typeof g !== 'string' || g.trim() === '' || g.length > 256 || /[\u0000-\u001f\u007f]/.test(g)) throw validationError('a group is 1 to 256 printable characters')
  }
  return { email, groups: [...new Set(groups)] }
}

function withoutHash({ passwordHash: _hash, ...rest }: LocalAccountRecord): LocalAccount {
  return rest
}

export function createLocalAccounts(options: LocalAccountsOptions): LocalAccounts {
  const { repo } = options
  const enabled = options.enabled ?? true
  const params = options.hashParams ?? PASSWORD_PARAMS
  // A password this module generates has 144 random bits: no brute force reaches it, so the cheap
  // parameters keep a first start fast. The first sign-in rehashes it with `params`, as it does any
  // hash with other parameters.
  const generatedParams = options.hashParams ?? GENERATED_SECRET_PARAMS
  const clock = options.clock ?? systemClock
  const throttle = createLoginThrottle({ ...options.throttle, repo, clock })

  // Unknown usernames are checked against this, so they cost one scrypt like known ones.
  let dummyHash: Promise<string> | undefined
  const dummy = () => (dummyHash ??= hashSecret(generateSecret(), params))

  const invalid = () => new AppError(LocalAccountErrorCodes.invalidCredentials, 'wrong username or password', { status: 401 })

  async function insert({ username, password, disabled, ...profile }: { username: string; password: string; disabled?: boolean } & Partial<LocalAccountProfile>, hashParams = params): Promise<LocalAccount> {
    checkUsername(username)
    checkPassword(password)
    const { email, groups } = checkProfile(profile)
    return withoutHash(await repo.create({ username, passwordHash: await hashSecret(password, hashParams), disabled, email, groups }))
  }

  const accounts: LocalAccounts = {
    enabled,

    async create(input) {
      checkUsername(input.username)
      checkProfile(input)
      await options.checkNewUsername?.(input.username)
      return insert(input)
    },

    async setPassword(username, password) {
      checkPassword(password)
      return repo.setPassword(username, await hashSecret(password, params))
    },

    setProfile: async (username, profile) => repo.setProfile(username, checkProfile(profile)),

    setDisabled: (username, disabled, outbox) => repo.setDisabled(username, disabled, outbox),

    async verify(username, password, context = {}) {
      if (!enabled) throw new AppError(LocalAccountErrorCodes.localLoginDisabled, 'local accounts are disabled on this server', { status: 403 })
      if (typeof username !== 'string' || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) throw invalid()
      // Decided before the password is looked at, so a throttled caller learns nothing about it.
      const attempt = await throttle.admit(username, context.address)
      const account = await repo.get(username)
      const matches = await verifySecret(password, account?.passwordHash ?? (await dummy()))
      if (!account || !matches) {
        await attempt.failed()
        throw invalid()
      }
      if (account.disabled) throw new AppError(LocalAccountErrorCodes.accountDisabled, 'this account is disabled', { status: 403 })
      await attempt.succeeded()
      const at = clock.now()
      await repo.touchLogin(username, at)
      if (needsRehash(account.passwordHash, params)) await repo.setPassword(username, await hashSecret(password, params))
      return { ...withoutHash(account), lastLoginAt: at }
    },

    async bootstrapAdmin({ username, password }) {
      checkUsername(username)
      if (await repo.get(username)) return { created: false, username }
      const generated = password === undefined ? generateSecret(18) : undefined
      try {
        const account = await insert({ username, password: password ?? generated! }, generated === undefined ? params : generatedParams)
        return generated === undefined ? { created: true, username: account.username } : { created: true, username: account.username, generatedPassword: generated }
      } catch (err) {
        // Another replica bootstrapped the same account first.
        if (isStoreError(err, StoreErrorCodes.alreadyExists)) return { created: false, username }
        throw err
      }
    },
  }
  return accounts
}
