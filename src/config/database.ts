import { isAbsolute, resolve } from 'node:path'
import { redactUrlPassword } from './schema.ts'

export type DatabaseTarget =
  | { kind: 'sqlite'; /** Absolute path, or ':memory:'. */ path: string }
  | { kind: 'postgres'; connectionString: string }

/** Interprets an already validated `databaseUrl`; relative SQLite paths are resolved against `cwd`. */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length)
    if (rest === ':memory:') return { kind: 'sqlite', path: ':memory:' }
    const path = rest.startsWith('///') ? rest.slice(2) : rest
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) }
  }
  return { kind: 'postgres', connectionString: url }
}

/** One line for banners and logs: never includes a password. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return target.path === ':memory:' ? 'SQLite (in memory)' : `SQLite ${target.path}`
  try {
    const url = new URL(target.connectionString)
    const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`
    const port = url.port === '' ? '' : `:${url.port}`
    const host = url.hostname === '' ? (url.searchParams.get('host') ?? '') : url.hostname
    return `PostgreSQL ${user}${host}${port}${url.pathname === '/' ? '' : url.pathname}`
  } catch {
    return `PostgreSQL ${redactUrlPassword(target.connectionString)}`
  }
}
