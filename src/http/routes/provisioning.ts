// The provisioning admin API (behind the preshared key like the rest of the admin API): events
// with their attempts, replay, queue stats, the configured targets and rules, and the dry run.
import type { FastifyInstance } from 'fastify'
import type { ProvisioningAdmin } from '../../provisioning/index.ts'
import { listAnswer } from './lists.ts'
import { bodyOf } from './shared.ts'

export const PROVISIONING_BASE = '/api/v1/provisioning'

export function provisioningRoutes(root: FastifyInstance, admin: ProvisioningAdmin): void {
  void root.register(async (app) => routes(app, admin))
}

function routes(app: FastifyInstance, admin: ProvisioningAdmin): void {
  const base = PROVISIONING_BASE
  app.get(`${base}/events`, async (request) => {
    const page = await admin.list(request.query)
    return listAnswer(page.items, page.continuation_token)
  })
  app.get<{ Params: { event: string } }>(`${base}/events/:event`, async (request) => ({ event: await admin.get(request.params.event) }))
  app.post<{ Params: { event: string } }>(`${base}/events/:event/replay`, async (request) => ({ event: await admin.replay(request.params.event) }))
  app.post(`${base}/replay`, async (request) => admin.replayDead(bodyOf(request.body)))
  app.get(`${base}/stats`, async () => admin.stats())
  app.get(`${base}/configuration`, async () => admin.configuration())
  app.post(`${base}/preview`, async (request) => admin.preview(bodyOf(request.body)))
}
