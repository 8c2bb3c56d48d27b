import type { IncomingMessage, ServerResponse } from 'node:http'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { GatehouseConfig } from '../config/index.ts'
import type { ApplicationService, Simulator } from '../forwardauth/index.ts'
import type { ClientService, IdentityDirectory, People } from '../identity/index.ts'
import { AppError, CommonCodes } from '../lib/index.ts'
import { isAdminTokenPath, presharedKeyCheck, presharedKeyHook, rememberAdminActor, type AdminCaller } from './auth.ts'
import type { AuthzApi, PingableStore } from './authz-api.ts'
import { installErrorHandling } from './errors.ts'
import { installHealth } from './health.ts'
import { jsonBodyProblem } from './json-body.ts'
import { createRequestMetrics, installMetrics } from './metrics.ts'
import { openapiRoute } from './openapi.ts'
import { fastPathServer, requestIdOf, type FastPath, type RecordRequest } from './fast-path.ts'
import { providerFastPath, providerHandoff } from './provider-fast-path.ts'
import { forwardAuthFastPath } from './forward-auth-fast-path.ts'
import { queryFastPath, type JsonBodyParser } from './query-fast-path.ts'
import { providerAnswerHeaders, providerFormFastPath } from './provider-form-fast-path.ts'
import { OIDC_ROUTES } from '../identity/index.ts'
import { PAGE_HEADERS } from '../lib/index.ts'
import { isLevelEnabled, lazyChildLogger } from './request-logger.ts'
import { assertionRoutes } from './routes/assertions.ts'
import { modelRoutes } from './routes/models.ts'
import { applicationRoutes } from './routes/applications.ts'
import { auditRoutes, type AuditReader } from './routes/audit.ts'
import { provisioningRoutes } from './routes/provisioning.ts'
import { peopleRoutes } from './routes/people.ts'
import { directoryRoutes } from './routes/directory.ts'
import type { Registry } from 'prom-client'
import type { ProvisioningAdmin } from '../provisioning/index.ts'
import { clientRoutes } from './routes/clients.ts'
import { forwardAuthRoutes, type ForwardAuthMount } from './routes/forward-auth.ts'
import { accountRoutes, type AccountMount } from './routes/account.ts'
import { brandingRoutes, type BrandingMount } from './routes/branding.ts'
import { oidcRoutes, type OidcMount } from './routes/oidc.ts'
import { queryRoutes } from './routes/queries.ts'
import { storeRoutes } from './routes/stores.ts'
import { storeToolRoutes } from './routes/store-tools.ts'
import { peerCertificate, SELF_AUTHENTICATED, tenancyRoutes, type TenancyMount } from './routes/tenancy.ts'
import { consoleRoutes, type ConsoleMount } from './routes/console.ts'
import { streamedListObjectsRoute } from './routes/streamed-list-objects.ts'
import { importRoute } from './routes/import.ts'
import { tupleRoutes } from './routes/tuples.ts'

export interface HttpServerOptions {
  config: Pick<GatehouseConfig, 'presharedKeys' | 'bodyLimitBytes'>
  authz: AuthzApi
  store: PingableStore
  logger: FastifyBaseLogger
  /** False while shutting down, so /readyz takes the instance out of rotation first. */
  ready?: () => boolean
  /** The OpenID Connect provider, when identity is enabled. */
  oidc?: OidcMount
  /** The OIDC client admin API (/api/v1/clients), when identity is enabled. */
  clients?: ClientService
  /** Forward-auth decision and portal endpoints, when identity is enabled. */
  forwardAuth?: ForwardAuthMount
  /** The account page (/account): profile, organizations, sessions, second factors. */
  account?: AccountMount
  /** The brand's logo files. */
  branding?: BrandingMount
  /** The forward-auth application admin API. */
  applications?: ApplicationService
  /** The forward-auth policy simulator (POST …/applications/{id}/simulate). */
  simulate?: Simulator
  /** Resource servers and upstream providers, read-only (/api/v1/resource-servers, /api/v1/upstreams). */
  directory?: IdentityDirectory
  /** The people admin API (/api/v1/accounts, /api/v1/people). */
  people?: People
  /** The audit log API. */
  audit?: AuditReader
  /** The tenancy admin API (/api/v1/organizations, roles, global bindings, ACL) and its OpenAPI document. */
  tenancy?: TenancyMount
  /** The provisioning admin API (events, replay, preview). */
  provisioning?: ProvisioningAdmin
  /** Registries merged into GET /metrics (provisioning). */
  metrics?: Registry[]
  /**
   * Callers of the admin APIs besides the preshared key (ADMIN_TOKEN_PREFIXES): platform
   * administrators' access tokens, as the console sends them. Absent: the preshared key only.
   */
  adminCaller?: AdminCaller
  /** The admin console's static files under /admin. */
  console?: ConsoleMount
}

/**
 * Introspection and client_credentials tokens answered outright where the identity module can;
 * token, introspection and revocation requests handed to the provider directly otherwise.
 */
function oidcFastPaths(mount: OidcMount, record: RecordRequest): FastPath[] {
  const headers = providerAnswerHeaders(PAGE_HEADERS)
  const answered: FastPath[] = []
  for (const [path, answer] of [[OIDC_ROUTES.introspection, mount.fastIntrospect], [OIDC_ROUTES.token, mount.fastToken]] as const) {
    if (answer === undefined) continue
    answered.push(providerFormFastPath({ path, answer, record, provider: providerHandoff(mount, path, record) }, headers))
  }
  return [...answered, providerFastPath(mount, [OIDC_ROUTES.token, OIDC_ROUTES.introspection, OIDC_ROUTES.revocation], record)]
}

/** Builds the Fastify app (not listening): health, metrics, and the OpenFGA API. */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const { config, authz, store, logger } = options
  const bodyLimit = config.bodyLimitBytes
  const metrics = createRequestMetrics()
  // The fast paths need the app's JSON parser and know whether it is closing, both known only
  // once the app exists; the server Fastify creates in its constructor reads them through these.
  let parseJson: JsonBodyParser | undefined
  let closing = false
  const checkKey = config.presharedKeys.length > 0 ? presharedKeyCheck(config.presharedKeys) : undefined
  const fastPaths: FastPath[] = [
    queryFastPath({ authz, authenticate: checkKey, otherCallers: options.adminCaller !== undefined, parseJson: (text, done) => parseJson!(text, done), bodyLimit, logger, record: metrics.record }),
    ...(options.forwardAuth ? [forwardAuthFastPath(options.forwardAuth.service, logger, metrics.record, bodyLimit)] : []),
    ...(options.oidc ? oidcFastPaths(options.oidc, metrics.record) : []),
  ]
  const app = Fastify({
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => fastPathServer(fastPaths, () => closing, handler),
    loggerInstance: logger,
    // Two info lines per request would dominate the cost of a check; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: (err, _request, reply) => {
      void (reply as unknown as FastifyReply).code(400).send({ code: CommonCodes.validation, message: err.message })
    },
  }) as unknown as FastifyInstance
  // Fastify stops routing (503) just before preClose; from then on the fast paths step aside.
  app.addHook('preClose', (done) => { closing = true; done() })

  // JSON only: other media types are refused rather than handed to the engine as strings.
  app.removeAllContentTypeParsers()
  const defaultJson = app.getDefaultJsonParser('error', 'error')
  parseJson = (text, done) => {
    defaultJson(undefined as never, text, (err, body) => {
      const problem = err === null ? jsonBodyProblem(body) : undefined
      if (problem !== undefined) done(new AppError(CommonCodes.validation, problem, { status: 400 }))
      else done(err, body)
    })
  }
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => parseJson!(text as string, done))

  // One hook per phase for every request (hooks are the per-request overhead that adds up):
  // onRequest sets the request id and authenticates; onResponse records metrics.
  const authenticate = checkKey && presharedKeyHook(config.presharedKeys)
  const adminCaller = options.adminCaller
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    // Health, metrics and unknown paths stay open, the tenancy API authenticates its callers
    // itself; everything else is the OpenFGA and admin API behind the preshared key.
    const route = request.routeOptions.config as { public?: boolean; [SELF_AUTHENTICATED]?: boolean }
    if (authenticate === undefined || request.is404 || route.public === true || route[SELF_AUTHENTICATED] === true) done()
    else if (adminCaller !== undefined && isAdminTokenPath(request.routeOptions.url) && (request.headers.authorization ?? '') !== ''
      && checkKey!(request.headers.authorization) !== undefined) {
      // No credential at all answers as everywhere else (bearer_token_missing).
      adminCaller(request.headers.authorization, { write: request.method !== 'GET' && request.method !== 'HEAD', peerCertificate: peerCertificate(request) })
        .then((actor) => { rememberAdminActor(request, actor); done() }, done)
    } else authenticate(request, reply, done)
  })

  installErrorHandling(app, bodyLimit)
  const observe = installMetrics(app, metrics, options.metrics)
  const debug = isLevelEnabled(logger, 'debug')
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply)
    if (debug) request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request completed')
    done()
  })

  installHealth(app, store, options.ready ?? (() => true))
  storeRoutes(app, authz)
  modelRoutes(app, authz)
  tupleRoutes(app, authz)
  importRoute(app, authz, bodyLimit)
  queryRoutes(app, authz)
  streamedListObjectsRoute(app, authz, bodyLimit)
  assertionRoutes(app, authz)
  storeToolRoutes(app, authz)
  if (options.oidc) oidcRoutes(app, options.oidc)
  if (options.clients) clientRoutes(app, options.clients)
  if (options.forwardAuth) forwardAuthRoutes(app, options.forwardAuth)
  if (options.account) accountRoutes(app, options.account)
  if (options.branding) brandingRoutes(app, options.branding)
  if (options.applications) applicationRoutes(app, options.applications, options.simulate)
  if (options.people) peopleRoutes(app, options.people)
  if (options.directory) directoryRoutes(app, options.directory)
  if (options.audit) auditRoutes(app, options.audit)
  if (options.provisioning) provisioningRoutes(app, options.provisioning)
  if (options.tenancy) {
    tenancyRoutes(app, options.tenancy, bodyLimit)
    openapiRoute(app)
  }
  if (options.console) consoleRoutes(app, options.console)

  return app
}
