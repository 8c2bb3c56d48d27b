// Builds the client service with oidc-provider's own client validation. The check runs on a
// provider configured exactly like the serving one (same auth methods, scopes, extras, mTLS), but
// with a throwaway signing key: validating metadata never signs anything, and the CLI can then
// manage clients without unlocking the real keys.

import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import type { JWK } from 'jose'
import type { GatehouseConfig } from '../config/index.ts'
import { createClientService, createOidcProvider, type ClientService } from '../identity/index.ts'
import type { Store } from '../store/index.ts'
import { effectiveConfig } from './bootstrap.ts'
import { openStore } from './core.ts'
import type { Logger } from './logger.ts'
import { configuredProviderOptions } from './provider-options.ts'

const generate = promisify(generateKeyPair)

async function throwawayJwks(): Promise<{ keys: JWK[] }> {
  // Both algorithms the serving provider signs with, so a client may ask for either. Off the
  // main thread: an RSA key takes tens of milliseconds.
  const [ec, rsa] = await Promise.all([
    generate('ec', { namedCurve: 'P-256' }),
    generate('rsa', { modulusLength: 2048 }),
  ]) as Array<{ privateKey: KeyObject }>
  return {
    keys: [
      { ...(ec.privateKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', use: 'sig', kid: 'client-validation-es' },
      { ...(rsa.privateKey.export({ format: 'jwk' }) as JWK), alg: 'RS256', use: 'sig', kid: 'client-validation-rs' },
    ],
  }
}

export function createClientAdmin(config: GatehouseConfig, store: Store): ClientService {
  // Built at the first validation, not at start: most starts never register a client.
  let provider: ReturnType<typeof build> | undefined
  const build = async () => createOidcProvider({
    ...configuredProviderOptions(config),
    jwks: await throwawayJwks(),
    store: { oidc: store.oidc, oidcClients: store.oidcClients },
    secretKey: randomBytes(32).toString('base64url'),
    findAccount: async () => undefined,
  })
  return createClientService({
    repo: store.oidcClients,
    validate: async (metadata) => {
      provider ??= build()
      const built = await provider.catch((err: unknown) => { provider = undefined; throw err })
      return built.Client.validate(metadata as Parameters<typeof built.Client.validate>[0])
    },
    resourceScopes: config.resourceServers.flatMap((rs) => rs.scopes),
    resourceAudiences: config.resourceServers.flatMap((rs) => [rs.indicator, rs.audience ?? rs.indicator]),
  })
}

/** For the CLI: the client service on the configured (migrated) database. */
export async function openClientAdmin(config: GatehouseConfig, logger?: Logger): Promise<{ clients: ClientService; close(): Promise<void> }> {
  const { store } = await openStore(config, logger)
  try {
    await store.migrate()
    // The server accepts scopes of the bootstrap file's resource servers: so must the CLI.
    return { clients: createClientAdmin(effectiveConfig(config), store), close: () => store.close() }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
