// oidc-provider artefacts: one table for every model. Each operation is a single statement so
// concurrent replicas never read-modify-write: upsert keeps consumed_at, consume is a conditional
// update that exactly one caller wins, revokeByGrantId is one DELETE.

import { validationError } from '../../lib/index.ts'
import type { JsonObject, OidcArtifactPayload, OidcArtifactsRepo } from '../types.ts'
import { parseJsonColumn } from './canonical.ts'
import type { RepoContext } from './context.ts'
import { prepared } from './executor.ts'

interface ArtifactRow {
  payload: unknown
  consumed_at: number | string | null
  [column: string]: unknown
}

// $3 is "now" in every statement that filters on liveness.
const LIVE = '(expires_at IS NULL OR expires_at > $3)'

const UPSERT = prepared(
  `INSERT INTO oidc_artifacts (model, id, payload, grant_id, uid, user_code, expires_at, updated_at, subject)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
   ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
     user_code = excluded.user_code, expires_at = excluded.expires_at, updated_at = excluded.updated_at, subject = excluded.subject`,
)
// An expired, unswept row must not keep a user code from being reused.
const CLEAR_STALE_USER_CODE = prepared(
  'DELETE FROM oidc_artifacts WHERE model = $1 AND user_code = $2 AND id <> $3 AND expires_at <= $4',
)
const FIND = prepared(`SELECT payload, consumed_at FROM oidc_artifacts WHERE model = $1 AND id = $2 AND ${LIVE}`)
const FIND_BY_UID = prepared(
  `SELECT payload, consumed_at FROM oidc_artifacts WHERE model = $1 AND uid = $2 AND ${LIVE}
   ORDER BY updated_at DESC, seq DESC LIMIT 1`,
)
const FIND_BY_USER_CODE = prepared(
  `SELECT payload, consumed_at FROM oidc_artifacts WHERE model = $1 AND user_code = $2 AND ${LIVE}
   ORDER BY updated_at DESC, seq DESC LIMIT 1`,
)
const LIST_BY_SUBJECT = prepared(
  `SELECT id, payload, consumed_at, expires_at FROM oidc_artifacts WHERE model = $1 AND subject = $2 AND ${LIVE}
   ORDER BY updated_at DESC, seq DESC LIMIT $4`,
)
const CONSUME = prepared(
  `UPDATE oidc_artifacts SET consumed_at = $3 WHERE model = $1 AND id = $2 AND consumed_at IS NULL AND ${LIVE}`,
)
const DESTROY = prepared('DELETE FROM oidc_artifacts WHERE model = $1 AND id = $2')
const REVOKE_GRANT = prepared('DELETE FROM oidc_artifacts WHERE model = $1 AND grant_id = $2')
const SWEEP = prepared('DELETE FROM oidc_artifacts WHERE expires_at <= $1')

export function oidcArtifactsRepo(ctx: RepoContext): OidcArtifactsRepo {
  const { db, clock } = ctx
  const now = (): number => clock.now().getTime()

  async function findOne(query: typeof FIND, model: string, key: string): Promise<OidcArtifactPayload | undefined> {
    const rows = await db.all<ArtifactRow>(query, [model, key, now()])
    return rows.length === 0 ? undefined : toPayload(rows[0])
  }

  return {
    async upsert(model, id, payload, expiresInSeconds, refs = {}) {
      if (expiresInSeconds !== undefined && !Number.isFinite(expiresInSeconds)) {
        throw validationError('expiresIn must be a finite number of seconds')
      }
      const at = now()
      const expiresAt = expiresInSeconds === undefined ? null : at + Math.round(expiresInSeconds * 1000)
      const params = [model, id, JSON.stringify(payload), refs.grantId ?? null, refs.uid ?? null, refs.userCode ?? null, expiresAt, at, refs.subject ?? null]
      const userCode = refs.userCode
      if (userCode === undefined) {
        await db.run(UPSERT, params)
        return
      }
      await db.write(async (tx) => {
        await tx.run(CLEAR_STALE_USER_CODE, [model, userCode, id, at])
        await tx.run(UPSERT, params)
      })
    },

    find: (model, id) => findOne(FIND, model, id),
    findByUid: (model, uid) => findOne(FIND_BY_UID, model, uid),
    findByUserCode: (model, userCode) => findOne(FIND_BY_USER_CODE, model, userCode),

    async listBySubject(model, subject, limit = 100) {
      const rows = await db.all<ArtifactRow>(LIST_BY_SUBJECT, [model, subject, now(), Math.max(1, Math.min(1000, Math.floor(limit)))])
      return rows.map((row) => ({
        id: String(row.id), payload: toPayload(row), expiresAt: row.expires_at === null ? null : new Date(Number(row.expires_at)),
      }))
    },

    async consume(model, id) {
      return (await db.run(CONSUME, [model, id, now()])) === 1
    },

    async destroy(model, id) {
      await db.run(DESTROY, [model, id])
    },

    revokeByGrantId: (model, grantId) => db.run(REVOKE_GRANT, [model, grantId]),

    sweepExpired: (at) => db.run(SWEEP, [at.getTime()]),
  }
}

function toPayload(row: ArtifactRow): OidcArtifactPayload {
  const payload = parseJsonColumn(row.payload) as JsonObject
  if (row.consumed_at === null) return payload
  return { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) }
}
