// LISTEN side of change notifications: one dedicated connection (a pooled one would drop the
// subscription when released), reconnected with backoff when it fails. Notifications sent while
// disconnected are lost: after every reconnect (not the first connect) the hub announces a resync
// so listeners re-read the revisions they depend on; callers that need certainty at any moment
// read changelog.revision() instead.

import pg from 'pg'
import type { ChangeHub } from '../sql/index.ts'
import type { StoreLogger } from '../types.ts'

export interface ChangeFeedOptions {
  connectionString: string
  channel: string
  instanceId: string
  hub: ChangeHub
  logger: StoreLogger
}

const MAX_BACKOFF_MS = 5000

export class ChangeFeed {
  readonly #options: ChangeFeedOptions
  #client: pg.Client | undefined
  #listening = false
  #waiters: (() => void)[] = []
  #started = false
  #closed = false
  #failures = 0
  #everListened = false
  #timer: NodeJS.Timeout | undefined

  constructor(options: ChangeFeedOptions) {
    this.#options = options
  }

  /** Idempotent: the first subscriber starts the connection. */
  start(): void {
    if (this.#started || this.#closed) return
    this.#started = true
    this.#connect()
  }

  /** Resolves once LISTEN is in effect (starting the feed if needed). */
  whenListening(): Promise<void> {
    this.start()
    if (this.#listening) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    const client = this.#client
    this.#client = undefined
    this.#listening = false
    await client?.end().catch(() => undefined)
  }

  #connect(): void {
    const client = new pg.Client({ connectionString: this.#options.connectionString })
    this.#client = client
    client.on('error', (err) => this.#lost(client, err))
    client.on('end', () => this.#lost(client, undefined))
    client.on('notification', (message) => this.#deliver(message))
    void (async () => {
      try {
        await client.connect()
        await client.query(`LISTEN ${quoteIdent(this.#options.channel)}`)
      } catch (err) {
        this.#lost(client, err)
        return
      }
      if (client !== this.#client) return
      this.#failures = 0
      this.#listening = true
      for (const resolve of this.#waiters.splice(0)) resolve()
      // LISTEN is in effect again, so anything committed from here on is heard; what was
      // committed while it was down is recovered by the listeners' resync.
      if (this.#everListened) this.#options.hub.resync()
      this.#everListened = true
    })()
  }

  #lost(client: pg.Client, err: unknown): void {
    if (client !== this.#client) return
    this.#client = undefined
    this.#listening = false
    // Keep a listener so a late socket error on the dead client cannot crash the process.
    client.on('error', () => undefined)
    client.end().catch(() => undefined)
    if (this.#closed) return
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#failures++)
    this.#options.logger.warn({ err, retryInMs: delay }, 'store change notifications disconnected; reconnecting')
    this.#timer = setTimeout(() => this.#connect(), delay)
    this.#timer.unref()
  }

  #deliver(message: pg.Notification): void {
    if (message.channel !== this.#options.channel || message.payload === undefined) return
    let parsed: unknown
    try {
      parsed = JSON.parse(message.payload)
    } catch {
      return
    }
    const { s, r, i } = (parsed ?? {}) as { s?: unknown; r?: unknown; i?: unknown }
    // Our own writes were already announced locally right after their commit.
    if (i === this.#options.instanceId || typeof s !== 'string' || typeof r !== 'number') return
    this.#options.hub.emit(s, r)
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
