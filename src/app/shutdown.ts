import type { Logger } from './logger.ts'
import type { RunningServer } from './server.ts'

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Resolves once SIGINT or SIGTERM has shut the server down gracefully. A second signal while
 * draining means the operator wants out now: exit 1 without waiting.
 */
export function closeOnSignal(server: RunningServer, logger: Logger): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let received: NodeJS.Signals | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      if (received !== undefined) {
        logger.warn({ signal }, 'second signal while shutting down; exiting now')
        process.exit(1)
      }
      received = signal
      logger.info({ signal }, 'shutting down: finishing in-flight requests')
      server.close().then(() => {
        for (const s of SIGNALS) process.off(s, onSignal)
        logger.info('shut down cleanly')
        resolve()
      }, reject)
    }
    for (const s of SIGNALS) process.on(s, onSignal)
  })
}
