import { ConfigError, ConfigErrorCodes } from './errors.ts'
import { isLoopbackHost } from './loopback.ts'
import { envVarFor, type GatehouseConfig } from './schema.ts'

export { isLoopbackHost }

/**
 * An open OpenFGA API on a reachable address lets anyone rewrite every permission, so that
 * needs an explicit opt-in.
 */
export function assertSafeToListen(config: GatehouseConfig): void {
  if (config.presharedKeys.length > 0 || isLoopbackHost(config.host) || config.allowUnauthenticated) return
  throw new ConfigError([
    `refusing to listen on ${config.host} (host, ${envVarFor('host')}) without authentication: no preshared key is configured ` +
      `(presharedKeys, ${envVarFor('presharedKeys')}). Configure a key, bind to a loopback address, or set ` +
      `${envVarFor('allowUnauthenticated')}=true to accept unauthenticated requests from the network.`,
  ], ConfigErrorCodes.unsafeListen)
}
