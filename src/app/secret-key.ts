// The secret that encrypts signing keys and derives cookie keys. With SQLite a missing secret is
// generated once beside the data; PostgreSQL serves many replicas, which must share one secret,
// so there it has to be configured.

import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError, envVarFor, type DatabaseTarget, type GatehouseConfig } from '../config/index.ts'

export const SECRET_KEY_FILE = 'secret.key'

export interface ResolvedSecretKey {
  value: string
  /** Where it came from, for the start-up banner. */
  origin: 'config' | 'file' | 'generated' | 'ephemeral'
  path?: string
}

export function resolveSecretKey(config: GatehouseConfig, database: DatabaseTarget): ResolvedSecretKey {
  if (config.secretKey !== '') return { value: config.secretKey, origin: 'config' }
  if (database.kind === 'postgres') {
    throw new ConfigError([
      `secretKey (${envVarFor('secretKey')}) is required with PostgreSQL: every replica must use the same secret to read the signing keys. ` +
        `Set it to at least 32 random characters, e.g. the output of \`openssl rand -base64 48\`.`,
    ])
  }
  // An in-memory database loses the keys on exit anyway, so a throwaway secret is enough.
  if (database.path === ':memory:') return { value: randomBytes(32).toString('base64url'), origin: 'ephemeral' }
  const dir = resolve(config.dataDir)
  const path = join(dir, SECRET_KEY_FILE)
  mkdirSync(dir, { recursive: true })
  try {
    // 'wx' fails when the file exists, so two processes starting at once cannot overwrite each other.
    writeFileSync(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
    return { value: readKeyFile(path), origin: 'generated', path }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return { value: readKeyFile(path), origin: 'file', path }
}

function readKeyFile(path: string): string {
  const value = readFileSync(path, 'utf8').trim()
  if (value.length < 32) {
    throw new ConfigError([`${path} holds a secret key shorter than 32 characters; fix or remove it, or set ${envVarFor('secretKey')}`])
  }
  return value
}
