// Signing keys for commands that run beside the servers (`gatehouse keys …`): the same store,
// secret key and token lifetimes a server would use, so both read and write the same keys.

import { ConfigError, type GatehouseConfig } from '../config/index.ts'
import { createSigningKeys, type SigningKeys } from '../identity/index.ts'
import { openStore } from './core.ts'
import type { Logger } from './logger.ts'
import { resolveSecretKey } from './secret-key.ts'

/** The longest lifetime of anything a key signs: how long a retired key stays published. */
export function maxTokenLifetimeSeconds(config: GatehouseConfig): number {
  return Math.max(
    config.accessTokenTtlSeconds, config.idTokenTtlSeconds, config.refreshTokenTtlSeconds,
    ...config.resourceServers.map((rs) => rs.accessTokenTtlSeconds ?? 0),
    // A forward-auth session keeps its ID token as the id_token_hint of its sign-out.
    config.forwardAuthMaxSeconds,
  )
}

export interface OpenedSigningKeys {
  keys: SigningKeys
  close(): Promise<void>
}

export async function openSigningKeys(config: GatehouseConfig, logger?: Logger): Promise<OpenedSigningKeys> {
  const { store, database } = await openStore(config, logger)
  try {
    if (database.kind === 'sqlite' && database.path === ':memory:') {
      throw new ConfigError(['databaseUrl: signing keys in an in-memory database vanish when the command exits; point it at the server\'s database'])
    }
    // A server migrates on start; a command run first against a new database must find the tables too.
    await store.migrate()
    const secret = resolveSecretKey(config, database)
    const keys = createSigningKeys({ repo: store.signingKeys, secret: secret.value, maxTokenLifetimeSeconds: maxTokenLifetimeSeconds(config) })
    return { keys, close: () => store.close() }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
