// What the OpenFGA-style commands (stores, model write/get, tuples) share: their options, the
// engine opened on the configured database for the length of one command, and paging.
import type { Authz } from '../authz/index.ts'
import type { GatehouseConfig } from '../config/index.ts'
import { UsageError } from './io.ts'

export interface FgaOptions {
  store?: string
  id?: string
  format?: string
  object?: string
  relation?: string
  user?: string
  file?: string
  out?: string
  condition?: string
  context?: string
  onDuplicate?: string
  batchSize?: string
}

/** Runs `work` with the engine on the configured database, closing it afterwards. */
export async function withEngine<T>(config: GatehouseConfig, work: (authz: Authz) => Promise<T>): Promise<T> {
  const app = await import('../app/index.ts')
  const admin = await app.openEngineAdmin(config, app.createLogger(config.logLevel))
  try {
    return await work(admin.authz)
  } finally {
    await admin.close()
  }
}

export function requireStore(command: string, options: FgaOptions): string {
  if (options.store === undefined || options.store === '') throw new UsageError(`${command}: missing --store ID`)
  return options.store
}

/** Follows continuation tokens to the end; `fetch` gets '' first. */
export async function allPages<T>(fetch: (token: string) => Promise<{ items: T[]; token: string }>): Promise<T[]> {
  const out: T[] = []
  let token = ''
  do {
    const page = await fetch(token)
    out.push(...page.items)
    token = page.token
  } while (token !== '')
  return out
}

/** A JSON object given on the command line (--context). */
export function jsonObjectOption(name: string, text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`--${name}: not valid JSON: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--${name}: expected a JSON object`)
  return value as Record<string, unknown>
}
