// The provisioning admin commands behind the API and CLI: list and show events with their
// attempts, replay one or every dead one, queue stats, the configured targets and rules, and the
// dry run for a user. Input is validated here; the HTTP routes only parse and reply.

import { z } from 'zod'
import { AppError, validationError } from '../lib/index.ts'
import type { OutboxItem, OutboxRepo, OutboxState } from '../store/index.ts'
import { ProvisioningCodes } from './errors.ts'
import type { ProvisioningUser } from './events.ts'
import type { RulePreview } from './preview.ts'
import type { CompiledRules } from './rules.ts'

export interface EventView {
  id: number
  event_id: string
  type: string
  subject: string
  target: string
  action: string
  state: OutboxState
  attempts: number
  next_attempt_at: string | null
  last_error: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
  history?: Array<{ at: string; outcome: string; detail: string; duration_ms: number }>
  payload?: unknown
}

function view(item: OutboxItem, full: boolean): EventView {
  const out: EventView = {
    id: item.id, event_id: item.eventId, type: item.eventType, subject: item.subject, target: item.target, action: item.action,
    state: item.state, attempts: item.attempts, next_attempt_at: item.state === 'pending' ? item.nextAttemptAt.toISOString() : null,
    last_error: item.lastError, created_at: item.createdAt.toISOString(), updated_at: item.updatedAt.toISOString(),
    finished_at: item.finishedAt?.toISOString() ?? null,
  }
  if (full) {
    out.history = item.history.map((h) => ({ at: h.at.toISOString(), outcome: h.outcome, detail: h.detail, duration_ms: h.durationMs }))
    out.payload = item.payload
  }
  return out
}

const text = z.string().min(1).max(512)
const listQuery = z.object({
  state: z.enum(['pending', 'done', 'dead']).optional(),
  target: text.optional(), subject: text.optional(), type: text.optional(), event_id: text.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** The admin lists' shared name for the page size (limit is the older one). */
  page_size: z.coerce.number().int().min(1).max(500).optional(),
  continuation_token: z.string().max(1000).optional(),
}).strict()

const previewBody = z.object({
  subject: text.optional(),
  issuer: text.optional(),
  username: z.string().min(1).max(255),
  email: z.string().max(320).optional(),
  name: z.string().max(512).optional(),
  groups: z.array(z.string().min(1).max(200)).max(1000).default([]),
  organizations: z.array(z.object({ id: text.optional(), name: text, groups: z.array(text).max(1000).default([]) }).strict()).max(200).default([]),
}).strict()

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  throw validationError(`${issue.path.join('.') || 'body'}: ${issue.message}`)
}

export function eventId(text: string): number {
  const id = Number(text)
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(id)) throw validationError('event id must be a positive whole number')
  return id
}

export interface ProvisioningAdminDeps {
  outbox: OutboxRepo
  rules: CompiledRules
  preview(user: ProvisioningUser): RulePreview[]
  /** After a replay: deliver now rather than at the next poll. */
  wake(): void
}

export function provisioningAdmin(deps: ProvisioningAdminDeps) {
  const { outbox } = deps
  const required = async (id: number): Promise<OutboxItem> => {
    const item = await outbox.get(id)
    if (item === undefined) throw new AppError(ProvisioningCodes.eventNotFound, `no provisioning event ${id}`, { status: 404 })
    return item
  }
  return {
    async list(query: unknown) {
      const q = parse(listQuery, query)
      const page = await outbox.list({
        state: q.state, target: q.target, subject: q.subject, eventType: q.type, eventId: q.event_id, limit: q.page_size ?? q.limit ?? 100,
        ...(q.continuation_token ? { continuationToken: q.continuation_token } : {}),
      })
      return { items: page.items.map((i) => view(i, false)), continuation_token: page.continuationToken }
    },
    async get(id: string) {
      return view(await required(eventId(id)), true)
    },
    async replay(id: string) {
      const n = eventId(id)
      const item = await required(n)
      if (item.state === 'pending') throw new AppError('provisioning_event_pending', `event ${n} is still pending; only finished events can be replayed`, { status: 409 })
      await outbox.replay({ id: n })
      deps.wake()
      return view(await required(n), true)
    },
    async replayDead(body: unknown) {
      const { target } = parse(z.object({ target: text.optional() }).strict(), body)
      const replayed = await outbox.replay({ state: 'dead', ...(target ? { target } : {}) })
      if (replayed > 0) deps.wake()
      return { replayed }
    },
    async stats() {
      const s = await outbox.stats()
      return {
        pending: s.pending, dead: s.dead, done: s.done, oldest_pending_at: s.oldestPendingAt?.toISOString() ?? null,
        by_target: s.byTarget,
      }
    },
    configuration() {
      return {
        targets: [...deps.rules.targets.values()].map((t) => ({ id: t.id, kind: t.kind, url: t.url })),
        rules: [...deps.rules.rules.values()].map((r) => ({
          id: r.id, on: [...r.on], when: r.when ?? null,
          actions: (['incusProject', 'tuples', 'groupSync', 'webhook'] as const).filter((k) => r[k] !== undefined),
        })),
      }
    },
    preview(body: unknown) {
      const b = parse(previewBody, body)
      const user: ProvisioningUser = {
        subject: b.subject ?? `preview:${b.username}`, issuer: b.issuer ?? '', username: b.username,
        ...(b.email ? { email: b.email } : {}), ...(b.name ? { name: b.name } : {}),
        groups: b.groups, upstreamGroups: b.groups,
        organizations: b.organizations.map((o) => ({ id: o.id ?? o.name, name: o.name, groups: o.groups })),
      }
      return { rules: deps.preview(user) }
    },
  }
}

export type ProvisioningAdmin = ReturnType<typeof provisioningAdmin>
