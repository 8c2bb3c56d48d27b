// Periodic clean-up every server runs: expired OpenID Connect artefacts, signing keys whose
// tokens have all expired, and old sign-in attempt windows. Each sweep is a single idempotent
// DELETE, so replicas sweeping the same database at once do no harm; jitter spreads them out.

import type { SigningKeys } from '../identity/index.ts'
import { systemClock, type Clock } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import type { Logger } from './logger.ts'

/** Artefacts are kept this long past their expiry, so a replica whose clock runs behind still finds them. */
export const SWEEP_TOLERANCE_MS = 60_000
/** Sign-in attempt windows older than this no longer count towards any rate limit. */
export const ATTEMPT_RETENTION_MS = 86_400_000

export interface MaintenanceOptions {
  store: Pick<Store, 'oidc' | 'localAccounts'>
  keys: Pick<SigningKeys, 'prune'>
  intervalMs: number
  logger: Pick<Logger, 'debug' | 'warn'>
  clock?: Clock
  /** Returns [0, 1); injectable so tests can pin the jitter. */
  random?: () => number
}

/** Rows each sweep deleted; undefined when that sweep failed. */
export interface MaintenanceReport {
  oidcArtifacts?: number
  signingKeys?: number
  signInAttempts?: number
}

export interface Maintenance {
  /** Runs every sweep once now. */
  runOnce(): Promise<MaintenanceReport>
  /** Runs the sweeps on a jittered schedule; the timer does not keep the process alive. */
  start(): void
  /** Stops the schedule and waits for a sweep in progress, so the store can close after it. */
  stop(): Promise<void>
}

export function createMaintenance(options: MaintenanceOptions): Maintenance {
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const { store, logger } = options

  async function sweep(name: keyof MaintenanceReport, run: () => Promise<number>, report: MaintenanceReport): Promise<void> {
    try {
      report[name] = await run()
    } catch (err) {
      // One failing sweep must not keep the others from running.
      logger.warn({ err, sweep: name }, 'maintenance sweep failed')
    }
  }

  async function runOnce(): Promise<MaintenanceReport> {
    const now = clock.now().getTime()
    const report: MaintenanceReport = {}
    await sweep('oidcArtifacts', () => store.oidc.sweepExpired(new Date(now - SWEEP_TOLERANCE_MS)), report)
    await sweep('signingKeys', () => options.keys.prune(), report)
    await sweep('signInAttempts', () => store.localAccounts.pruneAttempts(new Date(now - ATTEMPT_RETENTION_MS)), report)
    logger.debug({ deleted: report }, 'maintenance sweep done')
    return report
  }

  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false

  function schedule(delayMs: number): void {
    if (stopped) return
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined
        // Each wait is 0.5 to 1.5 intervals, so replicas started together drift apart.
        schedule(options.intervalMs * (0.5 + random()))
      })
    }, delayMs)
    timer.unref()
  }

  return {
    runOnce,
    start() {
      // The first sweep comes at a random point within the first interval.
      if (timer === undefined && !stopped) schedule(options.intervalMs * random())
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running?.catch(() => undefined)
    },
  }
}

/** Starts the sweeps on their jittered schedule. */
export function startMaintenance(options: MaintenanceOptions): Maintenance {
  const maintenance = createMaintenance(options)
  maintenance.start()
  return maintenance
}
