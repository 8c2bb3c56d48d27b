// Audit snapshots of upstream users: first and last login and what the last login carried.
// Never read for authorization; one upsert per login.

import type { UserRecord, UserRecordsRepo } from '../types.ts'
import { parseJsonColumn } from './canonical.ts'
import { pageSizeOf, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { decodeToken, encodeToken } from './tokens.ts'

interface UserRow {
  issuer: string
  subject: string
  email: string | null
  name: string | null
  last_groups: unknown
  first_login_at: number | string
  last_login_at: number | string
  login_count: number | string
  [column: string]: unknown
}

const COLUMNS = 'issuer, subject, email, name, last_groups, first_login_at, last_login_at, login_count'

const RECORD = prepared(
  `INSERT INTO user_records (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6, 1)
   ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, name = excluded.name,
     last_groups = excluded.last_groups, last_login_at = excluded.last_login_at, login_count = user_records.login_count + 1
   RETURNING ${COLUMNS}`,
)
const GET = prepared(`SELECT ${COLUMNS} FROM user_records WHERE issuer = $1 AND subject = $2`)
const LIST = prepared(
  `SELECT ${COLUMNS} FROM user_records WHERE issuer > $1 OR (issuer = $1 AND subject > $2) ORDER BY issuer, subject LIMIT $3`,
)

export function userRecordsRepo(ctx: RepoContext): UserRecordsRepo {
  const { db } = ctx
  return {
    async recordLogin(login, at) {
      const rows = await db.all<UserRow>(RECORD, [
        login.issuer, login.subject, login.email ?? null, login.name ?? null, JSON.stringify(login.groups), at.getTime(),
      ])
      return toRecord(rows[0])
    },

    async get(issuer, subject) {
      const rows = await db.all<UserRow>(GET, [issuer, subject])
      return rows.length === 0 ? null : toRecord(rows[0])
    },

    async list(page) {
      const size = pageSizeOf(page)
      const [issuer, subject] = page.continuationToken
        ? (decodeToken('userRecords', '', page.continuationToken, ['string', 'string']) as [string, string])
        : ['', '']
      const rows = await db.all<UserRow>(LIST, [issuer, subject, size + 1])
      return toPage(rows, size, toRecord, (last) => encodeToken('userRecords', '', [last.issuer, last.subject]))
    },
  }
}

function toRecord(row: UserRow): UserRecord {
  return {
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    name: row.name,
    groups: parseJsonColumn(row.last_groups) as string[],
    firstLoginAt: new Date(Number(row.first_login_at)),
    lastLoginAt: new Date(Number(row.last_login_at)),
    loginCount: Number(row.login_count),
  }
}
