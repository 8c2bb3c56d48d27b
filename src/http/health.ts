import type { FastifyInstance } from 'fastify'
import { AppError, CommonCodes } from '../lib/index.ts'
import type { PingableStore } from './authz-api.ts'

const PING_TIMEOUT_MS = 2000

/** /healthz: the process answers. /readyz: it can serve traffic (not draining, store answers). */
export function installHealth(app: FastifyInstance, store: PingableStore, ready: () => boolean): void {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { config: { public: true } }, async () => {
    if (!ready()) throw new AppError(CommonCodes.unavailable, 'shutting down', { status: 503 })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS)
    })
    try {
      await Promise.race([store.ping(), timeout])
    } catch (err) {
      app.log.warn({ err }, 'readiness check: store did not answer')
      throw new AppError(CommonCodes.unavailable, 'store is not answering', { status: 503 })
    } finally {
      clearTimeout(timer)
    }
    return { status: 'ready' }
  })
}
