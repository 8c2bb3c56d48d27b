// Password-guessing defence for local sign-in that nobody can turn against the account's owner.
// Counting per username alone let anyone keep the bootstrap admin out with five bad posts every
// five minutes; here the refusal (429) is per (username, client address) and per address, so a
// guesser is stopped at its own address while the owner signs in from theirs. Guessing spread
// over many addresses still adds up per username, and is answered with a growing delay, never a
// lock. Counters live in the store's attempt windows, shared by every replica.

import { AppError, CommonCodes, validationError, type Clock } from '../lib/index.ts'
import type { LocalAccountsRepo } from '../store/index.ts'

export interface LoginThrottleOptions {
  repo: Pick<LocalAccountsRepo, 'recordFailedAttempt' | 'countAttempts' | 'resetAttempts'>
  clock: Clock
  /** Attempts one address may make for one username per window; more get 429. Default 5. */
  maxAttempts?: number
  /** Wrong passwords one address may post per window, whatever the usernames; more get 429. Default 20. */
  maxAddressFailures?: number
  /** Wrong passwords for one username (all addresses) per window before answers slow down. Default 10. */
  slowDownAfter?: number
  /** Added per wrong password beyond slowDownAfter, in ms (default 250), up to maxDelayMs (default 3000). */
  delayStepMs?: number
  maxDelayMs?: number
  windowSeconds?: number
  /** Waits; replaced in tests. */
  sleep?: (ms: number) => Promise<void>
}

export interface LoginAttempt {
  /** The password was wrong (or the account unknown). */
  failed(): Promise<void>
  /** The password was right: this address's count for the username starts again. */
  succeeded(): Promise<void>
}

export interface LoginThrottle {
  /** Throws rate_limited (429, details.retryAfterSeconds) or waits, then lets the attempt go on. */
  admit(username: string, address: string | undefined): Promise<LoginAttempt>
}

// Keys of the attempt windows. A username cannot contain control characters, so none of these
// collides with a plain username key or with another counter's.
const pairKey = (username: string, address: string) => `${username}\u001f${address}`
const addressKey = (address: string) => `\u001faddress\u001f${address}`
const usernameKey = (username: string) => `\u001fusername\u001f${username}`

const positive = (name: string, value: number) => {
  if (!Number.isInteger(value) || value < 1) throw validationError(`${name} must be a positive whole number`)
  return value
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { repo, clock } = options
  const maxAttempts = positive('maxAttempts', options.maxAttempts ?? 5)
  const maxAddressFailures = positive('maxAddressFailures', options.maxAddressFailures ?? 20)
  const slowDownAfter = positive('slowDownAfter', options.slowDownAfter ?? 10)
  const step = options.delayStepMs ?? 250
  const maxDelay = options.maxDelayMs ?? 3000
  const windowSeconds = options.windowSeconds ?? 300
  if (!(windowSeconds > 0)) throw validationError('windowSeconds must be positive')
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const limited = () => new AppError(CommonCodes.rateLimited, 'too many login attempts; try again later', {
    status: 429,
    details: { retryAfterSeconds: Math.ceil(windowSeconds) },
  })

  return {
    async admit(username, address = 'unknown') {
      // Counted before the password is checked, so a success has to clear it.
      if ((await repo.recordFailedAttempt(pairKey(username, address), clock.now(), windowSeconds)) > maxAttempts) throw limited()
      if ((await repo.countAttempts(addressKey(address), clock.now(), windowSeconds)) >= maxAddressFailures) throw limited()
      const spread = await repo.countAttempts(usernameKey(username), clock.now(), windowSeconds)
      if (spread > slowDownAfter) await sleep(Math.min(maxDelay, (spread - slowDownAfter) * step))
      return {
        async failed() {
          await repo.recordFailedAttempt(addressKey(address), clock.now(), windowSeconds)
          await repo.recordFailedAttempt(usernameKey(username), clock.now(), windowSeconds)
        },
        succeeded: () => repo.resetAttempts(pairKey(username, address)),
      }
    },
  }
}
