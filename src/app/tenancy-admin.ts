// For the CLI: the tenancy service straight on the configured database, as the operator.
import type { GatehouseConfig } from '../config/index.ts'
import type { Tenancy } from '../tenancy/index.ts'
import { effectiveConfig } from './bootstrap.ts'
import { createTenancyOn, openStore } from './core.ts'
import type { Logger } from './logger.ts'

export interface TenancyAdmin {
  tenancy: Tenancy
  close(): Promise<void>
}

/** Started without following other replicas: the command reads once, writes, and exits. */
export async function openTenancyAdmin(config: GatehouseConfig, logger?: Logger): Promise<TenancyAdmin> {
  const { store } = await openStore(config, logger)
  try {
    await store.migrate()
    // Organizations may name upstreams of the bootstrap file, as they may on the server.
    const effective = effectiveConfig(config)
    const tenancy = createTenancyOn(store, () => effective, logger)
    await tenancy.start(false)
    return { tenancy, close: async () => { tenancy.stop(); await store.close() } }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
