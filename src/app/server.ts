import type { AddressInfo } from 'node:net'
import { assertSafeToListen, envVarFor, isLoopbackHost, redactConfig, type GatehouseConfig } from '../config/index.ts'
import { buildHttpServer, type HttpServer } from '../http/index.ts'
import type { MtlsListener } from '../identity/index.ts'
import { AppError } from '../lib/index.ts'
import { effectiveConfig } from './bootstrap.ts'
import { applyBranding } from './branding.ts'
import { createClientAdmin } from './clients.ts'
import { openCore } from './core.ts'
import { startForwardAuth } from './forward-auth.ts'
import { startIdentity, type StartedIdentity } from './identity.ts'
import { createLogger, type Logger } from './logger.ts'
import { startMaintenance } from './maintenance.ts'
import { countingChecks, createProductMetrics } from './metrics.ts'
import { startProvisioning } from './provisioning.ts'
import { adminCaller, tenancyMount } from './tenancy-callers.ts'
import { consoleMount } from './console.ts'
import { createPeopleAdmin } from './people.ts'
import { gatehouseVersion } from './version.ts'

export interface RunningServer {
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080 */
  url: string
  /** Stops accepting, lets in-flight requests finish (up to shutdownTimeoutMs), closes the store. */
  close(): Promise<void>
}

export interface StartServerOptions {
  logger?: Logger
  /** Where the human start-up banner goes; null for none. Default: process.stderr. */
  banner?: NodeJS.WritableStream | null
}

export async function startServer(config: GatehouseConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  assertSafeToListen(config)
  const logger = options.logger ?? createLogger(config.logLevel)
  logger.debug({ config: redactConfig(config) }, 'configuration')
  const core = await openCore(config, logger)
  let draining = false
  let http: HttpServer
  let identity: StartedIdentity
  let mtls: MtlsListener | undefined
  const metrics = createProductMetrics()
  metrics.indexedTuples = () => core.authz.indexedTuples
  metrics.staleAnswers = () => core.authz.staleAnswers
  try {
    const logos = applyBranding(config)
    // Provisioning first: applying the bootstrap file's tenancy creates projects, and their
    // events are written only when provisioning is there to take them. Its rules may come from
    // that file, read here without applying it.
    const effective = effectiveConfig(core.config)
    core.provisioning = startProvisioning(effective, core.store, core.authz, logger)
    identity = await startIdentity(core, logger, metrics)
    const forwardAuth = startForwardAuth(core, identity, logger, metrics)
    const tenancy = tenancyMount(core, identity, logger)
    http = buildHttpServer({
      config, authz: countingChecks(core.authz, metrics), store: core.store, logger, ready: () => !draining, oidc: identity.mount,
      clients: createClientAdmin(core.config, core.store), forwardAuth: forwardAuth.mount, applications: forwardAuth.applications, simulate: forwardAuth.simulate,
      people: createPeopleAdmin(core, config, forwardAuth.sessions, logger), directory: identity.directory,
      account: {
        ...identity.account, sessions: forwardAuth.mount.sessions, cookieName: forwardAuth.mount.cookie.name, cookieDomain: forwardAuth.mount.cookie.domain,
        issuer: config.issuer, claimNamespace: config.claimNamespace,
      },
      branding: { logos }, audit: core.store.audit, tenancy, adminCaller: adminCaller(tenancy.resolveCaller, core.tenancy), console: consoleMount(config),
      metrics: [metrics.registry, ...(core.provisioning ? [core.provisioning.metricsRegistry] : [])],
      ...(core.provisioning ? { provisioning: core.provisioning.admin } : {}),
    })
    await http.listen({ host: config.host, port: config.port })
  } catch (err) {
    await core.close().catch(() => {})
    throw listenError(err, config)
  }
  try {
    mtls = await identity.startMtls?.((req, res) => http.routing(req, res))
  } catch (err) {
    await http.close().catch(() => {})
    await core.close().catch(() => {})
    throw listenError(err, config, 'mtlsPort')
  }

  identity.providers.startRefreshing(config.keyRefreshIntervalSeconds * 1000)
  const maintenance = startMaintenance({ store: core.store, keys: identity.keys, intervalMs: config.maintenanceIntervalSeconds * 1000, logger })

  const address = http.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  const auth = authenticationSummary(config)
  logger.info({ url, store: core.storeDescription, authentication: auth.on, version: gatehouseVersion() }, 'gatehouse listening')
  const banner = options.banner === undefined ? process.stderr : options.banner
  banner?.write([
    `Gatehouse ${gatehouseVersion()} listening on ${url}`,
    `  store:          ${core.storeDescription}`,
    `  authentication: ${auth.text}`,
    ...identity.banner,
    `  sign in:        ${config.issuer}/ (as the local admin, or through an upstream provider)`,
    `  forward auth:   ${config.issuer}/api/forward-auth/{caddy,traefik,nginx} (see docs/forward-auth.md)`,
    ...(core.provisioning ? [`  provisioning:   ${core.provisioning.rules.rules.size} rule(s), ${core.provisioning.rules.targets.size} target(s); events at ${url}/api/v1/provisioning/events`] : []),
    '',
  ].join('\n'))
  // The only time the generated password is shown; it is never logged.
  if (identity.notice !== undefined) (banner ?? process.stderr).write(identity.notice)

  let closing: Promise<void> | undefined
  return {
    url,
    close: () => {
      closing ??= (async () => {
        draining = true
        await Promise.all([closeBounded(http, config.shutdownTimeoutMs, logger), mtls?.close()])
        await identity.providers.stop()
        await maintenance.stop()
        await core.close()
      })()
      return closing
    },
  }
}

function authenticationSummary(config: GatehouseConfig): { on: boolean; text: string } {
  const n = config.presharedKeys.length
  if (n > 0) return { on: true, text: `on (${n} preshared key${n === 1 ? '' : 's'})` }
  if (isLoopbackHost(config.host)) {
    return { on: false, text: `off; bound to loopback only because no preshared key is set (${envVarFor('presharedKeys')})` }
  }
  return { on: false, text: `OFF on a non-loopback address (${envVarFor('allowUnauthenticated')}=true): anyone who can reach it can change permissions` }
}

async function closeBounded(http: HttpServer, timeoutMs: number, logger: Logger): Promise<void> {
  const closed = http.close()
  // A keep-alive connection whose request finishes after close() began would otherwise idle
  // until its keep-alive timeout; close such connections as soon as they go idle.
  const sweeper = setInterval(() => http.server.closeIdleConnections(), 50)
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
  const outcome = await Promise.race([closed.then(() => 'closed' as const), expired])
  clearTimeout(timer)
  clearInterval(sweeper)
  if (outcome === 'timeout') {
    logger.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections')
    http.server.closeAllConnections()
    await closed
  }
}

function listenError(err: unknown, config: GatehouseConfig, portKey: 'port' | 'mtlsPort' = 'port'): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'EADDRINUSE') return new AppError('listen_failed', `cannot listen on ${config.host}:${config[portKey]}: address already in use (${envVarFor(portKey)})`, { status: 500, cause: err })
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new AppError('listen_failed', `cannot listen on ${config.host}: no such local address (${envVarFor('host')})`, { status: 500, cause: err })
  if (code === 'EACCES') return new AppError('listen_failed', `cannot listen on ${config.host}:${config[portKey]}: permission denied (${envVarFor(portKey)})`, { status: 500, cause: err })
  return err
}
