// The declarative bootstrap file (config key bootstrapFile): OIDC clients, upstream identity
// providers, resource servers, forward-auth applications and the tenancy (roles, organizations,
// global bindings), like a Helm values file. Applied at every start and by
// `gatehouse bootstrap`; a bad file stops the start with a configuration error naming the file
// and the place in it, before anything is written.

import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError, configKeys, envVarFor, provisioningSchema, resourceServerSchema, upstreamSchema, type GatehouseConfig } from '../config/index.ts'
import { createLocalAccounts, MIN_CLIENT_SECRET_LENGTH, syncBootstrapClients, type BootstrapResult, type DeclaredClient, type SyncCounts } from '../identity/index.ts'
import { AppError } from '../lib/index.ts'
import { applyDeclared, checkDeclared, parseDeclared, pathText, type DeclaredCounts } from '../tenancy/index.ts'
import { createClientAdmin } from './clients.ts'
import { openCore, type Core } from './core.ts'
import { ensureAdminBinding } from './local-accounts.ts'
import { createApplicationAdmin } from './forward-auth.ts'
import type { Logger } from './logger.ts'

const fileSchema = z.object({
  clients: z.array(z.unknown()).default([]),
  upstreams: z.array(upstreamSchema).default([]),
  resourceServers: z.array(resourceServerSchema).default([]),
  applications: z.array(z.unknown()).default([]),
  // Checked as a whole by parseDeclared, so its places read the same here and in its own errors.
  roles: z.unknown().optional(),
  organizations: z.unknown().optional(),
  globalBindings: z.unknown().optional(),
  // Replaces the configured provisioning (targets, rules, delivery) as a whole.
  provisioning: provisioningSchema.optional(),
}).strict()

export interface BootstrapOutcome {
  /** The configuration with the file's upstreams and resource servers added. */
  config: GatehouseConfig
  /** Undefined when no bootstrap file is configured. */
  clients?: SyncCounts
  applications?: SyncCounts
  tenancy?: DeclaredCounts
}

/** Rethrows a refusal of the tenancy part as the file's own error, naming the place. */
function tenancyProblem(err: unknown, problem: (where: string, message: string) => ConfigError): unknown {
  if (!(err instanceof AppError) || err.status >= 500) return err
  const { where, reason } = (err.details ?? {}) as { where?: unknown; reason?: unknown }
  return typeof where === 'string' && typeof reason === 'string' ? problem(where, reason) : problem('', err.message)
}

/** Reads and checks the file; `problem` builds the error naming the file. */
function readDeclarations(path: string, problem: (where: string, message: string) => ConfigError) {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw problem('', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  let raw: unknown
  try {
    raw = parseYaml(text) ?? {}
  } catch (err) {
    throw problem('', `not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  const parsed = fileSchema.safeParse(withUpstreamSecrets(raw, dirname(path), problem))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw problem(pathText(issue.path), issue.message)
  }
  const { roles, organizations, globalBindings, provisioning, ...rest } = parsed.data
  const tenancy = { roles, organizations, globalBindings }
  try {
    parseDeclared(tenancy)
  } catch (err) {
    throw tenancyProblem(err, problem)
  }
  // File names in provisioning targets are relative to this file, wherever the server starts.
  return { ...rest, tenancy, ...(provisioning ? { provisioning: withFilesFrom(dirname(path), provisioning) } : {}) }
}

function withFilesFrom(dir: string, provisioning: GatehouseConfig['provisioning']): GatehouseConfig['provisioning'] {
  const at = (name: string) => resolve(dir, name)
  return {
    ...provisioning,
    targets: provisioning.targets.map((t) => {
      if (t.kind === 'webhook') return { ...t, secretFile: at(t.secretFile) }
      if (t.kind === 'openfga') return t.tokenFile === undefined ? t : { ...t, tokenFile: at(t.tokenFile) }
      const cc = t.clientCertificate
      const sc = t.serverCertificate
      return {
        ...t,
        clientCertificate: 'pfxFile' in cc
          ? { pfxFile: at(cc.pfxFile), ...(cc.passphraseFile ? { passphraseFile: at(cc.passphraseFile) } : {}) }
          : { certFile: at(cc.certFile), keyFile: at(cc.keyFile) },
        serverCertificate: 'caFile' in sc ? { caFile: at(sc.caFile) } : sc,
      }
    }),
  }
}

/** Reads `secret` / `secretFile` off a client entry (a secret file is relative to the bootstrap file). */
function takeSecret(entry: Record<string, unknown>, where: string, baseDir: string, problem: (where: string, message: string) => ConfigError): string | undefined {
  const { secret, secretFile } = entry
  delete entry.secret
  delete entry.secretFile
  if (secret !== undefined && secretFile !== undefined) throw problem(where, 'give secret or secretFile, not both')
  if (secretFile !== undefined) {
    if (typeof secretFile !== 'string' || secretFile === '') throw problem(`${where}.secretFile`, 'must be a path')
    let fromFile: string
    try {
      fromFile = readFileSync(resolve(baseDir, secretFile), 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      throw problem(`${where}.secretFile`, `cannot read ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
    if (fromFile.length < MIN_CLIENT_SECRET_LENGTH) throw problem(`${where}.secretFile`, `the secret must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`)
    return fromFile
  }
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < MIN_CLIENT_SECRET_LENGTH)) {
    throw problem(`${where}.secret`, `must be a string of at least ${MIN_CLIENT_SECRET_LENGTH} characters`)
  }
  return secret
}

/**
 * Upstreams may name their client secret in a file (`clientSecretFile`, relative to the bootstrap
 * file), as clients do with `secretFile`: secrets mounted by an orchestrator stay out of the file.
 */
function withUpstreamSecrets(raw: unknown, baseDir: string, problem: (where: string, message: string) => ConfigError): unknown {
  const upstreams = (raw as { upstreams?: unknown } | null)?.upstreams
  if (!Array.isArray(upstreams)) return raw
  return {
    ...(raw as object),
    upstreams: upstreams.map((entry: unknown, i) => {
      if (entry === null || typeof entry !== 'object' || !('clientSecretFile' in entry)) return entry
      const where = `upstreams[${i}]`
      const { clientSecretFile, ...rest } = entry as Record<string, unknown>
      if ('clientSecret' in rest) throw problem(where, 'give clientSecret or clientSecretFile, not both')
      if (typeof clientSecretFile !== 'string' || clientSecretFile === '') throw problem(`${where}.clientSecretFile`, 'must be a path')
      let secret: string
      try {
        secret = readFileSync(resolve(baseDir, clientSecretFile), 'utf8').replace(/\r?\n$/, '')
      } catch (err) {
        throw problem(`${where}.clientSecretFile`, `cannot read ${clientSecretFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      }
      if (secret === '') throw problem(`${where}.clientSecretFile`, `${clientSecretFile} is empty`)
      return { ...rest, clientSecret: secret }
    }),
  }
}

function fileProblem(path: string) {
  return (where: string, message: string) =>
    new ConfigError([`bootstrapFile (${envVarFor('bootstrapFile')}) ${path}${where === '' ? '' : ` at ${where}`}: ${message}`])
}

/** The configuration with the bootstrap file's upstreams and resource servers added. */
function mergeDeclarations(config: GatehouseConfig, file: ReturnType<typeof readDeclarations>, problem: ReturnType<typeof fileProblem>): GatehouseConfig {
  const merged = (key: 'upstreams' | 'resourceServers', list: unknown[]) => {
    const result = configKeys[key].schema.safeParse(list)
    if (!result.success) throw problem(key, `${result.error.issues[0]!.message} (counting the configured ${key} too)`)
    return result.data
  }
  return {
    ...config,
    ...(file.provisioning ? { provisioning: file.provisioning } : {}),
    upstreams: merged('upstreams', [...config.upstreams, ...file.upstreams]) as GatehouseConfig['upstreams'],
    resourceServers: merged('resourceServers', [...config.resourceServers, ...file.resourceServers]) as GatehouseConfig['resourceServers'],
  }
}

/** The configuration a server would run with: the bootstrap file read (not applied) and merged. */
export function effectiveConfig(config: GatehouseConfig): GatehouseConfig {
  if (config.bootstrapFile === '') return config
  const path = resolve(config.bootstrapFile)
  return mergeDeclarations(config, readDeclarations(path, fileProblem(path)), fileProblem(path))
}

/**
 * Applies the configured bootstrap file to the store and returns the effective configuration
 * (also stored as core.config, so everything built afterwards sees the file's upstreams).
 */
export async function applyBootstrapFile(core: Core, logger: Logger): Promise<BootstrapOutcome> {
  const config = core.config
  if (config.bootstrapFile === '') return { config }
  const path = resolve(config.bootstrapFile)
  const problem = fileProblem(path)
  const file = readDeclarations(path, problem)
  const effective = mergeDeclarations(config, file, problem)

  const service = createClientAdmin(effective, core.store)
  const declared: DeclaredClient[] = file.clients.map((raw, i) => {
    const where = `clients[${i}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw problem(where, 'must be a mapping')
    const entry = { ...(raw as Record<string, unknown>) }
    const secret = takeSecret(entry, where, dirname(path), problem)
    try {
      return { spec: service.parse(entry), secret, where }
    } catch (err) {
      const issue = (err as AppError).details?.issues as { path: string; message: string }[] | undefined
      if (issue?.[0]) throw problem(`${where}${issue[0].path.startsWith('[') || issue[0].path === '' ? '' : '.'}${issue[0].path}`, issue[0].message)
      throw err instanceof AppError && err.status < 500 ? problem(where, err.message) : err
    }
  })

  try {
    await checkDeclared(core.tenancy, file.tenancy)
  } catch (err) {
    throw tenancyProblem(err, problem)
  }

  let counts: SyncCounts
  try {
    counts = await syncBootstrapClients(core.store.oidcClients, service, declared)
  } catch (err) {
    if (err instanceof AppError && err.status < 500) throw problem('', err.message)
    throw err
  }
  let applications: SyncCounts
  try {
    applications = await createApplicationAdmin(core.store).sync(file.applications, 'bootstrap')
  } catch (err) {
    if (err instanceof AppError && err.status < 500) throw problem('applications', err.message)
    throw err
  }
  // Before the tenancy: organizations may name upstreams this file declares, and tenancy reads them from core.config.
  core.config = effective
  let tenancy: DeclaredCounts
  try {
    tenancy = await applyDeclared(core.tenancy, file.tenancy)
  } catch (err) {
    throw tenancyProblem(err, problem)
  }
  logger.info({ file: path, ...counts, applications, tenancy }, 'bootstrap file applied')
  return { config: effective, clients: counts, applications, tenancy }
}

/** `gatehouse bootstrap`: applies the file and creates the local admin (as a start would), then closes. */
export async function runBootstrap(config: GatehouseConfig, logger: Logger): Promise<{ clients?: SyncCounts; applications?: SyncCounts; tenancy?: DeclaredCounts; admin?: BootstrapResult }> {
  const core = await openCore(config, logger)
  try {
    const { clients, applications, tenancy } = await applyBootstrapFile(core, logger)
    const admin = config.localLogin
      ? await createLocalAccounts({ repo: core.store.localAccounts, enabled: true }).bootstrapAdmin({
          username: config.bootstrapAdminUsername,
          password: config.bootstrapPassword === '' ? undefined : config.bootstrapPassword,
        })
      : undefined
    // As a start would: the admin must not be refused sign-in once organizations exist.
    if (config.localLogin) await ensureAdminBinding(core.tenancy, config.bootstrapAdminUsername)
    return { clients, applications, tenancy, admin }
  } finally {
    await core.close()
  }
}
