// The audit log over HTTP (behind the preshared key like the rest of the admin API): newest
// first, filtered, paged with an opaque continuation token.
import type { FastifyInstance } from 'fastify'
import { AppError, CommonCodes } from '../../lib/index.ts'
import type { AuditFilter, AuditOutcome, AuditPage } from '../../store/index.ts'
import { listAnswer, type ListAnswer } from './lists.ts'

export interface AuditReader {
  list(filter: AuditFilter): Promise<AuditPage>
}

interface AuditQuery {
  action?: string
  actor?: string
  target?: string
  outcome?: string
  since?: string
  until?: string
  limit?: string
  /** The admin lists' shared name for limit. */
  page_size?: string
  continuation_token?: string
  /** Deprecated name of continuation_token. */
  cursor?: string
}

const OUTCOMES = new Set<AuditOutcome>(['success', 'denied', 'failure'])
const bad = (message: string) => new AppError(CommonCodes.validation, message, { status: 400 })

function instant(name: string, text: string | undefined): Date | undefined {
  if (text === undefined || text === '') return undefined
  const at = new Date(text)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at.getTime())) throw bad(`${name} must be an RFC 3339 time such as 2026-12-01T00:00:00Z`)
  return at
}

export function parseAuditQuery(q: AuditQuery): AuditFilter {
  for (const [key, value] of Object.entries(q)) {
    if (typeof value !== 'string') throw bad(`${key} may be given once`)
  }
  const size = q.page_size === undefined || q.page_size === '' ? q.limit : q.page_size
  const limit = size === undefined || size === '' ? 100 : Number(size)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw bad('page_size (limit) must be a whole number between 1 and 1000')
  if (q.outcome !== undefined && q.outcome !== '' && !OUTCOMES.has(q.outcome as AuditOutcome)) throw bad('outcome must be success, denied or failure')
  const text = (v: string | undefined) => (v === undefined || v === '' ? undefined : v)
  return {
    action: text(q.action), actor: text(q.actor), target: text(q.target),
    outcome: text(q.outcome) as AuditOutcome | undefined,
    since: instant('since', q.since), until: instant('until', q.until), limit, cursor: text(q.continuation_token) ?? text(q.cursor),
  }
}

/** A page of entries in the admin lists' shape (still also as `entries` and `cursor` for one release). */
export function auditAnswer(page: AuditPage): ListAnswer<AuditPage['entries'][number]> {
  return listAnswer(page.entries, page.cursor, { key: 'entries', tokenKey: 'cursor' })
}

export function auditRoutes(app: FastifyInstance, audit: AuditReader): void {
  app.get<{ Querystring: AuditQuery }>('/api/v1/audit', async (request) => auditAnswer(await audit.list(parseAuditQuery(request.query ?? {}))))
}
