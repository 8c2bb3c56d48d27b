// SQLite backend (node:sqlite): the embedded default store, a file or :memory:.
// May import: src/lib, store types/errors, store/sql, node:sqlite.

import { systemClock, type Clock } from '../../lib/index.ts'
import { ChangeHub, consoleLogger, createSqlStore, loadMigrations } from '../sql/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Store, StoreLogger } from '../types.ts'
import { SqliteDatabase } from './database.ts'

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for a private in-memory database. */
  path: string
  logger?: StoreLogger
  clock?: Clock
  /** How long a writer waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number
  /** 'full' (default) or 'normal' (an OS crash or power loss may lose the last acknowledged writes). */
  synchronous?: 'full' | 'normal'
}

const migrations = loadMigrations(new URL('./migrations/', import.meta.url))

export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const logger = options.logger ?? consoleLogger
  let db: SqliteDatabase
  try {
    db = new SqliteDatabase({ path: options.path, busyTimeoutMs: options.busyTimeoutMs ?? 5000, synchronous: options.synchronous })
  } catch (err) {
    throw new StoreError(StoreErrorCodes.unavailable, `cannot open the SQLite database at ${options.path}`, { cause: err })
  }
  return createSqlStore({ db, migrations, clock: options.clock ?? systemClock, changes: new ChangeHub(logger) })
}

export { backupSqliteFile, type SqliteBackupResult } from './backup.ts'
