import type { FastifyInstance } from 'fastify'
import type { AuthzApi } from '../authz-api.ts'
import { bodyOf, type QueryParams, type StoreParams } from './shared.ts'

export function storeRoutes(app: FastifyInstance, authz: AuthzApi): void {
  app.post('/stores', async (request, reply) => {
    const result = await authz.createStore(bodyOf(request.body))
    return reply.code(201).send(result)
  })

  app.get<{ Querystring: QueryParams }>('/stores', async (request) => authz.listStores(request.query))

  app.get<{ Params: StoreParams }>('/stores/:store_id', async (request) => authz.getStore(request.params.store_id))

  app.delete<{ Params: StoreParams }>('/stores/:store_id', async (request, reply) => {
    await authz.deleteStore(request.params.store_id)
    return reply.code(204).send()
  })
}
