import type { FastifyInstance } from 'fastify'
import type { AuthzApi } from '../authz-api.ts'
import { bodyOf, type QueryParams, type StoreParams } from './shared.ts'

export function tupleRoutes(app: FastifyInstance, authz: AuthzApi): void {
  app.post<{ Params: StoreParams }>('/stores/:store_id/write', async (request) =>
    authz.write(request.params.store_id, bodyOf(request.body)))

  app.post<{ Params: StoreParams }>('/stores/:store_id/read', async (request) =>
    authz.read(request.params.store_id, bodyOf(request.body)))

  app.get<{ Params: StoreParams; Querystring: QueryParams }>('/stores/:store_id/changes', async (request) =>
    authz.readChanges(request.params.store_id, request.query))
}
