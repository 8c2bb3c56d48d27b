// `gatehouse provisioning …`: the outbox straight on the configured database (events, attempts,
// replay, stats) and the configured rules (list, dry run for a user). Output is JSON. Replays
// made here are delivered by the running servers at their next poll.
import type { GatehouseConfig } from '../config/index.ts'
import { readDocument } from './clients.ts'
import { Exit, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

export interface ProvisioningFlags {
  file?: string
  subject?: string
  state?: string
  target?: string
}

const SUBCOMMANDS = 'events, show, replay, replay-dead, stats, rules, preview'

/** `provisioning events [--state S] [--target T] [--subject S] | show ID | replay ID | replay-dead [--target T] | stats | rules | preview --file USER` */
export async function provisioningCommand(config: GatehouseConfig, args: string[], flags: ProvisioningFlags, io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  const want = (count: number, names: string) => takeArgs(`provisioning ${sub}`, rest, count, names)
  type Admin = Awaited<ReturnType<typeof import('../app/index.ts').openProvisioningAdmin>>['admin']
  let run: (admin: Admin) => Promise<unknown>
  switch (sub) {
    case 'events':
      want(0, '')
      run = (admin) => admin.list({ ...(flags.state ? { state: flags.state } : {}), ...(flags.target ? { target: flags.target } : {}), ...(flags.subject ? { subject: flags.subject } : {}) })
      break
    case 'show': {
      const [id] = want(1, 'ID')
      run = async (admin) => ({ event: await admin.get(id!) })
      break
    }
    case 'replay': {
      const [id] = want(1, 'ID')
      run = async (admin) => ({ event: await admin.replay(id!) })
      break
    }
    case 'replay-dead':
      want(0, '')
      run = (admin) => admin.replayDead(flags.target ? { target: flags.target } : {})
      break
    case 'stats':
      want(0, '')
      run = (admin) => admin.stats()
      break
    case 'rules':
      want(0, '')
      run = async (admin) => admin.configuration()
      break
    case 'preview': {
      want(0, '')
      if (flags.file === undefined) throw new UsageError('provisioning preview: missing --file F (the user as YAML or JSON: username, email, groups, organizations)')
      const user = readDocument(flags.file, io)
      run = async (admin) => admin.preview(user)
      break
    }
    default:
      throw new UsageError(sub === undefined ? `provisioning: missing subcommand (${SUBCOMMANDS})` : `provisioning: unknown subcommand "${sub}"`)
  }
  const app = await import('../app/index.ts')
  const opened = await app.openProvisioningAdmin(config, app.createLogger(config.logLevel))
  try {
    printJson(io, await run(opened.admin))
  } finally {
    await opened.close()
  }
  return Exit.ok
}
