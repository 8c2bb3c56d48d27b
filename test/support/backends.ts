// Runs one suite against every store backend: SQLite in memory and a throwaway PostgreSQL
// database (skipped with the reason locally when PostgreSQL is absent; a failure under CI=true).

import { describe } from 'node:test'
import type { Store } from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { createTestDatabase, postgresSkipReason } from './postgres.ts'

export interface OpenedStore {
  store: Store
  /** Closes the store and removes its data. */
  close(): Promise<void>
}

export type OpenStore = () => Promise<OpenedStore>

const openSqlite: OpenStore = async () => {
  const store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  return { store, close: () => store.close() }
}

const openPostgres: OpenStore = async () => {
  const db = await createTestDatabase()
  const store = await openPostgresStore({ connectionString: db.url })
  await store.migrate()
  return { store, close: async () => { await store.close(); await db.drop() } }
}

/** Registers `suite` once per backend, as `<name> (sqlite)` and `<name> (postgres)`. */
export async function describeEachBackend(name: string, suite: (open: OpenStore) => void): Promise<void> {
  describe(`${name} (sqlite)`, () => suite(openSqlite))
  const skip = await postgresSkipReason()
  describe(`${name} (postgres)`, { skip }, () => suite(openPostgres))
}
