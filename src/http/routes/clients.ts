// Admin API for OIDC clients (behind the preshared key like the OpenFGA API). Only the create and
// rotate answers carry a `secret`; the service never returns one anywhere else.
import type { FastifyInstance } from 'fastify'
import type { ClientService } from '../../identity/index.ts'
import { AppError, CommonCodes } from '../../lib/index.ts'
import { listAnswer } from './lists.ts'
import { bodyOf } from './shared.ts'

interface ClientParams {
  id: string
}

interface ListQuery {
  page_size?: string
  continuation_token?: string
}

function pageSize(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined
  if (!/^[0-9]{1,3}$/.test(text)) throw new AppError(CommonCodes.validation, 'page_size must be a whole number between 1 and 100', { status: 400 })
  return Number(text)
}

export function clientRoutes(app: FastifyInstance, clients: ClientService): void {
  app.get<{ Querystring: ListQuery }>('/api/v1/clients', async (request) => {
    const page = await clients.list({ pageSize: pageSize(request.query.page_size), continuationToken: request.query.continuation_token })
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
