// `gatehouse stores list | create NAME | delete ID`: OpenFGA stores on the configured database,
// like `fga store …` against a server. Output is JSON in the API's shapes.
import type { GatehouseConfig } from '../config/index.ts'
import { allPages, withEngine } from './engine.ts'
import { Exit, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

interface StoreJson { id: string; name: string; created_at: string; updated_at: string }

export async function storesCommand(config: GatehouseConfig, args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  const want = (count: number, names: string) => takeArgs(`stores ${sub}`, rest, count, names)
  switch (sub) {
    case 'list':
      want(0, '')
      await withEngine(config, async (authz) => {
        const stores = await allPages(async (token) => {
          const page = await authz.listStores({ page_size: String(authz.limits.maxPageSize), ...(token ? { continuation_token: token } : {}) }) as { stores: StoreJson[]; continuation_token: string }
          return { items: page.stores, token: page.continuation_token }
        })
        printJson(io, { stores })
      })
      return Exit.ok
    case 'create': {
      const [name] = want(1, 'NAME')
      await withEngine(config, async (authz) => printJson(io, await authz.createStore({ name })))
      return Exit.ok
    }
    case 'delete': {
      const [id] = want(1, 'ID')
      await withEngine(config, async (authz) => {
        await authz.deleteStore(id!)
        printJson(io, { deleted: id })
      })
      return Exit.ok
    }
    default:
      throw new UsageError(sub === undefined ? 'stores: missing subcommand (list, create, delete)' : `stores: unknown subcommand "${sub}"`)
  }
}
