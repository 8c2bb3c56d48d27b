// `gatehouse backup FILE`: a consistent copy of the SQLite database while servers keep running.
// PostgreSQL has its own tools; the command names the pg_dump line to use instead.
import { join, resolve } from 'node:path'
import { describeDatabase, parseDatabaseUrl, type GatehouseConfig } from '../config/index.ts'
import { AppError } from '../lib/index.ts'
import { backupSqliteFile } from '../store/sqlite/index.ts'
import { SECRET_KEY_FILE } from './secret-key.ts'

export interface BackupOutcome {
  file: string
  source: string
  bytes: number
  /** The generated secret key file the copy's signing keys are encrypted with, when no secretKey is configured. */
  secretKeyFile?: string
}

/** The pg_dump line for this database, without its password (pg_dump reads PGPASSWORD or ~/.pgpass). */
export function pgDumpCommand(connectionString: string, file: string): string {
  let url = connectionString
  try {
    const parsed = new URL(connectionString)
    parsed.password = ''
    url = parsed.toString()
  } catch {
    url = 'postgres://USER@HOST:5432/DATABASE'
  }
  return `pg_dump --format=custom --file='${file}' '${url}'`
}

/** `destination`: an absolute path, or one relative to the working directory. */
export async function backupDatabase(config: GatehouseConfig, destination: string): Promise<BackupOutcome> {
  const target = parseDatabaseUrl(config.databaseUrl)
  destination = resolve(destination)
  if (target.kind === 'postgres') {
    throw new AppError('backup_unsupported', [
      `the database is ${describeDatabase(target)}: back it up with PostgreSQL's own tools, e.g.`,
      `  ${pgDumpCommand(target.connectionString, destination)}`,
      '(restore with pg_restore --clean --if-exists --dbname=… FILE; see docs/operations.md)',
    ].join('\n'), { status: 400 })
  }
  if (target.path === ':memory:') throw new AppError('backup_unsupported', 'the database is in memory: there is nothing on disk to back up', { status: 400 })
  const result = await backupSqliteFile(target.path, destination)
  return {
    file: destination, source: target.path, bytes: result.bytes,
    ...(config.secretKey === '' ? { secretKeyFile: join(resolve(config.dataDir), SECRET_KEY_FILE) } : {}),
  }
}
