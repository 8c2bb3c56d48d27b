// Command line: serve, migrate, keys, models, stores and tuples, config print/docs, admin commands; maps failures to exit statuses.
// May import: every module through its index.ts (it is an entry point like app).
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { configurationMarkdown, describeDatabase, formatConfig, isConfigError, loadConfig } from '../config/index.ts'
import { isAppError } from '../lib/index.ts'
import { HELP } from './help.ts'
import type { FgaOptions } from './engine.ts'
import { Exit, processIO, UsageError, type CliIO } from './io.ts'

export { processIO, Exit, type CliIO } from './io.ts'

// The server, store drivers and engine load only for commands that use them, so help, config
// and usage errors stay fast and work even when a database driver cannot load.
const loadApp = () => import('../app/index.ts')

/** Runs one command and resolves with the process exit status (serve: after a clean shutdown). */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  try {
    return await dispatch(argv, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`gatehouse: ${err.message}\nRun \`gatehouse --help\` for usage.\n`)
      return Exit.usage
    }
    if (isConfigError(err)) {
      io.stderr.write(`gatehouse: ${err.message}\n`)
      return Exit.usage
    }
    if (isAppError(err)) {
      io.stderr.write(`gatehouse: ${err.message}\n`)
      return Exit.failed
    }
    const verbose = ['debug', 'trace'].includes(io.env.GATEHOUSE_LOG_LEVEL ?? '')
    io.stderr.write(`gatehouse: unexpected error: ${verbose ? ((err as Error).stack ?? String(err)) : ((err as Error).message ?? String(err))}\n`)
    return Exit.failed
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        out: { type: 'string', short: 'o' },
        file: { type: 'string', short: 'f' },
        subject: { type: 'string' },
        issuer: { type: 'string' },
        group: { type: 'string', multiple: true },
        email: { type: 'string' },
        'no-email': { type: 'boolean' },
        'no-groups': { type: 'boolean' },
        state: { type: 'string' },
        target: { type: 'string' },
        // The OpenFGA-style commands (stores, model, tuples), named as the `fga` CLI names them.
        store: { type: 'string' },
        id: { type: 'string' },
        format: { type: 'string' },
        object: { type: 'string' },
        relation: { type: 'string' },
        user: { type: 'string' },
        condition: { type: 'string' },
        context: { type: 'string' },
        'on-duplicate': { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.version === true) {
    io.stdout.write(`gatehouse ${(await loadApp()).gatehouseVersion()}\n`)
    return Exit.ok
  }
  const [command, sub, ...rest] = positionals
  if (values.help === true || command === 'help' || command === undefined) {
    if (command === undefined && values.help !== true) {
      io.stderr.write(HELP)
      return Exit.usage
    }
    io.stdout.write(HELP)
    return Exit.ok
  }
  const load = () => loadConfig({ env: io.env, configFile: values.config, cwd: io.cwd })

  switch (command) {
    case 'serve': {
      expectArgs('serve', [sub, ...rest], 0)
      const { config } = load()
      const { createLogger, startServer, closeOnSignal } = await loadApp()
      const logger = createLogger(config.logLevel)
      const server = await startServer(config, { logger, banner: io.stderr as NodeJS.WritableStream })
      await closeOnSignal(server, logger)
      return Exit.ok
    }
    case 'migrate': {
      expectArgs('migrate', [sub, ...rest], 0)
      const { config } = load()
      const app = await loadApp()
      const { store, database } = await app.openStore(config, app.createLogger(config.logLevel))
      try {
        await store.migrate()
      } finally {
        await store.close()
      }
      io.stdout.write(`migrations applied: ${describeDatabase(database)}\n`)
      return Exit.ok
    }
    case 'backup': {
      const [file] = expectArgs('backup', [sub, ...rest], 1, 'FILE')
      const { backupDatabase } = await loadApp()
      const done = await backupDatabase(load().config, resolve(io.cwd, file!))
      io.stdout.write(`backed up ${done.source} to ${done.file} (${done.bytes} bytes)\n`)
      // Without it a restored copy cannot sign tokens; it is not in the database, so say so each time.
      if (done.secretKeyFile) io.stderr.write(`keep ${done.secretKeyFile} with your backups: the copy's signing keys are encrypted with it\n`)
      return Exit.ok
    }
    case 'keys': {
      expectArgs(`keys ${sub ?? ''}`.trim(), rest, 0)
      const { runKeysCommand } = await import('./keys.ts')
      return runKeysCommand(sub, load().config, io)
    }
    case 'model': {
      const subs = 'validate, test, write, get, transform'
      if (sub === 'validate') {
        const [file] = expectArgs('model validate', rest, 1, 'FILE')
        const { validateModelFile } = await import('./model-validate.ts')
        return validateModelFile(file, io)
      }
      if (sub === 'test') {
        if (rest.length === 0) throw new UsageError('model test: missing FILE (an OpenFGA .fga.yaml test file)')
        return (await import('./model-test.ts')).runModelTests(rest, io)
      }
      if (sub === 'write' || sub === 'get' || sub === 'transform') {
        return (await import('./models.ts')).modelCommand(() => load().config, sub, rest, fgaOptions(values), io)
      }
      throw new UsageError(sub === undefined ? `model: missing subcommand (${subs})` : `model: unknown subcommand "${sub}"`)
    }
    case 'stores':
      return (await import('./stores.ts')).storesCommand(load().config, [sub, ...rest].filter((a): a is string => a !== undefined), io)
    case 'tuples':
      return (await import('./tuples.ts')).tuplesCommand(load().config, [sub, ...rest].filter((a): a is string => a !== undefined), fgaOptions(values), io)
    case 'config': {
      if (sub === 'print') {
        expectArgs('config print', rest, 0)
        io.stdout.write(formatConfig(load()))
        return Exit.ok
      }
      if (sub === 'docs') {
        expectArgs('config docs', rest, 0)
        const markdown = configurationMarkdown()
        if (values.out === undefined) io.stdout.write(markdown)
        else writeFileSync(resolve(io.cwd, values.out), markdown)
        return Exit.ok
      }
      if (sub === 'check') {
        expectArgs('config check', rest, 0)
        const { checkConfiguration } = await loadApp()
        io.stdout.write(`${await checkConfiguration(load().config)}\n`)
        return Exit.ok
      }
      throw new UsageError(sub === undefined ? 'config: missing subcommand (print, check or docs)' : `config: unknown subcommand "${sub}"`)
    }
    case 'clients':
      return (await import('./clients.ts')).clientsCommand(load().config, [sub, ...rest].filter((a): a is string => a !== undefined), values.file, io)
    case 'accounts':
      return (await import('./accounts.ts')).accountsCommand(load().config, [sub, ...rest].filter((a): a is string => a !== undefined), io,
        { email: values.email, noEmail: values['no-email'] === true, groups: values.group, noGroups: values['no-groups'] === true })
    case 'apps':
      return (await import('./apps.ts')).appsCommand(load().config, [sub, ...rest].filter((a): a is string => a !== undefined), values.file, io)
    case 'orgs':
    case 'groups':
    case 'projects':
    case 'roles':
    case 'acl':
      return (await import('./tenancy.ts')).tenancyCommand(load().config, command, [sub, ...rest].filter((a): a is string => a !== undefined),
        { file: values.file, subject: values.subject, issuer: values.issuer, groups: values.group }, io)
    case 'provisioning':
      return (await import('./provisioning.ts')).provisioningCommand(load().config, [sub, ...rest].filter((a): a is string => a !== undefined),
        { file: values.file, subject: values.subject, state: values.state, target: values.target }, io)
    case 'bootstrap':
      expectArgs('bootstrap', [sub, ...rest], 0)
      return (await import('./clients.ts')).bootstrapCommand(load().config, io)
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

function fgaOptions(values: Record<string, unknown>): FgaOptions {
  const pick = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined)
  return {
    store: pick('store'), id: pick('id'), format: pick('format'), object: pick('object'), relation: pick('relation'), user: pick('user'),
    file: pick('file'), out: pick('out'), condition: pick('condition'), context: pick('context'),
    onDuplicate: pick('on-duplicate'), batchSize: pick('batch-size'),
  }
}

function expectArgs(command: string, args: (string | undefined)[], count: number, names = ''): string[] {
  const given = args.filter((a): a is string => a !== undefined)
  if (given.length < count) throw new UsageError(`${command}: missing ${names}`)
  if (given.length > count) throw new UsageError(`${command}: unexpected argument "${given[count]}"`)
  return given
}
