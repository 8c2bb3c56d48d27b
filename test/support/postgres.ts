// PostgreSQL for tests: a throwaway database per caller, and one rule for an absent server —
// skip with the reason locally, fail loudly under CI (CI=true), where PostgreSQL must be there.

import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** Admin connection used to create and drop test databases. */
export function adminUrl(): string {
  return process.env.GATEHOUSE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
}

export interface TestDatabase {
  /** Connection string of the new, empty database. */
  url: string
  /** Drops the database, disconnecting anyone still connected. Safe to call twice. */
  drop(): Promise<void>
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`))
  const url = new URL(adminUrl())
  url.pathname = `/${name}`
  let dropped = false
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return
      dropped = true
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

let probe: Promise<string | undefined> | undefined

/** Why PostgreSQL cannot be used (undefined when it answers). Checked once per process. */
export function postgresUnavailableReason(): Promise<string | undefined> {
  probe ??= withAdmin((client) => client.query('SELECT 1')).then(
    () => undefined,
    (err: unknown) => `PostgreSQL is not reachable at ${redact(adminUrl())} (${err instanceof Error ? err.message : String(err)}); set GATEHOUSE_TEST_PG_URL`,
  )
  return probe
}

/**
 * For top-level use (`describe(name, { skip }, ...)`): undefined when PostgreSQL answers, the
 * skip reason otherwise. Under CI=true an unreachable server throws instead, failing the file.
 */
export async function postgresSkipReason(): Promise<string | undefined> {
  const reason = await postgresUnavailableReason()
  if (reason !== undefined && process.env.CI === 'true') throw new Error(`${reason} — PostgreSQL is required when CI=true`)
  return reason
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 30_000 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the configured URL'
  }
}
