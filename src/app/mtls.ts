// Reads the files of the mutual-TLS listener named in the configuration, so a wrong path stops
// start-up with a configuration error instead of a TLS failure on the first client.

import { readFileSync } from 'node:fs'
import { ConfigError, envVarFor, type ConfigKey, type GatehouseConfig } from '../config/index.ts'

export interface MtlsFiles {
  cert: Buffer
  key: Buffer
  clientCa?: Buffer
}

/** The listener's PEM files, or undefined when mtlsPort is 0 (off). */
export function loadMtlsFiles(config: GatehouseConfig): MtlsFiles | undefined {
  if (config.mtlsPort === 0) return undefined
  const problems: string[] = []
  const read = (name: ConfigKey & ('mtlsCert' | 'mtlsKey' | 'mtlsClientCa'), required: boolean): Buffer | undefined => {
    const path = config[name]
    if (path === '') {
      if (required) problems.push(`${name} (${envVarFor(name)}) is required when mtlsPort (${envVarFor('mtlsPort')}) is set`)
      return undefined
    }
    try {
      return readFileSync(path)
    } catch (err) {
      problems.push(`${name} (${envVarFor(name)}): cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      return undefined
    }
  }
  const cert = read('mtlsCert', true)
  const key = read('mtlsKey', true)
  const clientCa = read('mtlsClientCa', false)
  if (problems.length > 0 || cert === undefined || key === undefined) throw new ConfigError(problems)
  return clientCa === undefined ? { cert, key } : { cert, key, clientCa }
}

/** Where clients reach the listener: the issuer's host name on the mTLS port. */
export function mtlsBaseUrl(config: GatehouseConfig): string {
  return `https://${new URL(config.issuer).hostname}:${config.mtlsPort}`
}
