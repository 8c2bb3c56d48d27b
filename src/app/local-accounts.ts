// For the CLI: local accounts (bootstrap and break-glass) on the configured database, so an
// operator who lost the admin password can set a new one without the server's help.
import type { GatehouseConfig } from '../config/index.ts'
import { createLocalAccounts, type LocalAccounts } from '../identity/index.ts'
import type { LocalAccountRecord } from '../store/index.ts'
import { openStore } from './core.ts'
import type { Logger } from './logger.ts'

export interface LocalAccountAdmin {
  accounts: LocalAccounts
  list(): Promise<Array<Pick<LocalAccountRecord, 'username' | 'disabled'>>>
  close(): Promise<void>
}

export async function openLocalAccountAdmin(config: GatehouseConfig, logger?: Logger): Promise<LocalAccountAdmin> {
  const { store } = await openStore(config, logger)
  try {
    await store.migrate()
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
  // Managing accounts stays possible while local login is turned off.
  const accounts = createLocalAccounts({ repo: store.localAccounts, enabled: true })
  return {
    accounts,
    async list() {
      const out: Array<Pick<LocalAccountRecord, 'username' | 'disabled'>> = []
      let continuationToken = ''
      do {
        const page = await store.localAccounts.list({ pageSize: 100, continuationToken })
        out.push(...page.items.map((r) => ({ username: r.username, disabled: r.disabled })))
        continuationToken = page.continuationToken
      } while (continuationToken !== '')
      return out
    },
    close: () => store.close(),
  }
}
