import type { Authz } from '../authz/index.ts'
import { loadConfig, type GatehouseConfig, type GatehouseConfigInput } from '../config/index.ts'
import { openCore } from './core.ts'
import { createLogger, type Logger } from './logger.ts'

const OPERATIONS = [
  'createStore', 'listStores', 'getStore', 'deleteStore',
  'writeAuthorizationModel', 'readAuthorizationModel', 'readAuthorizationModels',
  'write', 'importTuples', 'read', 'readChanges',
  'check', 'batchCheck', 'expand', 'listObjects', 'streamedListObjects', 'listUsers',
  'writeAssertions', 'readAssertions',
] as const

export type GatehouseOperation = (typeof OPERATIONS)[number]

/** Gatehouse in-process: the OpenFGA operations with the same JSON bodies as the HTTP API. */
export type Gatehouse = Pick<Authz, GatehouseOperation> & {
  readonly config: GatehouseConfig
  /** Closes the engine and the store; safe to call twice. */
  close(): Promise<void>
}

export interface OpenGatehouseOptions extends GatehouseConfigInput {
  /** A pino logger; default: one at `logLevel`, which defaults to 'warn' when embedded. */
  logger?: Logger
}

/**
 * Opens the store (running migrations) and the engine, with no HTTP server. Only `options` and
 * the defaults apply: an embedding application's environment and files are its own business.
 */
export async function openGatehouse(options: OpenGatehouseOptions = {}): Promise<Gatehouse> {
  const { logger: givenLogger, ...overrides } = options
  const { config } = loadConfig({ env: {}, overrides: { logLevel: 'warn', ...overrides } })
  const logger = givenLogger ?? createLogger(config.logLevel)
  const core = await openCore(config, logger)
  const authz = core.authz as unknown as Record<GatehouseOperation, (...args: unknown[]) => unknown>
  const gatehouse: Record<string, unknown> = { config, close: () => core.close() }
  for (const name of OPERATIONS) gatehouse[name] = authz[name].bind(authz)
  return Object.freeze(gatehouse) as unknown as Gatehouse
}
