// RFC 6238 time-based one-time passwords through otplib: SHA-1, 6 digits, 30-second steps (what
// every authenticator app reads from an otpauth:// URI). One step of clock drift is accepted either
// side; a code is good once: the caller stores the accepted step and passes it back as `afterStep`.

import { generate, generateSecret, generateURI, verify } from 'otplib'
import { renderSVG } from 'uqr'

export const TOTP_PERIOD_SECONDS = 30
/** Steps accepted before and after the current one, for phones whose clocks are a little off. */
export const TOTP_DRIFT_STEPS = 1
const DIGITS = 6

/** A new 160-bit secret, base32 (RFC 4226 recommends at least 128 bits; apps expect 160). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

/** The otpauth:// URI an authenticator app scans: `issuer` names the service, `account` the user. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret, digits: DIGITS, period: TOTP_PERIOD_SECONDS })
}

/** The URI as an SVG QR code (no script, no external resource: fine under the pages' CSP). */
export function totpQrSvg(uri: string): string {
  return renderSVG(uri, { border: 2, pixelSize: 4 })
}

/** Digits only; spaces and dashes people type between groups are dropped. */
export function normalizeTotpCode(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined
  const code = input.replace(/[\s-]/g, '')
  return new RegExp(`^\\d{${DIGITS}}$`).test(code) ? code : undefined
}

/** The code for `at` (tests and the operator's own checks). */
export function totpCode(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000), period: TOTP_PERIOD_SECONDS, digits: DIGITS })
}

/**
 * The time step the code belongs to, when it is right for `at` within the drift window and later
 * than `afterStep` (the last step accepted for this secret); undefined otherwise.
 */
export async function verifyTotp(secret: string, input: unknown, at: Date, afterStep: number | null): Promise<number | undefined> {
  const token = normalizeTotpCode(input)
  if (token === undefined) return undefined
  const tolerance = TOTP_DRIFT_STEPS * TOTP_PERIOD_SECONDS
  const result = await verify({
    secret, token, epoch: Math.floor(at.getTime() / 1000), period: TOTP_PERIOD_SECONDS, digits: DIGITS,
    epochTolerance: [tolerance, tolerance], ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  })
  // TOTP results carry the step (the union type also covers HOTP's, which has none).
  return result.valid && 'timeStep' in result ? result.timeStep : undefined
}
