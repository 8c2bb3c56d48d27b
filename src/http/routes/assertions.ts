import type { FastifyInstance } from 'fastify'
import type { AuthzApi } from '../authz-api.ts'
import { bodyOf, type AssertionParams } from './shared.ts'

export function assertionRoutes(app: FastifyInstance, authz: AuthzApi): void {
  app.put<{ Params: AssertionParams }>('/stores/:store_id/assertions/:authorization_model_id', async (request, reply) => {
    await authz.writeAssertions(request.params.store_id, request.params.authorization_model_id, bodyOf(request.body))
    return reply.code(204).send()
  })

  app.get<{ Params: AssertionParams }>('/stores/:store_id/assertions/:authorization_model_id', async (request) =>
    authz.readAssertions(request.params.store_id, request.params.authorization_model_id))
}
