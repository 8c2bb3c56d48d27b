// Read-only lists of the identity configuration for the console (platform administrators or
// the preshared key): resource servers and upstream identity providers, never a secret.
import type { FastifyInstance } from 'fastify'
import type { IdentityDirectory } from '../../identity/index.ts'
import { AppError } from '../../lib/index.ts'
import { listAnswer } from './lists.ts'

export function directoryRoutes(app: FastifyInstance, directory: IdentityDirectory): void {
  app.get('/api/v1/resource-servers', async () => listAnswer(directory.resourceServers()))
  app.get('/api/v1/upstreams', async () => listAnswer(directory.upstreams()))
  app.get<{ Params: { upstream: string } }>('/api/v1/upstreams/:upstream/health', async (request) => {
    const health = await directory.upstreamHealth(request.params.upstream)
    if (health === undefined) throw new AppError('upstream_not_found', `no upstream provider ${request.params.upstream}`, { status: 404 })
    return health
  })
}
