// `gatehouse accounts …`: local accounts (bootstrap and break-glass) on the configured database.
// A new password comes from GATEHOUSE_NEW_PASSWORD, or is generated and shown once on stderr.
// New names are checked against tenancy (reserved names, existing projects), as DESIGN.md asks.
import { envVarFor, type GatehouseConfig } from '../config/index.ts'
import { generateSecret, MIN_PASSWORD_LENGTH } from '../identity/index.ts'
import { AppError, isAppError } from '../lib/index.ts'
import { TenancyErrorCodes } from '../tenancy/index.ts'
import { Exit, listOutput, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

const PASSWORD_ENV = 'GATEHOUSE_NEW_PASSWORD'

/** Flags of `create` and `set` (parsed with the others in index.ts): email and groups relying parties read from tokens. */
export interface ProfileFlags { email?: string; noEmail?: boolean; groups?: string[]; noGroups?: boolean }

/** `accounts list | create USERNAME [--email E] [--group G …] | set USERNAME [--email E|--no-email] [--group G …|--no-groups] | set-password USERNAME | disable USERNAME | enable USERNAME | mfa list|reset USERNAME` */
export async function accountsCommand(config: GatehouseConfig, args: string[], io: CliIO, flags: ProfileFlags = {}): Promise<number> {
  const [sub, ...rest] = args
  const want = (count: number, names: string) => takeArgs(`accounts ${sub}`, rest, count, names)
  const newPassword = (): { password: string; generated: boolean } => {
    const given = io.env[PASSWORD_ENV]
    if (given === undefined || given === '') return { password: generateSecret(18), generated: true }
    if (given.length < MIN_PASSWORD_LENGTH) throw new UsageError(`${PASSWORD_ENV} must be at least ${MIN_PASSWORD_LENGTH} characters`)
    return { password: given, generated: false }
  }
  const shown = (username: string, p: { password: string; generated: boolean }) => {
    if (p.generated) io.stderr.write(`Password for "${username}": ${p.password}\n  This password is shown only once.\n`)
  }
  const app = await import('../app/index.ts')
  const open = () => app.openLocalAccountAdmin(config, app.createLogger(config.logLevel))
  let run: (admin: Awaited<ReturnType<typeof open>>) => Promise<unknown>
  switch (sub) {
    case 'list':
      want(0, '')
      run = async (admin) => printJson(io, listOutput(await admin.list(), 'accounts'))
      break
    case 'create': {
      const [username] = want(1, 'USERNAME')
      if (flags.noEmail === true || flags.noGroups === true) throw new UsageError('accounts create: --no-email and --no-groups are for accounts set')
      const p = newPassword()
      run = async (admin) => {
        const account = await admin.accounts.create({ username: username!, password: p.password, email: flags.email ?? null, groups: flags.groups ?? [] })
          .catch((err: unknown) => { throw refusedName(err, username!) })
        printJson(io, { account: { username: account.username, disabled: account.disabled, email: account.email, groups: account.groups } })
        shown(account.username, p)
      }
      break
    }
    case 'set': {
      const [username] = want(1, 'USERNAME')
      if (flags.email !== undefined && flags.noEmail === true) throw new UsageError('accounts set: give --email or --no-email, not both')
      if (flags.groups !== undefined && flags.noGroups === true) throw new UsageError('accounts set: give --group or --no-groups, not both')
      run = async (admin) => {
        const current = (await admin.list()).find((a) => a.username.toLowerCase() === username!.toLowerCase())
        if (!current) throw new UsageError(`no local account ${username}`)
        // What is not named stays as it is; --group replaces the whole list.
        const email = flags.noEmail === true ? null : flags.email ?? current.email
        const groups = flags.noGroups === true ? [] : flags.groups ?? current.groups
        if (!(await admin.accounts.setProfile(username!, { email, groups }))) throw new UsageError(`no local account ${username}`)
        printJson(io, { account: { username: current.username, email, groups: [...new Set(groups)] } })
      }
      break
    }
    case 'set-password': {
      const [username] = want(1, 'USERNAME')
      const p = newPassword()
      run = async (admin) => {
        if (!(await admin.accounts.setPassword(username!, p.password))) throw new UsageError(`no local account ${username}`)
        printJson(io, { updated: username })
        shown(username!, p)
      }
      break
    }
    case 'disable':
    case 'enable': {
      const [username] = want(1, 'USERNAME')
      run = async (admin) => {
        if (!(await admin.setDisabled(username!, sub === 'disable'))) throw new UsageError(`no local account ${username}`)
        printJson(io, { [sub === 'disable' ? 'disabled' : 'enabled']: username })
      }
      break
    }
    case 'mfa': {
      // An operator's view of second factors, and the way back in for someone who lost theirs.
      const [action, username, ...extra] = rest
      if (action !== 'list' && action !== 'reset') throw new UsageError(action === undefined ? 'accounts mfa: missing subcommand (list, reset)' : `accounts mfa: unknown subcommand "${action}"`)
      takeArgs(`accounts mfa ${action}`, [username, ...extra].filter((a): a is string => a !== undefined), 1, 'USERNAME')
      run = async (admin) => {
        if (action === 'list') {
          const out = await admin.factors(username!)
          if (out === null) throw new UsageError(`no local account ${username}`)
          printJson(io, out)
          return
        }
        const out = await admin.resetFactors(username!)
        if (out === null) throw new UsageError(`no local account ${username}`)
        printJson(io, { reset: out.username, factors: out.factors, recoveryCodes: out.recoveryCodes })
      }
      break
    }
    default:
      throw new UsageError(sub === undefined ? 'accounts: missing subcommand (list, create, set, set-password, disable, enable, mfa)' : `accounts: unknown subcommand "${sub}"`)
  }
  const admin = await open()
  try {
    await run(admin)
  } finally {
    await admin.close()
  }
  return Exit.ok
}

/** Says which account was refused and, for a reserved name, where the list is configured. */
function refusedName(err: unknown, username: string): unknown {
  if (!isAppError(err)) return err
  if (err.code === TenancyErrorCodes.reservedName) {
    return new AppError(err.code, `cannot create local account "${username}": the name is reserved (reservedNames, ${envVarFor('reservedNames')})`, { status: err.status })
  }
  if (err.code === TenancyErrorCodes.nameTaken) {
    return new AppError(err.code, `cannot create local account "${username}": a project of that name exists, and a personal project for the user would collide with it`, { status: err.status })
  }
  return err
}
