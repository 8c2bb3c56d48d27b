// The people admin API (platform administrators or the preshared key): local accounts and the
// upstream users seen, their organizations and live sessions; ending a session, disabling or
// enabling a local account, setting or generating its password. The service audits each action.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { People } from '../../identity/index.ts'
import { AppError, CommonCodes } from '../../lib/index.ts'
import { adminActorOf } from '../auth.ts'
import { listAnswer, pageOf, type ListQuery } from './lists.ts'
import { bodyOf } from './shared.ts'

const passwordBody = z.object({
  /** Absent: Gatehouse generates one and answers it once. */
  password: z.string().optional(),
}).strict()

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  throw new AppError(CommonCodes.validation, result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '), { status: 400 })
}

export function peopleRoutes(app: FastifyInstance, people: People): void {
  const context = (request: FastifyRequest) => ({ actor: adminActorOf(request), sourceIp: request.ip })

  app.get<{ Querystring: ListQuery }>('/api/v1/accounts', async (request) => {
    const page = await people.accounts(pageOf(request.query))
    return listAnswer(page.items, page.continuationToken)
  })
  app.post<{ Params: { username: string } }>('/api/v1/accounts/:username/disable', async (request) =>
    ({ account: await people.setDisabled(request.params.username, true, context(request)) }))
  app.post<{ Params: { username: string } }>('/api/v1/accounts/:username/enable', async (request) =>
    ({ account: await people.setDisabled(request.params.username, false, context(request)) }))
  app.post<{ Params: { username: string } }>('/api/v1/accounts/:username/password', async (request) => {
    const { password } = parsed(passwordBody, bodyOf(request.body))
    const { account, generatedPassword } = await people.resetPassword(request.params.username, password, context(request))
    return generatedPassword === undefined ? { account } : { account, password: generatedPassword }
  })

  app.get<{ Querystring: ListQuery }>('/api/v1/people', async (request) => {
    const page = await people.upstreamUsers(pageOf(request.query))
    return listAnswer(page.items, page.continuationToken)
  })
  app.get<{ Params: { subject: string } }>('/api/v1/people/:subject', async (request) => ({ person: await people.get(request.params.subject) }))
  app.get<{ Params: { subject: string } }>('/api/v1/people/:subject/sessions', async (request) => listAnswer(await people.sessions(request.params.subject)))
  app.delete<{ Params: { subject: string; session: string } }>('/api/v1/people/:subject/sessions/:session', async (request, reply) => {
    await people.revokeSession(request.params.subject, request.params.session, context(request))
    return reply.code(204).send()
  })
}
