// People as administrators see them: local accounts, the upstream users Gatehouse has seen sign
// in, their organizations and their live sessions (OpenID Connect sessions here, others such as
// forward-auth's injected), with the actions an operator takes on them: end a session, disable or
// enable a local account, set or generate its password. Every action is audited.

import { createHash } from 'node:crypto'
import { AppError, CommonCodes, EXTERNAL_SUBJECT_PREFIX, LOCAL_SUBJECT_PREFIX, externalSubject, localSubject } from '../lib/index.ts'
import type { AuditEntryInput, LocalAccountsRepo, OidcArtifactsRepo, Page, UserRecordsRepo } from '../store/index.ts'
import type { LocalAccounts } from './local-accounts.ts'
import { generateSecret } from './secrets.ts'

export const PeopleErrorCodes = {
  /** No local account of that name (404). */
  accountNotFound: 'account_not_found',
  /** No live session with that id for the person (404). */
  sessionNotFound: 'session_not_found',
  /** The subject is neither `local:<username>` nor `ext:<id>` (400). */
  invalidSubject: 'invalid_subject',
} as const

/** oidc-provider models that hang off a grant: ending a session revokes its grants' tokens too. */
const GRANT_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'] as const
const MAX_SUBJECT_LENGTH = 512

export interface LocalAccountView {
  subject: string
  username: string
  disabled: boolean
  email: string | null
  groups: string[]
  createdAt: string
  lastLoginAt: string | null
}

export interface UpstreamUserView {
  subject: string
  issuer: string
  upstreamSubject: string
  email: string | null
  name: string | null
  groups: string[]
  firstLoginAt: string
  lastLoginAt: string
  loginCount: number
}

export interface SessionView {
  /** Opaque: never a cookie or token value. */
  id: string
  kind: 'oidc' | 'forward_auth'
  createdAt: string | null
  lastSeenAt: string | null
  expiresAt: string | null
  /** OpenID Connect: the clients the session signed in to. */
  clients?: string[]
}

/** Sessions kept elsewhere (forward-auth's portal sessions), listed and ended through the same API. */
export interface SessionSource {
  kind: SessionView['kind']
  list(subject: string): Promise<Array<{ id: string; createdAt: number; lastSeenAt: number; endsAt: number }>>
  revoke(subject: string, id: string): Promise<boolean>
}

export interface PersonView {
  subject: string
  kind: 'local' | 'upstream'
  account?: LocalAccountView
  organizations: Array<{ id: string; name: string; groups: string[] }>
  sessions: SessionView[]
}

/** Who acted, for the audit log. */
export interface ActionContext {
  actor: string
  sourceIp?: string
}

export interface PeopleOptions {
  repo: LocalAccountsRepo
  accounts: LocalAccounts
  userRecords: UserRecordsRepo
  oidc: OidcArtifactsRepo
  sessionSources?: SessionSource[]
  /** Organizations and group names the person belongs to (tenancy). */
  organizations(subject: string): Promise<PersonView['organizations']>
  /** Disables or enables with the change's provisioning events (user.disabled). */
  setDisabled?(username: string, disabled: boolean): Promise<boolean>
  audit: { append(entry: AuditEntryInput): Promise<unknown> }
  onAuditError?(err: unknown): void
}

export interface People {
  accounts(page: { pageSize: number; continuationToken?: string }): Promise<Page<LocalAccountView>>
  upstreamUsers(page: { pageSize: number; continuationToken?: string }): Promise<Page<UpstreamUserView>>
  get(subject: string): Promise<PersonView>
  sessions(subject: string): Promise<SessionView[]>
  revokeSession(subject: string, id: string, context: ActionContext): Promise<void>
  setDisabled(username: string, disabled: boolean, context: ActionContext): Promise<LocalAccountView>
  /** Sets the given password, or generates one and answers it (shown once). */
  resetPassword(username: string, password: string | undefined, context: ActionContext): Promise<{ account: LocalAccountView; generatedPassword?: string }>
}

const iso = (at: Date | number | null | undefined) => (at === null || at === undefined ? null : new Date(at).toISOString())
const handleOf = (sessionId: string) => createHash('sha256').update(`oidc-session:${sessionId}`).digest('base64url')

function checkSubject(subject: string): 'local' | 'upstream' {
  if (typeof subject === 'string' && subject.length <= MAX_SUBJECT_LENGTH) {
    if (subject.startsWith(LOCAL_SUBJECT_PREFIX) && subject.length > LOCAL_SUBJECT_PREFIX.length) return 'local'
    if (subject.startsWith(EXTERNAL_SUBJECT_PREFIX) && subject.length > EXTERNAL_SUBJECT_PREFIX.length) return 'upstream'
  }
  throw new AppError(PeopleErrorCodes.invalidSubject, 'a person is named by a subject such as local:ann or ext:…', { status: 400 })
}

export function createPeople(options: PeopleOptions): People {
  const { repo } = options
  const sources = options.sessionSources ?? []

  const audit = async (context: ActionContext, action: string, target: string, details?: Record<string, unknown>) => {
    try {
      await options.audit.append({
        actor: context.actor, actorType: context.actor === 'api' ? 'system' : 'user', action, target, outcome: 'success',
        ...(context.sourceIp ? { sourceIp: context.sourceIp } : {}), ...(details ? { details } : {}),
      })
    } catch (err) {
      // The change is committed: a failed audit write is reported, not turned into an error.
      options.onAuditError?.(err)
    }
  }

  const account = async (username: string): Promise<LocalAccountView> => {
    const record = await repo.get(username)
    if (!record) throw new AppError(PeopleErrorCodes.accountNotFound, `no local account ${username}`, { status: 404 })
    return {
      subject: localSubject(record.username), username: record.username, disabled: record.disabled, email: record.email, groups: record.groups,
      createdAt: record.createdAt.toISOString(), lastLoginAt: iso(record.lastLoginAt),
    }
  }

  const oidcSessions = async (subject: string) => (await options.oidc.listBySubject('Session', subject))
    .filter((row) => row.payload.accountId === subject)

  const sessions = async (subject: string): Promise<SessionView[]> => {
    checkSubject(subject)
    const oidc: SessionView[] = (await oidcSessions(subject)).map((row) => {
      const p = row.payload as { loginTs?: number; authorizations?: Record<string, unknown> }
      return {
        // The provider keeps no last-use time of a session.
        id: handleOf(row.id), kind: 'oidc',
        createdAt: iso(typeof p.loginTs === 'number' ? p.loginTs * 1000 : null),
        lastSeenAt: null,
        expiresAt: iso(row.expiresAt), clients: Object.keys(p.authorizations ?? {}).sort(),
      }
    })
    const others = await Promise.all(sources.map(async (source) => (await source.list(subject)).map((s): SessionView => ({
      id: s.id, kind: source.kind, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), expiresAt: iso(s.endsAt),
    }))))
    return [...oidc, ...others.flat()]
  }

  const endOidcSession = async (subject: string, id: string): Promise<boolean> => {
    const row = (await oidcSessions(subject)).find((r) => handleOf(r.id) === id)
    if (!row) return false
    await options.oidc.destroy('Session', row.id)
    const authorizations = (row.payload.authorizations ?? {}) as Record<string, { grantId?: unknown }>
    for (const { grantId } of Object.values(authorizations)) {
      if (typeof grantId !== 'string') continue
      for (const model of GRANT_MODELS) await options.oidc.revokeByGrantId(model, grantId)
      await options.oidc.destroy('Grant', grantId)
    }
    return true
  }

  return {
    async accounts(page) {
      const found = await repo.list(page)
      return {
        items: found.items.map((r) => ({
          subject: localSubject(r.username), username: r.username, disabled: r.disabled, email: r.email, groups: r.groups,
          createdAt: r.createdAt.toISOString(), lastLoginAt: iso(r.lastLoginAt),
        })),
        continuationToken: found.continuationToken,
      }
    },

    async upstreamUsers(page) {
      const found = await options.userRecords.list(page)
      return {
        items: found.items.map((r) => ({
          subject: externalSubject(r.issuer, r.subject), issuer: r.issuer, upstreamSubject: r.subject, email: r.email, name: r.name, groups: r.groups,
          firstLoginAt: r.firstLoginAt.toISOString(), lastLoginAt: r.lastLoginAt.toISOString(), loginCount: r.loginCount,
        })),
        continuationToken: found.continuationToken,
      }
    },

    async get(subject) {
      const kind = checkSubject(subject)
      const local = kind === 'local' ? await account(subject.slice(LOCAL_SUBJECT_PREFIX.length)) : undefined
      const [organizations, live] = await Promise.all([options.organizations(subject), sessions(subject)])
      return { subject, kind, ...(local ? { account: local } : {}), organizations, sessions: live }
    },

    sessions,

    async revokeSession(subject, id, context) {
      checkSubject(subject)
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
        throw new AppError(PeopleErrorCodes.sessionNotFound, 'no such session', { status: 404 })
      }
      let kind: SessionView['kind'] | undefined
      if (await endOidcSession(subject, id)) kind = 'oidc'
      else for (const source of sources) if (kind === undefined && (await source.revoke(subject, id))) kind = source.kind
      if (kind === undefined) throw new AppError(PeopleErrorCodes.sessionNotFound, `no live session ${id} of ${subject}`, { status: 404 })
      await audit(context, 'session.revoke', `user:${subject}`, { session: id, kind })
    },

    async setDisabled(username, disabled, context) {
      const before = await account(username)
      const changed = options.setDisabled ? await options.setDisabled(before.username, disabled) : await repo.setDisabled(before.username, disabled)
      if (!changed) throw new AppError(PeopleErrorCodes.accountNotFound, `no local account ${username}`, { status: 404 })
      await audit(context, disabled ? 'account.disable' : 'account.enable', `user:${before.subject}`)
      return { ...before, disabled }
    },

    async resetPassword(username, password, context) {
      if (password !== undefined && typeof password !== 'string') throw new AppError(CommonCodes.validation, 'password must be a string', { status: 400 })
      const before = await account(username)
      const generated = password === undefined ? generateSecret(18) : undefined
      if (!(await options.accounts.setPassword(before.username, password ?? generated!))) {
        throw new AppError(PeopleErrorCodes.accountNotFound, `no local account ${username}`, { status: 404 })
      }
      await audit(context, 'account.password_reset', `user:${before.subject}`, { generated: generated !== undefined })
      return generated === undefined ? { account: before } : { account: before, generatedPassword: generated }
    },
  }
}
