// Forward-auth applications. Every change bumps one counter row in the same transaction, so
// revision() is a single-row read that moves on deletes too (a max(updated_at) would not) and
// never moves on a no-op replace: replicas reload their registry only when something changed.

import { validationError } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { ForwardAuthAppInput, ForwardAuthAppRecord, ForwardAuthAppsRepo, ForwardAuthAppSource, JsonObject } from '../types.ts'
import { canonicalJson, parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { prepared, type SqlRunner } from './executor.ts'
import { unstorableString } from './json-text.ts'

interface AppRow {
  id: string
  spec: unknown
  source: string
  version: number | string
  created_at: number | string
  updated_at: number | string
  [column: string]: unknown
}

const COLUMNS = 'id, spec, source, version, created_at, updated_at'
const SOURCES: readonly string[] = ['api', 'bootstrap', 'cli'] satisfies ForwardAuthAppSource[]

// Spec is canonical JSON text on SQLite and jsonb on PostgreSQL: both compare by value.
const DIFFERS = 'forward_auth_apps.spec IS DISTINCT FROM $2 OR forward_auth_apps.source IS DISTINCT FROM $3'
const INSERT = prepared(
  `INSERT INTO forward_auth_apps (${COLUMNS}) VALUES ($1, $2, $3, 1, $4, $4)
   ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
)
const UPSERT = prepared(
  `INSERT INTO forward_auth_apps (${COLUMNS}) VALUES ($1, $2, $3, 1, $4, $4)
   ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, source = excluded.source,
     version = forward_auth_apps.version + 1, updated_at = excluded.updated_at
   WHERE ${DIFFERS}
   RETURNING ${COLUMNS}`,
)
// One statement: on PostgreSQL a concurrent commit is re-checked against `version = $5`.
const UPDATE_AT_VERSION = prepared(
  `UPDATE forward_auth_apps SET spec = $2, source = $3, version = version + 1, updated_at = $4
   WHERE id = $1 AND version = $5 AND (${DIFFERS})
   RETURNING ${COLUMNS}`,
)
const GET = prepared(`SELECT ${COLUMNS} FROM forward_auth_apps WHERE id = $1`)
const LIST = prepared(`SELECT ${COLUMNS} FROM forward_auth_apps ORDER BY id`)
const DELETE = prepared('DELETE FROM forward_auth_apps WHERE id = $1')
const BUMP = prepared('UPDATE forward_auth_revision SET revision = revision + 1 WHERE singleton = 1')
const REVISION = prepared('SELECT revision FROM forward_auth_revision WHERE singleton = 1')

export function forwardAuthAppsRepo(ctx: RepoContext): ForwardAuthAppsRepo {
  const { db, clock } = ctx
  const paramsOf = (input: ForwardAuthAppInput): unknown[] => {
    validate(input)
    return [input.id, canonicalJson(input.spec), input.source, clock.now().getTime()]
  }

  async function changed(tx: SqlRunner, rows: AppRow[]): Promise<ForwardAuthAppRecord | undefined> {
    if (rows.length === 0) return undefined
    await tx.run(BUMP)
    return toRecord(rows[0])
  }

  return {
    async list() {
      return (await db.all<AppRow>(LIST)).map(toRecord)
    },

    async get(id) {
      const rows = await db.all<AppRow>(GET, [id])
      return rows.length === 0 ? undefined : toRecord(rows[0])
    },

    async create(input) {
      const params = paramsOf(input)
      return db.write(async (tx) => {
        const created = await changed(tx, await tx.all<AppRow>(INSERT, params))
        if (created === undefined) throw new StoreError(StoreErrorCodes.alreadyExists, `a forward-auth application "${input.id}" already exists`)
        return created
      })
    },

    async replace(input, expectedVersion) {
      const params = paramsOf(input)
      if (expectedVersion !== undefined && !(Number.isSafeInteger(expectedVersion) && expectedVersion >= 0)) {
        throw validationError('expectedVersion must be a non-negative integer')
      }
      return db.write(async (tx) => {
        if (expectedVersion === undefined) {
          const written = await changed(tx, await tx.all<AppRow>(UPSERT, params))
          return written ?? toRecord((await tx.all<AppRow>(GET, [input.id]))[0])
        }
        const query = expectedVersion === 0 ? INSERT : UPDATE_AT_VERSION
        const written = await changed(tx, await tx.all<AppRow>(query, expectedVersion === 0 ? params : [...params, expectedVersion]))
        if (written !== undefined) return written
        // Nothing written: either the content was already equal at the expected version, or the
        // version differs (or the application is missing, i.e. at version 0).
        const current = await tx.all<AppRow>(GET, [input.id])
        const version = current.length === 0 ? 0 : Number(current[0].version)
        if (version !== expectedVersion) {
          throw new StoreError(
            StoreErrorCodes.versionConflict,
            `forward-auth application "${input.id}" is at version ${version}, not ${expectedVersion}; re-read it and retry`,
          )
        }
        return toRecord(current[0])
      })
    },

    async delete(id) {
      return db.write(async (tx) => {
        if ((await tx.run(DELETE, [id])) === 0) return false
        await tx.run(BUMP)
        return true
      })
    },

    async revision() {
      const rows = await db.all(REVISION)
      return String(rows[0].revision)
    },
  }
}

function validate(input: ForwardAuthAppInput): void {
  if (typeof input.id !== 'string' || input.id === '' || unstorableString(input.id) !== undefined) {
    throw validationError('application id must be a non-empty string without U+0000 or lone surrogates')
  }
  if (input.spec === null || typeof input.spec !== 'object' || Array.isArray(input.spec)) {
    throw validationError('application spec must be a JSON object')
  }
  if (unstorableString(input.spec) !== undefined) {
    throw validationError('application spec must not contain U+0000 or lone surrogates in its strings')
  }
  if (!SOURCES.includes(input.source)) throw validationError(`source must be one of ${SOURCES.join(', ')}`)
}

function toRecord(row: AppRow): ForwardAuthAppRecord {
  return {
    id: row.id,
    spec: parseJsonColumn(row.spec) as JsonObject,
    source: row.source as ForwardAuthAppSource,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    version: Number(row.version),
  }
}
