import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Authz } from '../authz/index.ts'
import { describeDatabase, parseDatabaseUrl, type DatabaseTarget, type GatehouseConfig } from '../config/index.ts'
import type { Store } from '../store/index.ts'
import { cachedClientsRepo } from '../identity/index.ts'
import { createTenancy, SYSTEM_STORE_ID, type Tenancy, type TenancyOptions } from '../tenancy/index.ts'
import { limitsFromConfig } from './limits.ts'
import type { Logger } from './logger.ts'
import { projectItems, type StartedProvisioning } from './provisioning.ts'

/** The parts every entry point needs: a migrated store and the engine on top of it. */
export interface Core {
  config: GatehouseConfig
  database: DatabaseTarget
  /** Human description of the store (no password). */
  storeDescription: string
  store: Store
  authz: Authz
  /** Organizations, groups, roles, projects and the ACL; started (system store ready, following replicas). */
  tenancy: Tenancy
  /** Set once the server starts it (after the bootstrap file is read); tenancy enqueues its events through it. */
  provisioning?: StartedProvisioning
  close(): Promise<void>
}

export async function openStore(config: GatehouseConfig, logger?: Logger): Promise<{ store: Store; database: DatabaseTarget }> {
  const database = parseDatabaseUrl(config.databaseUrl)
  // Each backend's driver loads only when it is used: pg and its dependencies cost a SQLite
  // server memory for nothing (and the other way round).
  if (database.kind === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true })
    const { openSqliteStore } = await import('../store/sqlite/index.ts')
    return { store: await openSqliteStore({ path: database.path, logger, synchronous: config.sqliteSynchronous }), database }
  }
  const { openPostgresStore } = await import('../store/postgres/index.ts')
  const timeouts = {
    connectMs: config.databaseConnectTimeoutMs, statementMs: config.databaseStatementTimeoutMs,
    lockMs: config.databaseLockTimeoutMs, idleInTransactionMs: config.databaseIdleInTransactionTimeoutMs,
  }
  return { store: await openPostgresStore({ connectionString: database.connectionString, logger, timeouts }), database }
}

export async function openCore(config: GatehouseConfig, logger: Logger): Promise<Core> {
  const opened = await openStore(config, logger)
  const database = opened.database
  // Token and introspection requests read their client each time; the server's writes to
  // clients go through the same cache, so they take effect at once (client-cache.ts).
  const store: Store = { ...opened.store, oidcClients: cachedClientsRepo(opened.store.oidcClients) }
  let authz: Authz
  let tenancy: Tenancy
  // The bootstrap file may add upstreams later (core.config is replaced): read them when asked.
  let current = config
  try {
    await store.migrate()
    authz = new Authz({ store, limits: limitsFromConfig(config), logger, readOnlyStores: [SYSTEM_STORE_ID] })
    tenancy = createTenancyOn(store, () => current, logger, {
      projectEvents: (changes) => (core.provisioning ? projectItems(core.provisioning, changes) : []),
      onEvents: () => core.provisioning?.wake(),
    })
    await tenancy.start()
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
  let closed: Promise<void> | undefined
  const core: Core = {
    get config() { return current },
    set config(next: GatehouseConfig) { current = next },
    database,
    storeDescription: describeDatabase(database),
    store,
    authz,
    tenancy,
    close: () => {
      closed ??= (async () => {
        tenancy.stop()
        await core.provisioning?.stop()
        core.provisioning?.closeTargets()
        try {
          await authz.close()
        } finally {
          await store.close()
        }
      })()
      return closed
    },
  }
  return core
}

/** The tenancy service on an open, migrated store (not started). */
export function createTenancyOn(store: Store, config: () => GatehouseConfig, logger?: Logger, events: Pick<TenancyOptions, 'projectEvents' | 'onEvents'> = {}): Tenancy {
  return createTenancy({ store, logger, reservedNames: config().reservedNames, upstreamIds: () => new Set(config().upstreams.map((u) => u.id)), ...events })
}
