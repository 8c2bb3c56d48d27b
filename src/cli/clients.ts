// `gatehouse clients …` and `gatehouse bootstrap`: OIDC client management straight on the
// configured database, for setups without the admin API reachable. Output is JSON.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { GatehouseConfig } from '../config/index.ts'
import type { ClientService, ClientView } from '../identity/index.ts'
import { Exit, listOutput, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

const loadApp = () => import('../app/index.ts')

const json = printJson

/** Reads a YAML or JSON document named on the command line. */
export function readDocument(path: string, io: CliIO): unknown {
  const full = resolve(io.cwd, path)
  let text: string
  try {
    text = readFileSync(full, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  try {
    return parseYaml(text)
  } catch (err) {
    throw new UsageError(`${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`)
  }
}

async function listAll(clients: ClientService): Promise<ClientView[]> {
  const out: ClientView[] = []
  let continuationToken = ''
  do {
    const page = await clients.list({ pageSize: 100, continuationToken })
    out.push(...page.clients)
    continuationToken = page.continuationToken
  } while (continuationToken !== '')
  return out
}

/** `clients list | get ID | create --file F | delete ID | rotate-secret ID` */
export async function clientsCommand(config: GatehouseConfig, args: string[], file: string | undefined, io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  const want = (count: number, names: string) => takeArgs(`clients ${sub}`, rest, count, names)
  let run: (clients: ClientService) => Promise<unknown>
  switch (sub) {
    case 'list':
      want(0, '')
      run = async (clients) => json(io, listOutput(await listAll(clients), 'clients'))
      break
    case 'get': {
      const [id] = want(1, 'ID')
      run = async (clients) => json(io, { client: await clients.get(id!) })
      break
    }
    case 'create': {
      want(0, '')
      if (file === undefined) throw new UsageError('clients create: missing --file F (the client as YAML or JSON)')
      const input = readDocument(file, io)
      run = async (clients) => json(io, await clients.create(input, 'cli'))
      break
    }
    case 'delete': {
      const [id] = want(1, 'ID')
      run = async (clients) => {
        await clients.delete(id!)
        json(io, { deleted: id })
      }
      break
    }
    case 'rotate-secret': {
      const [id] = want(1, 'ID')
      run = async (clients) => json(io, await clients.rotateSecret(id!))
      break
    }
    default:
      throw new UsageError(sub === undefined ? 'clients: missing subcommand (list, get, create, delete, rotate-secret)' : `clients: unknown subcommand "${sub}"`)
  }
  const app = await loadApp()
  const admin = await app.openClientAdmin(config, app.createLogger(config.logLevel))
  try {
    await run(admin.clients)
  } finally {
    await admin.close()
  }
  return Exit.ok
}

/** `bootstrap`: applies the bootstrap file and creates the local admin, then exits. */
export async function bootstrapCommand(config: GatehouseConfig, io: CliIO): Promise<number> {
  const app = await loadApp()
  const result = await app.runBootstrap(config, app.createLogger(config.logLevel))
  json(io, {
    clients: result.clients ?? null,
    applications: result.applications ?? null,
    tenancy: result.tenancy ?? null,
    admin: result.admin ? { username: result.admin.username, created: result.admin.created } : null,
  })
  // The only time a generated password is shown; it goes to stderr, never into the JSON.
  if (result.admin?.generatedPassword !== undefined) {
    io.stderr.write(`Bootstrap admin created: username "${result.admin.username}", password: ${result.admin.generatedPassword}\n  This password is shown only once.\n`)
  }
  return Exit.ok
}
