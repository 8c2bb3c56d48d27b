// POST /stores/{store_id}/import: many tuples in one streamed request, JSON Lines or a JSON array,
// read entry by entry (the body is never held whole, so the normal body limit applies per entry)
// and written by the engine in batched transactions. Authenticated like Write (the /stores
// prefix: the preshared key or a platform administrator's token).
import type { FastifyInstance } from 'fastify'
import { AppError, CommonCodes, isAppError } from '../../lib/index.ts'
import type { AuthzApi } from '../authz-api.ts'
import { jsonArrayItems, jsonLinesItems } from '../import-stream.ts'
import type { QueryParams, StoreParams } from './shared.ts'

const queryValue = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

export const IMPORT_CONTENT_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json'] as const

export function importRoute(app: FastifyInstance, authz: AuthzApi, maxEntryBytes: number): void {
  // Its own scope: here the body parsers hand the stream over instead of buffering it.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser([...IMPORT_CONTENT_TYPES], (_request, payload, done) => done(null, payload))
    scope.post<{ Params: StoreParams; Querystring: QueryParams }>('/stores/:store_id/import', async (request, reply) => {
      const body = request.body as AsyncIterable<Buffer> | undefined
      if (body === undefined || body === null) {
        throw new AppError(CommonCodes.validation, `send the tuples as JSON Lines (Content-Type: application/x-ndjson) or as a JSON array (application/json)`, { status: 400 })
      }
      const lines = !(request.headers['content-type'] ?? '').startsWith('application/json')
      const items = lines ? jsonLinesItems(body, maxEntryBytes) : jsonArrayItems(body, maxEntryBytes)
      const q = request.query
      try {
        return await authz.importTuples(request.params.store_id, items, {
          onDuplicate: queryValue(q.on_duplicate), authorizationModelId: queryValue(q.authorization_model_id), batchSize: queryValue(q.batch_size),
        })
      } catch (err) {
        if (!isAppError(err) || err.details === undefined || !('batches' in err.details)) throw err
        // The rest of the body is not read: close the connection rather than drain an upload.
        reply.header('connection', 'close')
        return reply.code(err.status).send({ code: err.code, message: err.message, ...err.details })
      }
    })
  })
}
