// Versioned migrations: one numbered .sql file per change in each backend's migrations/ folder
// (NNNN_description.sql). Adding a migration is adding a file; applied versions are recorded in
// schema_migrations, so running again is a no-op.

import { readdirSync, readFileSync } from 'node:fs'
import type { Clock } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import { adHoc, type SqlDatabase } from './executor.ts'

export interface Migration {
  version: number
  name: string
  sql: string
}

const FILE = /^(\d{4,})_([a-z0-9_]+)\.sql$/

export function loadMigrations(dir: URL): Migration[] {
  const migrations: Migration[] = []
  for (const file of readdirSync(dir).sort()) {
    const match = FILE.exec(file)
    if (match === null) continue
    migrations.push({ version: Number(match[1]), name: match[2], sql: readFileSync(new URL(file, dir), 'utf8') })
  }
  const versions = new Set(migrations.map((m) => m.version))
  if (versions.size !== migrations.length) throw new Error(`duplicate migration version in ${dir.pathname}`)
  return migrations
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`
// Ad hoc, not prepared: a cached plan must not outlive the schema change it runs next to.
const APPLIED = adHoc('SELECT version FROM schema_migrations ORDER BY version')
const RECORD = adHoc('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)')

export async function applyMigrations(db: SqlDatabase, migrations: Migration[], clock: Clock): Promise<void> {
  await db.migrate(async (tx) => {
    await tx.exec(CREATE_TABLE)
    const applied = new Set((await tx.all(APPLIED)).map((row) => Number(row.version)))
    const known = new Set(migrations.map((m) => m.version))
    const unknown = [...applied].filter((v) => !known.has(v))
    if (unknown.length > 0) {
      throw new StoreError(
        StoreErrorCodes.schemaTooNew,
        `the database has migrations this version does not know (${unknown.join(', ')}); upgrade Gatehouse`,
      )
    }
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      await tx.exec(migration.sql)
      await tx.run(RECORD, [migration.version, migration.name, clock.now().getTime()])
    }
  })
}
