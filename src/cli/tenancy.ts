// `gatehouse orgs | groups | projects | roles | acl …`: tenancy straight on the configured
// database, for setups without the admin API reachable. The operator acts as the system principal
// (audit actor "system"); what it makes is marked source "cli". Output is JSON.
import type { GatehouseConfig } from '../config/index.ts'
import { isAppError, subjectOf } from '../lib/index.ts'
import { firstOrganizationNotice, isFirstOrganization, SYSTEM_PRINCIPAL, type RequestContext, type Tenancy } from '../tenancy/index.ts'
import { readDocument } from './clients.ts'
import { Exit, listOutput, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

export interface TenancyOptions {
  file?: string
  subject?: string
  issuer?: string
  groups?: string[]
}

interface Handler {
  /** Positional arguments after the subcommand, for usage messages. */
  args: string[]
  /** Reads --file F as the input document. */
  file?: boolean
  /** Checks the options before the database is opened. */
  validate?(options: TenancyOptions): void
  run(tenancy: Tenancy, args: string[], input: unknown, options: TenancyOptions): unknown
}

const ctx: RequestContext = { actor: SYSTEM_PRINCIPAL }
const SOURCE = 'cli'

const nameOf = (input: unknown) => {
  const name = (input as { name?: unknown } | null)?.name
  return typeof name === 'string' ? name : ''
}

/** Replaces the record named in the document, or creates it when there is none. */
async function put(key: string, find: () => unknown, create: () => Promise<unknown>, update: () => Promise<unknown>) {
  let exists = true
  try {
    find()
  } catch (err) {
    if (!isAppError(err) || err.status !== 404) throw err
    exists = false
  }
  return { [key]: exists ? await update() : await create(), created: !exists }
}

/** Groups and projects: the same four subcommands inside one organization. */
function organizationParts(kind: 'groups' | 'projects', one: string): Record<string, Handler> {
  return {
    list: { args: ['ORG'], run: (t, [org]) => listOutput<unknown>(t[kind].list(ctx, org!), kind) },
    get: { args: ['ORG', 'NAME'], run: (t, [org, name]) => ({ [one]: t[kind].get(ctx, org!, name!) }) },
    put: {
      args: ['ORG'], file: true,
      run: (t, [org], input) => put(one, () => t[kind].get(ctx, org!, nameOf(input)),
        () => t[kind].create(ctx, org!, input, SOURCE), () => t[kind].update(ctx, org!, nameOf(input), input, SOURCE)),
    },
    delete: { args: ['ORG', 'NAME'], run: async (t, [org, name]) => { await t[kind].delete(ctx, org!, name!, SOURCE); return { deleted: name } } },
  }
}

const COMMANDS: Record<string, Record<string, Handler>> = {
  orgs: {
    list: { args: [], run: (t) => listOutput(t.organizations.list(ctx), 'organizations') },
    get: { args: ['NAME'], run: (t, [name]) => ({ organization: t.organizations.get(ctx, name!) }) },
    create: { args: [], file: true, run: async (t, _, input) => ({ organization: await t.organizations.create(ctx, input, SOURCE) }) },
    update: { args: ['NAME'], file: true, run: async (t, [name], input) => ({ organization: await t.organizations.update(ctx, name!, input, SOURCE) }) },
    delete: { args: ['NAME'], run: async (t, [name]) => { await t.organizations.delete(ctx, name!, SOURCE); return { deleted: name } } },
  },
  groups: organizationParts('groups', 'group'),
  projects: organizationParts('projects', 'project'),
  roles: {
    list: { args: [], run: (t) => listOutput(t.roles.list(ctx), 'roles') },
    get: { args: ['NAME'], run: (t, [name]) => ({ role: t.roles.get(ctx, name!) }) },
    put: {
      args: [], file: true,
      run: (t, _, input) => put('role', () => t.roles.get(ctx, nameOf(input)), () => t.roles.create(ctx, input, SOURCE), () => t.roles.update(ctx, nameOf(input), input, SOURCE)),
    },
    delete: { args: ['NAME'], run: async (t, [name]) => { await t.roles.delete(ctx, name!, SOURCE); return { deleted: name } } },
  },
}

/** The ACL a subject would get in ORG, computed from stored state as the API computes it. */
const ACL: Handler = {
  args: ['ORG'],
  validate: ({ subject, issuer }) => {
    if (subject === undefined || issuer === undefined) throw new UsageError('acl: give --subject ID and --issuer ISSUER (an issuer URL, or "local")')
  },
  run: (t, [org], _, { subject, issuer, groups = [] }) => t.acl({ actor: { kind: 'user', subject: subjectOf(subject!, issuer!), upstreamGroups: groups } }, org!),
}

export async function tenancyCommand(config: GatehouseConfig, command: string, args: string[], options: TenancyOptions, io: CliIO): Promise<number> {
  const table = COMMANDS[command]
  const [sub, ...rest] = table === undefined ? ['', ...args] : args
  const handler = table === undefined ? ACL : table[sub ?? '']
  const name = `${command}${sub ? ` ${sub}` : ''}`
  if (handler === undefined) {
    const known = Object.keys(table!).join(', ')
    throw new UsageError(sub === undefined ? `${command}: missing subcommand (${known})` : `${command}: unknown subcommand "${sub}"`)
  }
  const positional = takeArgs(name, rest, handler.args.length, handler.args.join(' '))
  handler.validate?.(options)
  let input: unknown
  if (handler.file === true) {
    if (options.file === undefined) throw new UsageError(`${name}: missing --file F (the document as YAML or JSON)`)
    input = readDocument(options.file, io)
  }
  const app = await import('../app/index.ts')
  const admin = await app.openTenancyAdmin(config, app.createLogger(config.logLevel))
  try {
    const result = await handler.run(admin.tenancy, positional, input, options)
    const created = command === 'orgs' && sub === 'create' ? (result as { organization: { id: string; name: string } }).organization : undefined
    if (created !== undefined && config.requireOrganization && isFirstOrganization(admin.tenancy.core.state, created.id)) {
      // As the API does: whoever creates the first organization learns it now refuses outsiders.
      const notice = firstOrganizationNotice(created.name)
      io.stderr.write(`warning: ${notice}\n`)
      printJson(io, { ...(result as object), notice })
    } else {
      printJson(io, result)
    }
  } finally {
    await admin.close()
  }
  return Exit.ok
}
