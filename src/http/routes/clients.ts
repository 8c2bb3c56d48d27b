// Admin API for OIDC clients (behind the preshared key like the OpenFGA API). Only the create and
// rotate answers carry a `secret`; the service never returns one anywhere else.
import type { FastifyInstance } from 'fastify'
import type { ClientService } from '../../identity/index.ts'
import { listAnswer, pageOf, type ListQuery } from './lists.ts'
import { bodyOf } from './shared.ts'

interface ClientParams {
  id: string
}

export function clientRoutes(app: FastifyInstance, clients: ClientService): void {
  app.get<{ Querystring: ListQuery }>('/api/v1/clients', async (request) => {
    const page = await clients.list(pageOf(request.query))
    return listAnswer(page.clients, page.continuationToken, { key: 'clients', tokenKey: 'continuationToken' })
  })

  app.post('/api/v1/clients', async (request, reply) => reply.code(201).send(await clients.create(bodyOf(request.body), 'api')))

  app.get<{ Params: ClientParams }>('/api/v1/clients/:id', async (request) => ({ client: await clients.get(request.params.id) }))

  app.put<{ Params: ClientParams }>('/api/v1/clients/:id', async (request) =>
    ({ client: await clients.update(request.params.id, bodyOf(request.body)) }))

  app.delete<{ Params: ClientParams }>('/api/v1/clients/:id', async (request, reply) => {
    await clients.delete(request.params.id)
    return reply.code(204).send()
  })

  app.post<{ Params: ClientParams }>('/api/v1/clients/:id/secret', async (request) => clients.rotateSecret(request.params.id))
}
