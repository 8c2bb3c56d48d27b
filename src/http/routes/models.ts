import type { FastifyInstance } from 'fastify'
import type { AuthzApi } from '../authz-api.ts'
import { bodyOf, type ModelParams, type QueryParams, type StoreParams } from './shared.ts'

export function modelRoutes(app: FastifyInstance, authz: AuthzApi): void {
  app.post<{ Params: StoreParams }>('/stores/:store_id/authorization-models', async (request, reply) => {
    const result = await authz.writeAuthorizationModel(request.params.store_id, bodyOf(request.body))
    return reply.code(201).send(result)
  })

  app.get<{ Params: StoreParams; Querystring: QueryParams }>('/stores/:store_id/authorization-models', async (request) =>
    authz.readAuthorizationModels(request.params.store_id, request.query))

  app.get<{ Params: ModelParams }>('/stores/:store_id/authorization-models/:id', async (request) =>
    authz.readAuthorizationModel(request.params.store_id, request.params.id))
}
