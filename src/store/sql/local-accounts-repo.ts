// Local accounts (bootstrap, break-glass) and their failed-login windows. Usernames are matched
// through a normalized key computed here, not by SQL lower(), which differs between the backends.
// Attempt counting is one upsert, so replicas sharing a database share the count.

import { validationError } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { LocalAccountProfile, LocalAccountRecord, LocalAccountsRepo } from '../types.ts'
import { pageSizeOf, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { unstorableString } from './json-text.ts'
import { insertOutboxItems, validateOutboxItems } from './outbox-repo.ts'
import { parseJsonColumn } from './canonical.ts'
import { decodeToken, encodeToken } from './tokens.ts'

interface AccountRow {
  username_key: string
  username: string
  password_hash: string
  disabled: boolean | number
  created_at: number | string
  updated_at: number | string
  last_login_at: number | string | null
  email: string | null
  groups: string
  [column: string]: unknown
}

const COLUMNS = 'username_key, username, password_hash, disabled, created_at, updated_at, last_login_at, email, groups'

const CREATE = prepared(
  `INSERT INTO local_accounts (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, NULL, $6, $7)
   ON CONFLICT (username_key) DO NOTHING RETURNING ${COLUMNS}`,
)
const GET = prepared(`SELECT ${COLUMNS} FROM local_accounts WHERE username_key = $1`)
const LIST = prepared(`SELECT ${COLUMNS} FROM local_accounts WHERE username_key > $1 ORDER BY username_key LIMIT $2`)
const SET_PASSWORD = prepared('UPDATE local_accounts SET password_hash = $2, updated_at = $3 WHERE username_key = $1')
const SET_PROFILE = prepared('UPDATE local_accounts SET email = $2, groups = $3, updated_at = $4 WHERE username_key = $1')
const SET_DISABLED = prepared('UPDATE local_accounts SET disabled = $2, updated_at = $3 WHERE username_key = $1')
const TOUCH_LOGIN = prepared('UPDATE local_accounts SET last_login_at = $2 WHERE username_key = $1')
const DELETE = prepared('DELETE FROM local_accounts WHERE username_key = $1')

// $3 is the start of the current window: an older window restarts at this failure.
const RECORD_FAILURE = prepared(
  `INSERT INTO local_login_attempts (username_key, window_started_at, failures) VALUES ($1, $2, 1)
   ON CONFLICT (username_key) DO UPDATE SET
     failures = CASE WHEN local_login_attempts.window_started_at > $3 THEN local_login_attempts.failures + 1 ELSE 1 END,
     window_started_at = CASE WHEN local_login_attempts.window_started_at > $3
       THEN local_login_attempts.window_started_at ELSE excluded.window_started_at END
   RETURNING failures`,
)
const COUNT_ATTEMPTS = prepared('SELECT failures FROM local_login_attempts WHERE username_key = $1 AND window_started_at > $2')
const RESET_ATTEMPTS = prepared('DELETE FROM local_login_attempts WHERE username_key = $1')
const PRUNE_ATTEMPTS = prepared('DELETE FROM local_login_attempts WHERE window_started_at < $1')

/** The case-insensitive identity of a username: compatibility-normalized, then lower-cased. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase()
}

export function localAccountsRepo(ctx: RepoContext): LocalAccountsRepo {
  const { db, clock } = ctx
  const now = (): number => clock.now().getTime()
  return {
    async create({ username, passwordHash, disabled = false, email = null, groups = [] }) {
      const key = usernameKey(username)
      if (key === '') throw validationError('username must not be empty')
      const profile = checkedProfile({ email, groups })
      const rows = await db.all<AccountRow>(CREATE, [key, username, passwordHash, disabled, now(), profile.email, JSON.stringify(profile.groups)])
      if (rows.length === 0) throw new StoreError(StoreErrorCodes.alreadyExists, `a local account named "${username}" already exists`)
      return toRecord(rows[0])
    },

    async get(username) {
      const rows = await db.all<AccountRow>(GET, [usernameKey(username)])
      return rows.length === 0 ? null : toRecord(rows[0])
    },

    async list(page) {
      const size = pageSizeOf(page)
      const after = page.continuationToken ? (decodeToken('localAccounts', '', page.continuationToken, ['string'])[0] as string) : ''
      const rows = await db.all<AccountRow>(LIST, [after, size + 1])
      return toPage(rows, size, toRecord, (last) => encodeToken('localAccounts', '', [last.username_key]))
    },

    async setPassword(username, passwordHash) {
      return (await db.run(SET_PASSWORD, [usernameKey(username), passwordHash, now()])) > 0
    },

    async setProfile(username, profile) {
      const checked = checkedProfile(profile)
      return (await db.run(SET_PROFILE, [usernameKey(username), checked.email, JSON.stringify(checked.groups), now()])) > 0
    },

    async setDisabled(username, disabled, outbox = []) {
      const items = validateOutboxItems(outbox)
      if (items.length === 0) return (await db.run(SET_DISABLED, [usernameKey(username), disabled, now()])) > 0
      return db.write(async (tx) => {
        const changed = (await tx.run(SET_DISABLED, [usernameKey(username), disabled, now()])) > 0
        if (changed) await insertOutboxItems(tx, items, clock.now())
        return changed
      })
    },

    async touchLogin(username, at) {
      return (await db.run(TOUCH_LOGIN, [usernameKey(username), at.getTime()])) > 0
    },

    async delete(username) {
      return (await db.run(DELETE, [usernameKey(username)])) > 0
    },

    async recordFailedAttempt(username, at, windowSeconds) {
      if (!(windowSeconds > 0)) throw validationError('the attempt window must be a positive number of seconds')
      const t = at.getTime()
      const rows = await db.all(RECORD_FAILURE, [usernameKey(username), t, t - Math.round(windowSeconds * 1000)])
      return Number(rows[0].failures)
    },

    async countAttempts(username, at, windowSeconds) {
      if (!(windowSeconds > 0)) throw validationError('the attempt window must be a positive number of seconds')
      const rows = await db.all(COUNT_ATTEMPTS, [usernameKey(username), at.getTime() - Math.round(windowSeconds * 1000)])
      return rows.length === 0 ? 0 : Number(rows[0].failures)
    },

    async resetAttempts(username) {
      await db.run(RESET_ATTEMPTS, [usernameKey(username)])
    },

    pruneAttempts: (before) => db.run(PRUNE_ATTEMPTS, [before.getTime()]),
  }
}

/** Both backends must store the same: strings PostgreSQL can hold, groups a list of strings. */
function checkedProfile(profile: LocalAccountProfile): LocalAccountProfile {
  const { email, groups } = profile
  if (email !== null && (typeof email !== 'string' || unstorableString(email) !== undefined)) throw validationError('email must be text')
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string') || unstorableString(groups) !== undefined) throw validationError('groups must be a list of text')
  return { email, groups: [...groups] }
}

function toRecord(row: AccountRow): LocalAccountRecord {
  const groups = parseJsonColumn(row.groups)
  return {
    username: row.username,
    passwordHash: row.password_hash,
    disabled: Boolean(row.disabled),
    email: row.email ?? null,
    groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    lastLoginAt: row.last_login_at === null ? null : new Date(Number(row.last_login_at)),
  }
}
