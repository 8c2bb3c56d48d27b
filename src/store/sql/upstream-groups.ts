// Each user's upstream groups (as their IdP last reported them) and the membership tuples that
// mirror them in the system store. Reconciling is read-compare-write, so two logins of one user
// must not interleave: PostgreSQL writes run at READ COMMITTED, hence the explicit row lock on the
// user's row before the previous groups are read (SQLite has a single writer anyway).

import { validationError } from '../../lib/index.ts'
import type { ReplaceUpstreamGroupsInput, UpstreamGroupsRecord, WriteResult } from '../types.ts'
import { auditRecordsOf, insertAuditRecords } from './audit-repo.ts'
import { parseJsonColumn } from './canonical.ts'
import { insertOutboxItems, validateOutboxItems } from './outbox-repo.ts'
import type { RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { unstorableString } from './json-text.ts'
import { writeTuplesInTx } from './tuples-write.ts'

interface GroupsRow {
  subject: string
  groups: unknown
  updated_at: number | string
  [column: string]: unknown
}

const GET = prepared('SELECT subject, groups, updated_at FROM upstream_groups WHERE subject = $1')
// A first login has no row to lock: an empty one is inserted, which makes a concurrent first
// login of the same user wait on the insert. Removed again when nothing is stored after all.
const ENSURE = prepared(`INSERT INTO upstream_groups (subject, groups, updated_at) VALUES ($1, '[]', $2) ON CONFLICT (subject) DO NOTHING`)
// A no-op update: takes the row lock, and on PostgreSQL returns the latest committed groups even
// when it had to wait for another login's transaction.
const LOCK = prepared('UPDATE upstream_groups SET updated_at = updated_at WHERE subject = $1 RETURNING groups')
const SAVE = prepared(
  `INSERT INTO upstream_groups (subject, groups, updated_at) VALUES ($1, $2, $3)
   ON CONFLICT (subject) DO UPDATE SET groups = excluded.groups, updated_at = excluded.updated_at`,
)
const DELETE = prepared('DELETE FROM upstream_groups WHERE subject = $1')

export async function readUpstreamGroups(ctx: RepoContext, subject: string): Promise<UpstreamGroupsRecord | undefined> {
  const rows = await ctx.db.all<GroupsRow>(GET, [subject])
  if (rows.length === 0) return undefined
  const row = rows[0]
  return { subject: row.subject, groups: parseJsonColumn(row.groups) as string[], updatedAt: new Date(Number(row.updated_at)) }
}

export async function replaceUpstreamGroups(
  ctx: RepoContext, input: ReplaceUpstreamGroupsInput,
): Promise<{ added: string[]; removed: string[] }> {
  const { subject, storeId } = input
  if (typeof subject !== 'string' || subject === '' || unstorableString(subject) !== undefined) {
    throw validationError('subject must be a non-empty string without U+0000 or lone surrogates')
  }
  if (typeof storeId !== 'string' || storeId === '') throw validationError('storeId must be a non-empty string')
  if (!Array.isArray(input.groups) || input.groups.some((g) => typeof g !== 'string' || unstorableString(g) !== undefined)) {
    throw validationError('groups must be strings without U+0000 or lone surrogates')
  }
  const next = sortedDistinct(input.groups)
  const outbox = validateOutboxItems(input.outbox ?? [])
  const { added, removed, written } = await ctx.db.write(async (tx) => {
    const now = ctx.clock.now()
    const created = (await tx.run(ENSURE, [subject, now.getTime()])) > 0
    const locked = created ? [] : await tx.all<GroupsRow>(LOCK, [subject])
    const previous = locked.length === 0 ? [] : (parseJsonColumn(locked[0].groups) as string[])
    const kept = new Set(next)
    const had = new Set(previous)
    const added = next.filter((g) => !had.has(g))
    const removed = previous.filter((g) => !kept.has(g))
    await insertOutboxItems(tx, outbox, now)
    if (added.length === 0 && removed.length === 0) {
      if (created) await tx.run(DELETE, [subject])
      return { added, removed, written: undefined }
    }
    const written: WriteResult = await writeTuplesInTx(ctx, tx, storeId, {
      writes: added.map((g) => input.tupleFor(g)),
      deletes: removed.map((g) => input.tupleFor(g)),
      onDuplicate: 'ignore',
      onMissing: 'ignore',
    })
    await tx.run(SAVE, [subject, JSON.stringify(next), now.getTime()])
    await insertAuditRecords(tx, auditRecordsOf([input.audit(added, removed)], now))
    return { added, removed, written }
  })
  if (written !== undefined && written.applied.length > 0) ctx.changes.emit(storeId, written.revision)
  return { added, removed }
}

/** Code point order, which is the byte order the databases sort these columns in. */
function sortedDistinct(groups: readonly string[]): string[] {
  return [...new Set(groups)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}
