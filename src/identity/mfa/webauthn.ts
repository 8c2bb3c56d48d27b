// WebAuthn passkeys through @simplewebauthn/server: the relying party is the issuer (its host is
// the rpId, its origin the only origin accepted), user verification is required, attestation is
// not asked for (any authenticator the user trusts will do). Whatever a browser posts is parsed
// defensively: a malformed or forged response is "not accepted", never an exception.

import { createHmac } from 'node:crypto'
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { MfaFactorRecord } from '../../store/index.ts'

/** Loaded at the first passkey step: a seventh of the start-up time, for a feature few accounts use. */
let library: Promise<typeof import('@simplewebauthn/server')> | undefined
const webauthn = () => (library ??= import('@simplewebauthn/server'))

/**
 * EdDSA, ES256, RS256, named so the library does not probe the runtime for post-quantum
 * algorithms (Node 24 answers that probe with an experimental-feature warning on stderr).
 */
const ALGORITHMS = [-8, -7, -257]
const TIMEOUT_MS = 120_000
/** A response is a few kilobytes; a larger posted value is not one. */
const MAX_RESPONSE_LENGTH = 32 * 1024

export interface RelyingParty {
  rpId: string
  origin: string
  name: string
}

export function relyingPartyOf(issuer: string): RelyingParty {
  const url = new URL(issuer)
  return { rpId: url.hostname, origin: url.origin, name: `Gatehouse (${url.host})` }
}

/** The same opaque user handle for every passkey of an account, revealing nothing of its name. */
function userHandle(secretKey: string, username: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHmac('sha256', secretKey).update(`webauthn user handle\n${username.normalize('NFKC').toLowerCase()}`).digest())
}

const passkeys = (factors: MfaFactorRecord[]) =>
  factors.filter((f) => f.kind === 'webauthn' && f.credentialId !== null).map((f) => ({ id: f.credentialId!, transports: f.transports }))

export async function registrationOptions(rp: RelyingParty, secretKey: string, username: string, existing: MfaFactorRecord[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await webauthn()
  return generateRegistrationOptions({
    rpName: rp.name, rpID: rp.rpId, userName: username, userDisplayName: username, userID: userHandle(secretKey, username),
    timeout: TIMEOUT_MS, attestationType: 'none', supportedAlgorithmIDs: ALGORITHMS,
    // Already registered authenticators say so instead of making a second credential.
    excludeCredentials: passkeys(existing) as { id: string; transports?: string[] }[],
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  })
}

export async function authenticationOptions(rp: RelyingParty, factors: MfaFactorRecord[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await webauthn()
  return generateAuthenticationOptions({ rpID: rp.rpId, timeout: TIMEOUT_MS, userVerification: 'required', allowCredentials: passkeys(factors) })
}

/** The browser's JSON (the form field), when it has the shape of a credential; else undefined. */
export function parseCredential<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(text: unknown): T | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_RESPONSE_LENGTH) return undefined
  try {
    const value = JSON.parse(text) as Partial<T>
    if (typeof value !== 'object' || value === null || typeof value.id !== 'string' || typeof value.rawId !== 'string') return undefined
    if (typeof value.response !== 'object' || value.response === null || value.type !== 'public-key') return undefined
    return value as T
  } catch {
    return undefined
  }
}

export interface NewPasskey {
  credentialId: string
  publicKey: string
  counter: number
  transports: string[]
}

export async function verifyRegistration(rp: RelyingParty, response: RegistrationResponseJSON, challenge: string): Promise<NewPasskey | undefined> {
  const { verifyRegistrationResponse } = await webauthn()
  try {
    const result = await verifyRegistrationResponse({
      response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId,
      requireUserVerification: true, supportedAlgorithmIDs: ALGORITHMS,
    })
    if (!result.verified) return undefined
    const { credential } = result.registrationInfo
    return {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: (credential.transports ?? []).filter((t): t is string => typeof t === 'string').slice(0, 8),
    }
  } catch {
    return undefined
  }
}

/** The authenticator's new signature counter when the assertion is good for `factor`. */
export async function verifyAssertion(rp: RelyingParty, response: AuthenticationResponseJSON, challenge: string, factor: MfaFactorRecord): Promise<number | undefined> {
  if (factor.kind !== 'webauthn' || factor.credentialId === null || factor.publicKey === null || response.id !== factor.credentialId) return undefined
  const { verifyAuthenticationResponse } = await webauthn()
  try {
    const result = await verifyAuthenticationResponse({
      response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: true,
      credential: { id: factor.credentialId, publicKey: new Uint8Array(Buffer.from(factor.publicKey, 'base64url')), counter: factor.counter, transports: factor.transports as never },
    })
    return result.verified ? result.authenticationInfo.newCounter : undefined
  } catch {
    return undefined
  }
}
