// For the CLI: the relationship engine straight on the configured database, so stores, models and
// tuples written from the command line pass the same validation and write rules as the API's.
import { Authz } from '../authz/index.ts'
import type { GatehouseConfig } from '../config/index.ts'
import { SYSTEM_STORE_ID } from '../tenancy/index.ts'
import { openStore } from './core.ts'
import { limitsFromConfig } from './limits.ts'
import type { Logger } from './logger.ts'

export interface EngineAdmin {
  authz: Authz
  close(): Promise<void>
}

/**
 * Opens and migrates the store and builds the engine without tenancy or a server. The system
 * store stays read-only as it is through the API: tenancy maintains it. Running servers see the
 * changes through their changelog poll, as they see other replicas' writes.
 */
export async function openEngineAdmin(config: GatehouseConfig, logger?: Logger): Promise<EngineAdmin> {
  const { store } = await openStore(config, logger)
  try {
    await store.migrate()
    // No revision poll: the command reads what it wrote, and a timer would only keep it alive.
    const authz = new Authz({ store, limits: { ...limitsFromConfig(config), indexPollIntervalMs: 0 }, logger, readOnlyStores: [SYSTEM_STORE_ID] })
    return {
      authz,
      close: async () => {
        try {
          await authz.close()
        } finally {
          await store.close()
        }
      },
    }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
