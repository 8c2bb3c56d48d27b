// `gatehouse apps …`: forward-auth applications straight on the configured database, for setups
// without the admin API reachable. Output is JSON.
import type { GatehouseConfig } from '../config/index.ts'
import type { ApplicationService } from '../forwardauth/index.ts'
import { readDocument } from './clients.ts'
import { Exit, listOutput, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

const json = printJson

/** `apps list | get ID | put --file F | delete ID` */
export async function appsCommand(config: GatehouseConfig, args: string[], file: string | undefined, io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  const want = (count: number, names: string) => takeArgs(`apps ${sub}`, rest, count, names)
  let run: (apps: ApplicationService) => Promise<unknown>
  switch (sub) {
    case 'list':
      want(0, '')
      run = async (apps) => json(io, listOutput((await apps.list()).applications, 'applications'))
      break
    case 'get': {
      const [id] = want(1, 'ID')
      run = async (apps) => json(io, { application: await apps.get(id!) })
      break
    }
    case 'put': {
      want(0, '')
      if (file === undefined) throw new UsageError('apps put: missing --file F (the application as YAML or JSON)')
      const input = readDocument(file, io) as { id?: unknown }
      if (typeof input?.id !== 'string') throw new UsageError(`apps put: ${file} has no id`)
      run = async (apps) => json(io, await apps.put(input.id as string, input, 'cli'))
      break
    }
    case 'delete': {
      const [id] = want(1, 'ID')
      run = async (apps) => {
        await apps.delete(id!)
        json(io, { deleted: id })
      }
      break
    }
    default:
      throw new UsageError(sub === undefined ? 'apps: missing subcommand (list, get, put, delete)' : `apps: unknown subcommand "${sub}"`)
  }
  const app = await import('../app/index.ts')
  const admin = await app.openApplicationAdmin(config, app.createLogger(config.logLevel))
  try {
    await run(admin.applications)
  } finally {
    await admin.close()
  }
  return Exit.ok
}
