// OIDC clients managed through the API, the CLI or the bootstrap file. The upsert is one
// statement whose update only fires when something differs, so replicas applying the same
// bootstrap file at once neither conflict nor bump updatedAt.

import { validationError } from '../../lib/index.ts'
import type { JsonObject, OidcClientRecord, OidcClientsRepo, OidcClientSource } from '../types.ts'
import { canonicalJson, parseJsonColumn } from './canonical.ts'
import { pageSizeOf, toPage, type RepoContext } from './context.ts'
import { prepared } from './executor.ts'
import { decodeToken, encodeToken } from './tokens.ts'

interface ClientRow {
  client_id: string
  metadata: unknown
  secret_hash: string | null
  source: string
  created_at: number | string
  updated_at: number | string
  [column: string]: unknown
}

const COLUMNS = 'client_id, metadata, secret_hash, source, created_at, updated_at'

// Metadata is canonical JSON text on SQLite and jsonb on PostgreSQL: both compare by value.
const UPSERT = prepared(
  `INSERT INTO oidc_clients (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5)
   ON CONFLICT (client_id) DO UPDATE SET metadata = excluded.metadata, secret_hash = excluded.secret_hash,
     source = excluded.source, updated_at = excluded.updated_at
   WHERE oidc_clients.metadata IS DISTINCT FROM excluded.metadata
      OR oidc_clients.secret_hash IS DISTINCT FROM excluded.secret_hash
      OR oidc_clients.source IS DISTINCT FROM excluded.source
   RETURNING ${COLUMNS}`,
)
const GET = prepared(`SELECT ${COLUMNS} FROM oidc_clients WHERE client_id = $1`)
const LIST = prepared(`SELECT ${COLUMNS} FROM oidc_clients WHERE client_id > $1 ORDER BY client_id LIMIT $2`)
const DELETE = prepared('DELETE FROM oidc_clients WHERE client_id = $1')

export function oidcClientsRepo(ctx: RepoContext): OidcClientsRepo {
  const { db, clock } = ctx
  return {
    async get(clientId) {
      const rows = await db.all<ClientRow>(GET, [clientId])
      return rows.length === 0 ? null : toRecord(rows[0])
    },

    async list(page) {
      const size = pageSizeOf(page)
      const after = page.continuationToken ? (decodeToken('oidcClients', '', page.continuationToken, ['string'])[0] as string) : ''
      const rows = await db.all<ClientRow>(LIST, [after, size + 1])
      return toPage(rows, size, toRecord, (last) => encodeToken('oidcClients', '', [last.client_id]))
    },

    async upsert(input) {
      if (input.clientId === '') throw validationError('client id must not be empty')
      if (Object.hasOwn(input.metadata, 'client_secret')) {
        throw validationError('client metadata must not carry the secret; store its hash in secretHash')
      }
      const params = [input.clientId, canonicalJson(input.metadata), input.secretHash, input.source, clock.now().getTime()]
      return db.write(async (tx) => {
        const changed = await tx.all<ClientRow>(UPSERT, params)
        if (changed.length > 0) return { client: toRecord(changed[0]), changed: true }
        const current = await tx.all<ClientRow>(GET, [input.clientId])
        return { client: toRecord(current[0]), changed: false }
      })
    },

    async delete(clientId) {
      return (await db.run(DELETE, [clientId])) > 0
    },
  }
}

function toRecord(row: ClientRow): OidcClientRecord {
  return {
    clientId: row.client_id,
    metadata: parseJsonColumn(row.metadata) as JsonObject,
    secretHash: row.secret_hash,
    source: row.source as OidcClientSource,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  }
}
