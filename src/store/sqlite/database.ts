// node:sqlite adapted to SqlDatabase. One connection per store; every operation and transaction
// runs through a queue, because the shared repositories await between statements and another
// caller's statement on the same connection would otherwise land inside an open transaction.
//
// Two Store instances on one file in one process are not supported: the second one's
// busy_timeout wait blocks the event loop the first needs to finish its transaction.

import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Query, Row, SqlDatabase, SqlRunner } from '../sql/index.ts'
import { mapSqliteError } from './errors.ts'

export interface SqliteDatabaseOptions {
  path: string
  busyTimeoutMs: number
  /** 'full' (default): a commit is on disk before it is acknowledged; 'normal': faster, see below. */
  synchronous?: 'full' | 'normal'
}

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite'
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()
  readonly #runner: SqlRunner
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(options: SqliteDatabaseOptions) {
    this.#db = new DatabaseSync(options.path, { enableForeignKeyConstraints: true })
    // WAL with synchronous=FULL: the WAL is synced at every commit, so an acknowledged write
    // survives a crash of the process, of the OS, and power loss. NORMAL syncs only at
    // checkpoints: a crash of this process still loses nothing, but an OS crash or power loss can
    // lose the last commits (never corrupt the file). foreign_keys is per connection, hence here.
    const synchronous = options.synchronous === 'normal' ? 'NORMAL' : 'FULL'
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = ${synchronous};
      PRAGMA foreign_keys = ON;
      PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))};
    `)
    this.#runner = {
      all: async <R extends Row>(query: Query, params: readonly unknown[] = []) =>
        this.#call(() => this.#statement(query).all(...bind(params)) as R[]),
      values: async (query, params = []) =>
        this.#call(() => this.#statement(query, true).all(...bind(params)) as unknown as unknown[][]),
      run: async (query, params = []) => this.#call(() => Number(this.#statement(query).run(...bind(params)).changes)),
      exec: async (script) => this.#call(() => this.#db.exec(script)),
    }
  }

  all<R extends Row = Row>(query: Query, params?: readonly unknown[]): Promise<R[]> {
    return this.#exclusive(() => this.#runner.all<R>(query, params))
  }

  values(query: Query, params?: readonly unknown[]): Promise<unknown[][]> {
    return this.#exclusive(() => this.#runner.values(query, params))
  }

  run(query: Query, params?: readonly unknown[]): Promise<number> {
    return this.#exclusive(() => this.#runner.run(query, params))
  }

  exec(script: string): Promise<void> {
    return this.#exclusive(() => this.#runner.exec(script))
  }

  /** A deferred transaction: in WAL mode it reads one snapshot from its first statement on. */
  read<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#exclusive(() => this.#transaction('BEGIN', fn))
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so the transaction never fails half way with BUSY. */
  write<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#exclusive(() => this.#transaction('BEGIN IMMEDIATE', fn))
  }

  migrate(fn: (tx: SqlRunner) => Promise<void>): Promise<void> {
    return this.write(fn)
  }

  async announce(): Promise<void> {
    // One process owns the file; local listeners are told by the shared store after commit.
  }

  close(): Promise<void> {
    return this.#exclusive(() => {
      this.#closed = true
      this.#statements.clear()
      this.#db.close()
    })
  }

  async #transaction<T>(begin: string, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    await this.#runner.exec(begin)
    try {
      const result = await fn(this.#runner)
      await this.#runner.exec('COMMIT')
      return result
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw err
    }
  }

  #exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = this.#queue.then(() => {
      if (this.#closed) throw new StoreError(StoreErrorCodes.unavailable, 'the store is closed')
      return fn()
    })
    this.#queue = next.catch(() => undefined)
    return next
  }

  #call<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw mapSqliteError(err)
    }
  }

  /** `arrays`: rows as arrays of values (a statement prepared for one form is kept for that form). */
  #statement(query: Query, arrays = false): StatementSync {
    if (!query.prepare) return this.#prepare(query.text, arrays)
    const key = arrays ? `[]${query.text}` : query.text
    let statement = this.#statements.get(key)
    if (statement === undefined) {
      statement = this.#prepare(query.text, arrays)
      this.#statements.set(key, statement)
    }
    return statement
  }

  #prepare(text: string, arrays: boolean): StatementSync {
    const statement = this.#db.prepare(toSqlite(text))
    if (arrays) statement.setReturnArrays(true)
    return statement
  }
}

/** Shared SQL numbers its parameters $1, $2 ...; SQLite spells numbered parameters ?1, ?2 .... */
function toSqlite(text: string): string {
  return text.replace(/\$(\d+)/g, '?$1')
}

function bind(params: readonly unknown[]): SQLInputValue[] {
  return params.map((value) => {
    if (value === undefined) return null
    if (typeof value === 'boolean') return value ? 1 : 0
    return value as SQLInputValue
  })
}
