// The provisioning service: compiles the rules, turns events into outbox rows for the caller's
// transaction, runs the delivery worker, and answers the admin API (events, replay, preview) and
// the metrics.

import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { systemClock, type Clock } from '../lib/index.ts'
import type { ProvisioningConfig } from '../config/index.ts'
import type { OutboxItem, OutboxItemInput, Store, StoreLogger } from '../store/index.ts'
import { deliver, type DeliveryTargets } from './deliver.ts'
import { projectEvent, userEvent, type ProjectEventType, type ProvisioningEvent, type ProvisioningProject, type ProvisioningUser, type UserEventType } from './events.ts'
import { compileRules, fanOut, parseAction } from './rules.ts'
import { provisioningAdmin } from './admin.ts'
import { previewRules, type RulePreview } from './preview.ts'
import { startWorker, type DeliveryOutcome, type Worker } from './worker.ts'

export interface ProvisioningOptions {
  config: ProvisioningConfig
  store: Store
  /** Built from the configured targets (src/app wires the concrete clients). */
  targets: DeliveryTargets
  clock?: Clock
  logger: StoreLogger
}

export type Provisioning = ReturnType<typeof createProvisioning>

export function createProvisioning(options: ProvisioningOptions) {
  const { store, config } = options
  const clock = options.clock ?? systemClock
  const compiled = compileRules(config)
  const d = config.delivery
  const policy = {
    maxAttempts: d.maxAttempts, maxAgeMs: d.maxAgeSeconds * 1000, initialBackoffMs: d.initialBackoffSeconds * 1000,
    maxBackoffMs: d.maxBackoffSeconds * 1000, concurrency: d.concurrency, pollIntervalMs: d.pollIntervalMs,
    // Renewed while a delivery runs: this is how long a crashed worker's rows wait.
    leaseMs: 15_000,
  }
  const metrics = provisioningMetrics(store)
  let worker: Worker | undefined
  let pruneTimer: NodeJS.Timeout | undefined

  const ctx = { rules: compiled, targets: options.targets, outbox: store.outbox, audit: store.audit }

  function items(event: ProvisioningEvent): OutboxItemInput[] {
    const out = fanOut(compiled, event)
    if (out.length > 0) metrics.enqueued.inc({ type: event.type }, out.length)
    return out
  }

  const preview = (user: ProvisioningUser): RulePreview[] =>
    previewRules(compiled, userEvent('user.signed_in', user, clock), (target, rendered) => options.targets.incus(target).projectName(rendered))

  return {
    rules: compiled,
    admin: provisioningAdmin({ outbox: store.outbox, rules: compiled, preview, wake: () => worker?.wake() }),
    /** Whether any rule exists (callers skip building events otherwise). */
    enabled: compiled.rules.size > 0,
    metricsRegistry: metrics.registry,

    /** Outbox rows of a user event, for the transaction of the change that causes it. */
    userItems: (type: UserEventType, user: ProvisioningUser) => items(userEvent(type, user, clock)),
    projectItems: (type: ProjectEventType, project: ProvisioningProject) => items(projectEvent(type, project, clock)),

    /** Starts delivering (replicas may all run it: leases keep them apart). */
    start(): void {
      if (worker || compiled.rules.size === 0) return
      worker = startWorker({
        outbox: store.outbox, policy, clock, logger: options.logger,
        deliver: (item) => deliver(ctx, item),
        observe: (item, outcome, seconds) => metrics.observe(item, outcome, seconds),
      })
      worker.wake()
      const prune = async () => {
        try {
          await store.outbox.prune(new Date(clock.now().getTime() - d.retentionDays * 86_400_000))
        } catch (err) {
          options.logger.warn({ err }, 'could not prune delivered provisioning events')
        }
      }
      pruneTimer = setInterval(prune, 3_600_000)
      pruneTimer.unref()
    },
    /** After a commit that enqueued events: deliver them now rather than at the next poll. */
    wake: () => worker?.wake(),
    /** Delivers everything due now (tests and `gatehouse provisioning run`). */
    async drain(): Promise<number> {
      if (worker) return worker.drain()
      const once = startWorker({ outbox: store.outbox, policy, clock, logger: options.logger, deliver: (item) => deliver(ctx, item) })
      try {
        return await once.drain()
      } finally {
        await once.stop()
      }
    },
    async stop(): Promise<void> {
      clearInterval(pruneTimer)
      await worker?.stop()
      worker = undefined
    },

    /** What each rule would do for this user, without contacting anything downstream. */
    preview,
  }
}

function provisioningMetrics(store: Store) {
  const registry = new Registry()
  const deliveries = new Counter({
    name: 'gatehouse_provisioning_deliveries_total', help: 'Provisioning delivery attempts by target, action and outcome (done, retry, dead)',
    labelNames: ['target', 'action', 'outcome'] as const, registers: [registry],
  })
  const latency = new Histogram({
    name: 'gatehouse_provisioning_delivery_duration_seconds', help: 'Duration of provisioning delivery attempts by target',
    labelNames: ['target'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  })
  const enqueued = new Counter({
    name: 'gatehouse_provisioning_events_enqueued_total', help: 'Outbox rows written, by event type',
    labelNames: ['type'] as const, registers: [registry],
  })
  new Gauge({
    name: 'gatehouse_provisioning_queue_depth', help: 'Outbox rows by state (pending, dead)', labelNames: ['state'] as const, registers: [registry],
    async collect() {
      const stats = await store.outbox.stats()
      this.set({ state: 'pending' }, stats.pending)
      this.set({ state: 'dead' }, stats.dead)
      oldest.set(stats.oldestPendingAt === null ? 0 : (Date.now() - stats.oldestPendingAt.getTime()) / 1000)
    },
  })
  const oldest = new Gauge({ name: 'gatehouse_provisioning_oldest_pending_age_seconds', help: 'Age of the oldest undelivered provisioning event', registers: [registry] })
  return {
    registry, enqueued,
    observe(item: OutboxItem, outcome: DeliveryOutcome, seconds: number) {
      deliveries.inc({ target: item.target, action: parseAction(item.action)?.kind ?? 'unknown', outcome })
      latency.observe({ target: item.target }, seconds)
    },
  }
}
