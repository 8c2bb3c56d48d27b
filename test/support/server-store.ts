// Opens the store a running test server uses (its SQLite file or its PostgreSQL database), so
// a test can seed clients or read records behind the server's back.
import { join } from 'node:path'
import type { Store } from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { GatehouseProcess } from './gatehouse.ts'

export async function openServerStore(server: GatehouseProcess): Promise<Store> {
  const url = server.databaseUrl
  if (url?.startsWith('postgres')) return openPostgresStore({ connectionString: url })
  return openSqliteStore({ path: join(server.dataDir, 'gatehouse.db') })
}

/** Runs `fn` with the server's store open, closing it afterwards. */
export async function withServerStore<T>(server: GatehouseProcess, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openServerStore(server)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}
