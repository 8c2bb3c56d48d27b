// Admin API for forward-auth applications (behind the preshared key like the OpenFGA API).
import type { FastifyInstance } from 'fastify'
import type { ApplicationService, Simulator } from '../../forwardauth/index.ts'
import { listAnswer } from './lists.ts'
import { bodyOf } from './shared.ts'

const BASE = '/api/v1/forward-auth/applications'

export function applicationRoutes(app: FastifyInstance, applications: ApplicationService, simulate?: Simulator): void {
  app.get(BASE, async () => listAnswer((await applications.list()).applications, undefined, { key: 'applications' }))
  app.post(BASE, async (request, reply) => reply.code(201).send({ application: await applications.create(bodyOf(request.body), 'api', { sourceIp: request.ip }) }))
  app.get<{ Params: { id: string } }>(`${BASE}/:id`, async (request) => ({ application: await applications.get(request.params.id) }))
  app.put<{ Params: { id: string } }>(`${BASE}/:id`, async (request, reply) => {
    const { application, created } = await applications.put(request.params.id, bodyOf(request.body), 'api', { sourceIp: request.ip })
    return reply.code(created ? 201 : 200).send({ application })
  })
  if (simulate) {
    // A dry run: same parsing and decision as the live endpoint, nothing written.
    app.post<{ Params: { id: string } }>(`${BASE}/:id/simulate`, async (request) => ({ result: await simulate(request.params.id, bodyOf(request.body)) }))
  }
  app.delete<{ Params: { id: string } }>(`${BASE}/:id`, async (request, reply) => {
    await applications.delete(request.params.id, { sourceIp: request.ip })
    return reply.code(204).send()
  })
}
