import { isIP } from 'node:net'
import { ConfigError, ConfigErrorCodes } from './errors.ts'
import { envVarFor, type GatehouseConfig } from './schema.ts'

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (bare === 'localhost' || bare === '::1') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  // IPv4-mapped IPv6 loopback.
  return /^::ffff:127\./i.test(bare)
}

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
