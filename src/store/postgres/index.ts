// PostgreSQL backend (pg): the production store for many replicas on one database.
// May import: src/lib, store types/errors, store/sql, pg.

import { createHash } from 'node:crypto'
import pg from 'pg'
import { newUuid, systemClock, validationError, type Clock } from '../../lib/index.ts'
import { ChangeHub, consoleLogger, createSqlStore, loadMigrations } from '../sql/index.ts'
import type { Store, StoreLogger } from '../types.ts'
import { PostgresDatabase } from './database.ts'
import { ChangeFeed } from './notifications.ts'

export interface PostgresStoreOptions {
  connectionString: string
  /** Keep every table in this schema (created by migrate); isolates tests and co-tenants. */
  schema?: string
  /** Connections in the pool (default 10); change notifications use one more. */
  poolSize?: number
  logger?: StoreLogger
  clock?: Clock
  /** Timeouts (ms); a timed-out request answers store_unavailable instead of hanging. */
  timeouts?: Partial<PostgresTimeouts>
}

export interface PostgresTimeouts {
  connectMs: number
  statementMs: number
  lockMs: number
  idleInTransactionMs: number
}

export const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = { connectMs: 10_000, statementMs: 30_000, lockMs: 5000, idleInTransactionMs: 60_000 }

export interface PostgresStore extends Store {
  /** Resolves once this process receives other processes' change notifications. */
  whenListening(): Promise<void>
}

const migrations = loadMigrations(new URL('./migrations/', import.meta.url))
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const { schema } = options
  // Validated rather than quoted: the name goes into a startup option and a channel name.
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw validationError('schema must be lowercase letters, digits and underscores (at most 48), starting with a letter or underscore')
  }
  const logger = options.logger ?? consoleLogger
  const timeouts = { ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    options: schema === undefined ? undefined : `-c search_path=${schema}`,
    connectionTimeoutMillis: timeouts.connectMs,
    // A server that vanished without closing the socket (frozen, cable pulled) is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
  })
  // An idle client losing its connection emits on the pool; a checked-out one (between the
  // statements of a transaction, or released but not yet destroyed) emits on the client itself,
  // where pg-pool listens only while the client is idle. Without a listener either would crash the
  // process; the transaction in flight then fails its next statement and is answered as unavailable.
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'))
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err }, 'PostgreSQL connection failed'))
  })

  const channel = changeChannel(schema)
  const instanceId = newUuid()
  const db = new PostgresDatabase({ pool, schema, channel, instanceId })
  // The feed connects when the first onChange listener subscribes (the hub calls back later).
  const hub = new ChangeHub(logger, () => feed.start())
  const feed = new ChangeFeed({ connectionString: options.connectionString, channel, instanceId, hub, logger })
  const store = createSqlStore({
    db,
    migrations,
    clock: options.clock ?? systemClock,
    changes: hub,
    beforeClose: () => feed.close(),
  })
  return Object.assign(store, { whenListening: () => feed.whenListening() })
}

/** PostgreSQL truncates identifiers to 63 bytes, and pg_notify refuses longer channel names. */
const MAX_CHANNEL = 63

/**
 * The NOTIFY channel of one schema. Readable while it fits; a longer schema name gets a fixed
 * prefix plus a hash of the name instead, so LISTEN and NOTIFY agree and never exceed the limit.
 * Every process derives the same name from the same schema.
 */
export function changeChannel(schema: string | undefined): string {
  const readable = `gatehouse.changes.${schema ?? 'public'}`
  if (readable.length <= MAX_CHANNEL) return readable
  return `gatehouse.changes.h.${createHash('sha256').update(schema ?? '').digest('hex').slice(0, 32)}`
}
