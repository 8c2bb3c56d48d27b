import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthzApi, QueryMeta } from '../authz-api.ts'
import { bodyOf, setModelHeader, type StoreParams } from './shared.ts'

// Check is the hot path: its reply goes through a serializer compiled once at startup.
// additionalProperties keeps any extra field the engine adds (e.g. an explanation).
const checkSchema = {
  response: {
    200: {
      type: 'object',
      properties: { allowed: { type: 'boolean' }, resolution: { type: 'string' } },
      additionalProperties: true,
    },
  },
} as const

type QueryMethod = 'check' | 'batchCheck' | 'expand' | 'listObjects' | 'listUsers'

function queryHandler(authz: AuthzApi, method: QueryMethod) {
  return async (request: FastifyRequest<{ Params: StoreParams }>, reply: FastifyReply) => {
    const meta: QueryMeta = {}
    const result = await authz[method](request.params.store_id, bodyOf(request.body), meta)
    setModelHeader(reply, meta)
    return result
  }
}

export function queryRoutes(app: FastifyInstance, authz: AuthzApi): void {
  app.post<{ Params: StoreParams }>('/stores/:store_id/check', { schema: checkSchema }, queryHandler(authz, 'check'))
  app.post<{ Params: StoreParams }>('/stores/:store_id/batch-check', queryHandler(authz, 'batchCheck'))
  app.post<{ Params: StoreParams }>('/stores/:store_id/expand', queryHandler(authz, 'expand'))
  app.post<{ Params: StoreParams }>('/stores/:store_id/list-objects', queryHandler(authz, 'listObjects'))
  app.post<{ Params: StoreParams }>('/stores/:store_id/list-users', queryHandler(authz, 'listUsers'))
}
