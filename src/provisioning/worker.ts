// The delivery loop: leases due outbox rows, runs them a few at a time, and records each outcome
// — done, another attempt after an exponential backoff with jitter, or the dead letters when the
// failure is final, the attempts are used up or the event is too old. Leases outlive any single
// delivery (its timeout), so a row is never delivered by two workers at once unless one of them
// died; a dead worker's rows are taken up when their lease runs out.

import { newUuid, type Clock } from '../lib/index.ts'
import type { OutboxItem, OutboxRepo, StoreLogger } from '../store/index.ts'
import { DeliveryError } from './errors.ts'

export interface DeliveryPolicy {
  maxAttempts: number
  maxAgeMs: number
  initialBackoffMs: number
  maxBackoffMs: number
  concurrency: number
  pollIntervalMs: number
  /** How long a claimed row stays leased without a renewal (renewed every third of it while delivering). */
  leaseMs: number
}

export type DeliveryOutcome = 'done' | 'retry' | 'dead'

export interface WorkerOptions {
  outbox: OutboxRepo
  policy: DeliveryPolicy
  clock: Clock
  logger: StoreLogger & { info?(details: Record<string, unknown>, message: string): void }
  deliver(item: OutboxItem): Promise<string>
  /** Called after every attempt (metrics). */
  observe?(item: OutboxItem, outcome: DeliveryOutcome, seconds: number): void
}

export interface Worker {
  /** Looks for due rows now (new events on this process). */
  wake(): void
  /** Runs until everything due is delivered or waiting for a retry (tests, `gatehouse provisioning run`). */
  drain(): Promise<number>
  stop(): Promise<void>
}

/** Exponential, capped, with full jitter over the upper half so retries of many rows spread out. */
export function backoffMs(policy: DeliveryPolicy, attempts: number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempts - 1))
  const jittered = exp / 2 + Math.random() * (exp / 2)
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, policy.maxBackoffMs))
}

export function startWorker(options: WorkerOptions): Worker {
  const { outbox, policy, clock, logger } = options
  const owner = newUuid()
  let stopped = false
  let running: Promise<number> | undefined
  let timer: NodeJS.Timeout | undefined
  let again = false
  // Leases are short and renewed while a delivery runs: a worker killed mid-delivery holds its
  // rows only until the lease runs out, not for the longest a delivery could take.
  const inFlight = new Set<number>()
  const renewer = setInterval(() => {
    if (inFlight.size === 0) return
    outbox.renew([...inFlight], owner, policy.leaseMs).catch((err: unknown) => logger.warn({ err }, 'could not renew provisioning leases'))
  }, Math.max(1000, policy.leaseMs / 3))
  renewer.unref()

  async function attempt(item: OutboxItem): Promise<void> {
    const started = performance.now()
    let outcome: DeliveryOutcome = 'done'
    let detail: string
    let nextAttemptAt: Date | undefined
    try {
      detail = await options.deliver(item)
    } catch (err) {
      const final = !(err instanceof DeliveryError) || !err.retryable
      const tooOld = clock.now().getTime() - item.createdAt.getTime() >= policy.maxAgeMs
      detail = err instanceof Error ? err.message : String(err)
      if (!(err instanceof DeliveryError) && !isKnownError(err)) logger.error({ err, event: item.eventId, action: item.action }, 'provisioning delivery failed unexpectedly')
      if (final || tooOld || item.attempts >= policy.maxAttempts) {
        outcome = 'dead'
        if (!final) detail = `${detail} (gave up after ${item.attempts} attempts)`
      } else {
        outcome = 'retry'
        const retryAfter = err instanceof DeliveryError ? Number(err.details?.retryAfterMs) || undefined : undefined
        nextAttemptAt = new Date(clock.now().getTime() + backoffMs(policy, item.attempts, retryAfter))
      }
    }
    const seconds = (performance.now() - started) / 1000
    const finished = await outbox.finish(item.id, {
      owner, state: outcome, ...(nextAttemptAt ? { nextAttemptAt } : {}),
      attempt: { at: clock.now(), outcome, detail, durationMs: seconds * 1000 },
    })
    if (!finished) logger.warn({ event: item.eventId, action: item.action }, 'provisioning lease lost before the outcome was recorded; the event will be delivered again')
    if (outcome === 'dead') logger.warn({ event: item.eventId, action: item.action, target: item.target, subject: item.subject, detail }, 'provisioning event moved to the dead letters')
    options.observe?.(item, outcome, seconds)
  }

  /** One pass: claims and delivers until nothing is due. Returns how many attempts it made. */
  async function pass(): Promise<number> {
    let total = 0
    do {
      again = false
      for (;;) {
        if (stopped) return total
        // No more than can run at once: a leased row waiting its turn would use up its lease.
        const batch = await outbox.claim({ owner, leaseMs: policy.leaseMs, limit: policy.concurrency })
        if (batch.length === 0) break
        total += batch.length
        // Rows of one ordering key never share a batch (only each key's head is claimed).
        for (const item of batch) inFlight.add(item.id)
        await Promise.all(batch.map((item) => attempt(item).finally(() => inFlight.delete(item.id))))
      }
    } while (again && !stopped)
    return total
  }

  function run(): Promise<number> {
    if (running) {
      again = true
      return running
    }
    running = pass()
      .catch((err: unknown) => {
        logger.warn({ err }, 'provisioning worker could not reach the outbox; retrying')
        return 0
      })
      .finally(() => {
        running = undefined
        schedule()
      })
    return running
  }

  function schedule(): void {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(() => void run(), policy.pollIntervalMs)
    timer.unref()
  }

  schedule()
  return {
    wake: () => { if (!stopped) void run() },
    async drain() {
      let total = 0
      for (;;) {
        const n = await run()
        total += n
        if (n === 0 && !running) return total
      }
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
      clearInterval(renewer)
    },
  }
}

function isKnownError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}
