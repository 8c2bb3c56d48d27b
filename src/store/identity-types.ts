// The identity part of the storage contract: oidc-provider artefacts, signing keys, clients,
// local accounts and audit-only user records. No protocol knowledge lives here: payloads are
// opaque JSON and encryption/hashing happen above the store.

import type { OutboxItemInput } from './outbox-types.ts'
import type { Page, PageRequest } from './types.ts'

/** A JSON object as stored and returned (key order is not preserved). */
export type JsonObject = Record<string, unknown>

// ---- oidc-provider artefacts ----

/** Lookup columns kept beside an artefact's payload. */
export interface OidcArtifactRefs {
  grantId?: string
  /** Session uid; not unique (a re-login saves a new row with the same uid). */
  uid?: string
  /** Device flow user code; unique among live rows of a model. */
  userCode?: string
  /** Whose sign-in the row is (sessions), so they can be listed per person. */
  subject?: string
}

/** A live row found by subject. */
export interface OidcArtifactRow {
  id: string
  payload: OidcArtifactPayload
  /** Null: never expires. */
  expiresAt: Date | null
}

/** A stored payload; `consumed` (epoch seconds) is present once the artefact was consumed. */
export type OidcArtifactPayload = JsonObject & { consumed?: number }

/**
 * One table for every oidc-provider model (Session, Grant, AuthorizationCode, ...), keyed by
 * (model, id). Rows past their expiry are invisible to every read and to consume. Expiry is
 * computed from the store's clock.
 */
export interface OidcArtifactsRepo {
  /**
   * Inserts or replaces payload, expiry and refs in one statement, keeping consumed state.
   * `expiresInSeconds` undefined = never expires. A live row of the same model already holding
   * `refs.userCode` fails with write_conflict.
   */
  upsert(model: string, id: string, payload: JsonObject, expiresInSeconds: number | undefined, refs?: OidcArtifactRefs): Promise<void>
  /** The payload, plus `consumed` when consumed; undefined when missing or expired. */
  find(model: string, id: string): Promise<OidcArtifactPayload | undefined>
  /** The most recently written live row with this uid. */
  findByUid(model: string, uid: string): Promise<OidcArtifactPayload | undefined>
  findByUserCode(model: string, userCode: string): Promise<OidcArtifactPayload | undefined>
  /** Live rows of this model written with `refs.subject`, newest first, at most `limit` (default 100). */
  listBySubject(model: string, subject: string, limit?: number): Promise<OidcArtifactRow[]>
  /**
   * Marks a live, unconsumed row consumed with one conditional update. True for exactly one
   * caller however many race; false when already consumed, expired or missing.
   */
  consume(model: string, id: string): Promise<boolean>
  destroy(model: string, id: string): Promise<void>
  /** Deletes this model's rows of the grant in one statement; returns how many. */
  revokeByGrantId(model: string, grantId: string): Promise<number>
  /** Deletes rows that expired at or before `now` (pass now minus any clock tolerance); returns how many. */
  sweepExpired(now: Date): Promise<number>
}

// ---- signing keys ----

export type SigningKeyAlg = 'ES256' | 'RS256'

/** next: published, not signing yet; active: signs (one per alg); retired: published until expiresAt. */
export type SigningKeyStatus = 'next' | 'active' | 'retired'

export interface SigningKeyRecord {
  kid: string
  alg: SigningKeyAlg
  status: SigningKeyStatus
  publicJwk: JsonObject
  /** The private JWK, encrypted by the caller; the store never sees it in clear. */
  privateJwkCiphertext: string
  createdAt: Date
  activatedAt: Date | null
  retiredAt: Date | null
  /** When a retired key may be deleted (the last token it signed has expired). */
  expiresAt: Date | null
}

export interface SigningKeyRotation {
  /** Keys in state `next` that become `active` (activatedAt = at). */
  promote: string[]
  /** Keys in state `active` or `next` that become `retired` (retiredAt = at, expiresAt = retireUntil). */
  retire: string[]
  at: Date
  retireUntil: Date
}

export interface SigningKeysRepo {
  /** Every key, newest first. */
  list(): Promise<SigningKeyRecord[]>
  /**
   * Fails with write_conflict on a duplicate kid or a second `active` key of one alg (two
   * replicas generating first keys at once: the loser re-lists).
   */
  insert(record: SigningKeyRecord): Promise<void>
  /**
   * Retires, then promotes, in one transaction. If any key is not in the expected state (a
   * concurrent rotation won) nothing changes and it fails with write_conflict.
   */
  rotate(rotation: SigningKeyRotation): Promise<void>
  /** Deletes retired keys whose expiresAt is at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>
}

// ---- clients ----

export type OidcClientSource = 'api' | 'bootstrap' | 'cli'

export interface OidcClientInput {
  clientId: string
  /** oidc-provider client metadata without any secret (a `client_secret` key is refused). */
  metadata: JsonObject
  /** Hash of the confidential client's secret; null for public clients. */
  secretHash: string | null
  source: OidcClientSource
}

export interface OidcClientRecord extends OidcClientInput {
  createdAt: Date
  updatedAt: Date
}

export interface OidcClientsRepo {
  get(clientId: string): Promise<OidcClientRecord | null>
  /** Ordered by client id. */
  list(page: PageRequest): Promise<Page<OidcClientRecord>>
  /**
   * Creates or replaces in one statement. `changed` is false (and updatedAt untouched) when
   * metadata, secretHash and source already were equal, so bootstrap can run on every start.
   */
  upsert(input: OidcClientInput): Promise<{ client: OidcClientRecord; changed: boolean }>
  delete(clientId: string): Promise<boolean>
}

// ---- local accounts ----

export interface LocalAccountRecord {
  /** As created; lookups ignore case. */
  username: string
  passwordHash: string
  disabled: boolean
  /** Operator-set; what relying parties read as `email`. */
  email: string | null
  /** Operator-set group names, in the order given; what relying parties read as `groups`. */
  groups: string[]
  createdAt: Date
  updatedAt: Date
  lastLoginAt: Date | null
}

/** The parts of a local account that are not credentials. */
export interface LocalAccountProfile {
  email: string | null
  groups: string[]
}

/**
 * Bootstrap and break-glass accounts. Usernames match case-insensitively (Unicode NFKC, then
 * lower case). Methods returning boolean return false for an unknown username.
 */
export interface LocalAccountsRepo {
  /** Fails with already_exists (409) when the username is taken in any case. */
  create(input: { username: string; passwordHash: string; disabled?: boolean; email?: string | null; groups?: string[] }): Promise<LocalAccountRecord>
  get(username: string): Promise<LocalAccountRecord | null>
  /** Ordered by normalized username. */
  list(page: PageRequest): Promise<Page<LocalAccountRecord>>
  setPassword(username: string, passwordHash: string): Promise<boolean>
  /** Replaces email and groups. */
  setProfile(username: string, profile: LocalAccountProfile): Promise<boolean>
  /** `outbox`: provisioning events of the change (user.disabled), enqueued in its transaction when the account exists. */
  setDisabled(username: string, disabled: boolean, outbox?: OutboxItemInput[]): Promise<boolean>
  touchLogin(username: string, at: Date): Promise<boolean>
  delete(username: string): Promise<boolean>
  /**
   * Counts a failed login for the username (known or not) in a fixed window that starts at the
   * first failure after the previous window ended; returns the count in the current window.
   * Atomic across replicas.
   */
  recordFailedAttempt(username: string, now: Date, windowSeconds: number): Promise<number>
  /** The count recordFailedAttempt would have returned last, without counting: 0 outside a live window. */
  countAttempts(username: string, now: Date, windowSeconds: number): Promise<number>
  resetAttempts(username: string): Promise<void>
  /** Forgets attempt windows that started before `before`; returns how many. */
  pruneAttempts(before: Date): Promise<number>
}

// ---- second factors of local accounts ----

export type MfaFactorKind = 'totp' | 'webauthn'

/** A second factor of a local account. TOTP keeps an encrypted secret; a passkey its public key. */
export interface MfaFactorRecord {
  id: string
  kind: MfaFactorKind
  /** Chosen by the user, for telling factors apart. */
  label: string
  /** TOTP: the shared secret, encrypted by the caller (the store never sees it in clear). */
  secretCiphertext: string | null
  /** WebAuthn: the credential id and COSE public key, base64url; the signature counter; transports. */
  credentialId: string | null
  publicKey: string | null
  counter: number
  transports: string[]
  /** TOTP: the last time step accepted, so a code cannot be used twice. */
  lastStep: number | null
  createdAt: Date
  lastUsedAt: Date | null
}

export type MfaFactorInput = Pick<MfaFactorRecord, 'id' | 'kind' | 'label'> &
  Partial<Pick<MfaFactorRecord, 'secretCiphertext' | 'credentialId' | 'publicKey' | 'counter' | 'transports'>>

/**
 * Factors and recovery-code hashes per local account (case-insensitive usernames, as for the
 * account). Deleting the account deletes them. Every use is a conditional update, so two
 * replicas cannot both accept the same code.
 */
export interface LocalMfaRepo {
  /** Oldest first. Empty for an unknown account. */
  listFactors(username: string): Promise<MfaFactorRecord[]>
  /**
   * Adds a factor; with `recoveryCodeHashes`, replaces the account's recovery codes in the same
   * transaction. Null for an unknown account; already_exists (409) for a known id or credential id.
   */
  addFactor(username: string, factor: MfaFactorInput, recoveryCodeHashes?: string[]): Promise<MfaFactorRecord | null>
  /** Removes one factor; the recovery codes go with the last one. */
  removeFactor(username: string, id: string): Promise<boolean>
  /** Accepts a TOTP time step only if it is later than the last one accepted for the factor. */
  useTotpStep(username: string, id: string, step: number, at: Date): Promise<boolean>
  /** Records a passkey use: the counter must grow, unless the authenticator keeps none (both 0). */
  useWebauthn(username: string, id: string, counter: number, at: Date): Promise<boolean>
  /** Replaces the recovery codes; false for an unknown account. */
  replaceRecoveryCodes(username: string, hashes: string[]): Promise<boolean>
  /** Deletes the code with this hash: true exactly once. */
  consumeRecoveryCode(username: string, hash: string): Promise<boolean>
  countRecoveryCodes(username: string): Promise<number>
  /** Removes every factor and recovery code of the account (an operator's reset). */
  reset(username: string): Promise<{ factors: number; recoveryCodes: number }>
}

// ---- user records (audit only) ----

export interface UserLogin {
  /** Upstream issuer and subject: the record's key. */
  issuer: string
  subject: string
  email?: string
  name?: string
  groups: string[]
}

/** What was last seen of an upstream user. Audit only: never a source of authorization. */
export interface UserRecord {
  issuer: string
  subject: string
  email: string | null
  name: string | null
  groups: string[]
  firstLoginAt: Date
  lastLoginAt: Date
  loginCount: number
}

export interface UserRecordsRepo {
  /** Upserts by (issuer, subject): email, name and groups become those of this login. */
  recordLogin(login: UserLogin, at: Date): Promise<UserRecord>
  get(issuer: string, subject: string): Promise<UserRecord | null>
  /** Ordered by issuer, then subject. */
  list(page: PageRequest): Promise<Page<UserRecord>>
}
