// Shared by the tenancy API tests (no tests of its own): the API over an in-memory store with a
// preshared key; access tokens are a table the test fills, trusted issuers whatever it passes.
import { createLogger, openCore, type Core } from '../app/index.ts'
import { createCallerResolver } from '../app/tenancy-callers.ts'
import { loadConfig, type GatehouseConfigInput } from '../config/index.ts'
import type { AccessTokenHolder, TrustedIssuers } from '../identity/index.ts'
import { buildHttpServer, type HttpServer } from './index.ts'
import { EMPTY_PROVISIONING } from '../config/index.ts'
import { createProvisioning, type DeliveryTargets, type ProvisioningAdmin } from '../provisioning/index.ts'

const none = () => { throw new Error('no provisioning targets') }
const NO_TARGETS: DeliveryTargets = { incus: none, webhook: none, tuples: none }

export const OPERATOR_KEY = 'operator-key-0123456789'

export interface TenancyHarness {
  app: HttpServer
  core: Core
  tokens: Map<string, AccessTokenHolder>
  /** The provisioning admin API the app serves (no rules configured). */
  provisioning: ProvisioningAdmin
  /** Injects a JSON request as the holder of `token` (undefined: no Authorization header). */
  call(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; json: any; headers: Record<string, unknown> }>
  close(): Promise<void>
}

/** A user's access token: by default a JWT for the API's audience; `opaque`: one any client gets, which may only read. */
export const userToken = (username: string, format: 'jwt' | 'opaque' = 'jwt'): AccessTokenHolder =>
  ({ kind: 'user', subject: `local:${username}`, clientId: 'spa', forAudience: format === 'jwt', otherBinding: false })

export async function tenancyHarness(overrides: GatehouseConfigInput = {}, trusted?: TrustedIssuers): Promise<TenancyHarness> {
  const { config } = loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', logLevel: 'silent', presharedKeys: [OPERATOR_KEY], ...overrides } })
  const logger = createLogger('silent')
  const core = await openCore(config, logger)
  const tokens = new Map<string, AccessTokenHolder>()
  const resolveCaller = createCallerResolver({
    config: () => config, tenancy: core.tenancy,
    signedIn: { accessToken: async (token) => tokens.get(token) },
    trusted: trusted ?? { verify: async () => undefined },
  })
  // With no rules: the admin API is there to document and call, nothing is delivered.
  const provisioning = createProvisioning({ config: EMPTY_PROVISIONING, store: core.store, targets: NO_TARGETS, logger })
  const app = buildHttpServer({ config, authz: core.authz, store: core.store, logger, tenancy: { service: core.tenancy, resolveCaller }, provisioning: provisioning.admin })
  await app.ready()
  return {
    app, core, tokens, provisioning: provisioning.admin,
    async call(method, url, token, body) {
      const res = await app.inject({
        method: method as 'GET', url,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      return { status: res.statusCode, json: res.body === '' ? undefined : res.json(), headers: res.headers }
    },
    close: async () => {
      await app.close()
      await core.close()
    },
  }
}
