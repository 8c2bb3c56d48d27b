// Starts a real Gatehouse server process (`node src/main.ts serve`) on a free port with its own
// data directory, for end-to-end tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before } from 'node:test'
import { createTestDatabase, postgresSkipReason } from './postgres.ts'
import { freePort, spawnServer, type ServerProcess } from './process.ts'

export const repoRoot = resolve(import.meta.dirname, '../..')

/** The secret key e2e servers on PostgreSQL run with. */
export const TEST_SECRET_KEY = 'e2e-secret-key-0123456789abcdefghijklmnop'

export interface GatehouseProcess extends ServerProcess {
  dataDir: string
  /** GATEHOUSE_DATABASE_URL the server runs with; undefined: SQLite in dataDir. */
  databaseUrl?: string
  /** Stops the server and removes its data directory. */
  close(): Promise<void>
}

export async function startGatehouse(env: Record<string, string | undefined> = {}): Promise<GatehouseProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'))
  // A port chosen here can be taken by a concurrently running test before the server binds it
  // (the issuer defaults to the port, so the server cannot pick one itself): try another one.
  let server: ServerProcess | undefined
  for (let attempt = 1; server === undefined; attempt++) {
    const port = await freePort()
    try {
      server = await spawnServer({
        args: [join(repoRoot, 'src/main.ts'), 'serve'],
        cwd: repoRoot,
        url: `http://127.0.0.1:${env.GATEHOUSE_PORT ?? port}`,
        env: {
          GATEHOUSE_HOST: '127.0.0.1',
          GATEHOUSE_PORT: String(port),
          GATEHOUSE_DATA_DIR: dataDir,
          GATEHOUSE_LOG_LEVEL: 'warn',
          // Test files run side by side on a small machine: a slow connect is load, not an outage.
          GATEHOUSE_DATABASE_CONNECT_TIMEOUT_MS: '30000',
          // PostgreSQL requires a configured secret key (replicas share it); SQLite generates one.
          ...(env.GATEHOUSE_DATABASE_URL?.startsWith('postgres') ? { GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY } : {}),
          ...env,
        },
      })
    } catch (err) {
      if (attempt >= 5 || !/address already in use/.test(String((err as Error).message))) throw err
    }
  }
  return {
    ...server,
    dataDir,
    databaseUrl: env.GATEHOUSE_DATABASE_URL,
    close: async () => {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type Backend = 'sqlite' | 'postgres'
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres']

/**
 * The `skip` option of a suite on `backend`: undefined for SQLite and for a reachable PostgreSQL;
 * the reason when PostgreSQL is unreachable on a developer machine. Under CI=true an unreachable
 * PostgreSQL throws instead, failing the file: CI must run every backend.
 */
export async function backendSkip(backend: Backend): Promise<string | undefined> {
  return backend === 'postgres' ? postgresSkipReason() : undefined
}

/**
 * Registers before/after hooks that start a Gatehouse server on `backend` (a fresh PostgreSQL
 * database for 'postgres', dropped afterwards). Suites on PostgreSQL carry
 * `{ skip: await backendSkip(backend) }`, so the hooks run only where the backend is there.
 */
export function serverPerSuite(backend: Backend, env: Record<string, string> = {}): { current(): GatehouseProcess } {
  let server: GatehouseProcess | undefined
  let dropDb: (() => Promise<void>) | undefined
  before(async () => {
    const extra: Record<string, string> = {}
    if (backend === 'postgres') {
      const db = await createTestDatabase()
      extra.GATEHOUSE_DATABASE_URL = db.url
      dropDb = db.drop
    }
    server = await startGatehouse({ ...env, ...extra })
  })
  after(async () => {
    await server?.close()
    await dropDb?.()
  })
  return {
    current: () => {
      if (server === undefined) throw new Error('the suite\'s server did not start (see its before hook)')
      return server
    },
  }
}
