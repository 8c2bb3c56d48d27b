// pg Pool adapted to SqlDatabase. Writes run at READ COMMITTED: the shared code's first
// statement row-locks the store, which serializes writers of one store without aborts. Still,
// serialization failures and deadlocks (possible on SERIALIZABLE Postgres-compatible engines, or
// under future queries) are retried a few times before surfacing as write_conflict.

import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import type { Query, Row, SqlDatabase, SqlRunner } from '../sql/index.ts'
import { adHoc } from '../sql/index.ts'
import { isRetryable, isTimeout, mapPgError } from './errors.ts'

const MAX_ATTEMPTS = 5
/** After a statement or lock timeout, readiness fails until a write commits or this long passes. */
const STALL_WINDOW_MS = 10_000

export interface PostgresDatabaseOptions {
  pool: pg.Pool
  /** Schema created by migrate() when set (search_path already points at it). */
  schema: string | undefined
  /** NOTIFY channel for committed tuple writes. */
  channel: string
  /** Identifies this process in notifications so it can ignore its own. */
  instanceId: string
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres'
  readonly #options: PostgresDatabaseOptions
  readonly #names = new Map<string, string>()
  #stalledAt = 0

  constructor(options: PostgresDatabaseOptions) {
    this.#options = options
  }

  async all<R extends Row = Row>(query: Query, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.#options.pool.query<R>(this.#config(query, params))).rows
    } catch (err) {
      throw this.#failed(err)
    }
  }

  async values(query: Query, params: readonly unknown[] = []): Promise<unknown[][]> {
    try {
      return (await this.#options.pool.query<unknown[]>({ ...this.#config(query, params), rowMode: 'array' })).rows
    } catch (err) {
      throw this.#failed(err)
    }
  }

  async run(query: Query, params: readonly unknown[] = []): Promise<number> {
    try {
      return (await this.#options.pool.query(this.#config(query, params))).rowCount ?? 0
    } catch (err) {
      throw this.#failed(err)
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.#options.pool.query(script)
    } catch (err) {
      throw this.#failed(err)
    }
  }

  stalled(): string | undefined {
    if (this.#stalledAt === 0 || Date.now() - this.#stalledAt > STALL_WINDOW_MS) return undefined
    return 'PostgreSQL statements are timing out (a lock or an overloaded server)'
  }

  #failed(err: unknown): unknown {
    if (isTimeout(err)) this.#stalledAt = Date.now()
    return mapPgError(err)
  }

  read<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn)
  }

  write<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN', fn)
  }

  /** The advisory lock makes a second process starting at the same time wait, then find nothing to do. */
  migrate(fn: (tx: SqlRunner) => Promise<void>): Promise<void> {
    const { schema } = this.#options
    return this.#transaction('BEGIN', async (tx) => {
      // Migrations may rewrite large tables: no statement or lock timeout for them.
      await tx.exec('SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0')
      await tx.all(adHoc('SELECT pg_advisory_xact_lock(hashtext($1))'), [`gatehouse.migrate.${schema ?? ''}`])
      if (schema !== undefined) await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      await fn(tx)
    })
  }

  /** NOTIFY inside the transaction: PostgreSQL delivers it on commit only, and never on rollback. */
  async announce(tx: SqlRunner, storeId: string, revision: number): Promise<void> {
    const payload = JSON.stringify({ s: storeId, r: revision, i: this.#options.instanceId })
    await tx.all(adHoc('SELECT pg_notify($1, $2)'), [this.#options.channel, payload])
  }

  async close(): Promise<void> {
    await this.#options.pool.end()
  }

  async #transaction<T>(begin: string, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient
      try {
        client = await this.#options.pool.connect()
      } catch (err) {
        throw this.#failed(err)
      }
      let broken: Error | undefined
      try {
        await client.query(begin)
        const result = await fn(this.#runner(client))
        await client.query('COMMIT')
        this.#stalledAt = 0
        return result
      } catch (err) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
        }
        if (broken === undefined && attempt < MAX_ATTEMPTS && isRetryable(err)) {
          await sleep(Math.random() * 10 * 2 ** attempt)
          continue
        }
        throw this.#failed(err)
      } finally {
        // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken)
      }
    }
  }

  #runner(client: pg.PoolClient): SqlRunner {
    // Raw pg errors inside a transaction: #transaction decides on retries, then maps them.
    return {
      all: async <R extends Row>(query: Query, params: readonly unknown[] = []) =>
        (await client.query<R>(this.#config(query, params))).rows,
      values: async (query, params = []) =>
        (await client.query<unknown[]>({ ...this.#config(query, params), rowMode: 'array' })).rows,
      run: async (query, params = []) => (await client.query(this.#config(query, params))).rowCount ?? 0,
      exec: async (script) => {
        await client.query(script)
      },
    }
  }

  #config(query: Query, params: readonly unknown[]): pg.QueryConfig {
    const values = params as unknown[]
    if (!query.prepare) return { text: query.text, values }
    let name = this.#names.get(query.text)
    if (name === undefined) {
      name = `gh_${createHash('sha1').update(query.text).digest('hex').slice(0, 20)}`
      this.#names.set(query.text, name)
    }
    return { name, text: query.text, values }
  }
}
