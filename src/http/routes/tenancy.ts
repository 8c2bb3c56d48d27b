// The tenancy admin API: organizations with their ACL, groups, projects, service accounts and
// audit log; the role catalogue; global bindings. The routes authenticate their caller themselves
// (the operator's preshared key, Gatehouse access tokens, trusted issuers' tokens) instead of the
// preshared-key hook, and leave every authorization decision to the tenancy commands (but one:
// opaque access tokens may only read).

import type { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, CommonCodes, isAppError, subjectOf } from '../../lib/index.ts'
import { firstOrganizationNotice, isFirstOrganization, type Principal, type RequestContext, type Tenancy } from '../../tenancy/index.ts'
import { toHttpError } from '../errors.ts'
import { auditAnswer, parseAuditQuery } from './audit.ts'
import { bodyOf } from './shared.ts'

export interface TenancyMount {
  service: Tenancy
  /**
   * The caller of a request from its Authorization header and, on a TLS connection, the peer
   * certificate (for certificate-bound tokens); throws a 401 AppError when it cannot tell, and a
   * 403 when the credential may not be used for this request (an opaque token for a write).
   */
  resolveCaller(authorization: string | undefined, request: CallerRequest): Promise<Principal>
  /** Whether users in no organization are refused (the first organization then locks them out). */
  requireOrganization?: () => boolean
}

/** Header carrying a notice about what a change did beyond itself (the first organization). */
export const NOTICE_HEADER = 'x-gatehouse-notice'

/** What the caller resolution needs to know of the request besides its Authorization header. */
export interface CallerRequest {
  /** Anything but GET and HEAD: opaque access tokens may only read. */
  write: boolean
  peerCertificate?: X509Certificate
}

/** Only these methods are reads; everything else changes something. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/** Route config of routes that authenticate their caller themselves (the server's hook skips them). */
export const SELF_AUTHENTICATED = 'authenticatesItself'

export const TENANCY_PREFIXES = ['/api/v1/organizations', '/api/v1/roles', '/api/v1/global-bindings', '/api/v1/acl'] as const

// Cached ACLs are frozen and shared until tenancy changes; so is their JSON, which for a caller
// seeing hundreds of projects costs more to write than the ACL cost to find.
const aclTexts = new WeakMap<object, string>()
function aclJson(acl: object): string {
  let text = aclTexts.get(acl)
  if (text === undefined) aclTexts.set(acl, (text = JSON.stringify(acl)))
  return text
}

interface SubjectQuery {
  subject?: string
  issuer?: string
}

/** `?subject=ID&issuer=ISSUER` (an issuer URL, or `local`): whose ACL to compute instead of the caller's. */
function subjectQuery(q: SubjectQuery): { id: string; issuer: string } | undefined {
  if (q.subject === undefined && q.issuer === undefined) return undefined
  const bad = (m: string) => new AppError(CommonCodes.validation, m, { status: 400 })
  if (typeof q.subject !== 'string' || q.subject === '' || q.subject.length > 256) throw bad('subject must be a user id (1 to 256 characters)')
  const issuer = q.issuer ?? 'local'
  if (typeof issuer !== 'string' || (issuer !== 'local' && !URL.canParse(issuer))) throw bad('issuer must be an issuer URL, or "local" for local accounts')
  return { id: q.subject, issuer }
}

type Req<P extends string = never> = FastifyRequest<{ Params: Record<P, string> }>

export function peerCertificate(request: FastifyRequest): X509Certificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>
  // Plain-HTTP connections have none: a certificate-bound token cannot be proven over them.
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined
  return socket.getPeerX509Certificate() ?? undefined
}

/** The commands of a resource that lives in one organization (groups, projects, service accounts). */
interface OrganizationResource<Item, Listed> {
  list(ctx: RequestContext, org: string): Listed[]
  get(ctx: RequestContext, org: string, idOrName: string): Item
  create(ctx: RequestContext, org: string, input: unknown): Promise<Item>
  update(ctx: RequestContext, org: string, idOrName: string, input: unknown): Promise<Item>
  delete(ctx: RequestContext, org: string, idOrName: string): Promise<void>
}

export function tenancyRoutes(app: FastifyInstance, mount: TenancyMount, bodyLimit: number): void {
  void app.register(async (scope) => {
    const contexts = new WeakMap<FastifyRequest, RequestContext>()
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object | undefined), [SELF_AUTHENTICATED]: true } as typeof route.config
    })
    // Before the body is read: an unauthenticated caller learns nothing from validation errors.
    scope.addHook('onRequest', async (request) => {
      const read = READ_METHODS.has(request.method)
      const actor = await mount.resolveCaller(request.headers.authorization, { write: !read, peerCertificate: peerCertificate(request) })
      contexts.set(request, { actor, sourceIp: request.ip })
      // Writes re-check against the committed state themselves; reads catch up first.
      if (read) await mount.service.core.current()
    })
    scope.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body, internal } = toHttpError(err, bodyLimit)
      if (internal) request.log.error({ err }, 'request failed')
      if (status === 401) reply.header('www-authenticate', 'Bearer realm="gatehouse"')
      // Tenancy errors name what was wrong (the field, the scope, the clashing name) in details.
      const details = !internal && isAppError(err) ? err.details : undefined
      return reply.code(status).type('application/json').send(details === undefined ? body : { ...body, details })
    })

    const ctx = (request: FastifyRequest): RequestContext => {
      const c = contexts.get(request)
      if (c === undefined) throw new Error('tenancy request without a resolved caller')
      return c
    }
    const t = mount.service
    const ORGS = '/api/v1/organizations'
    const ORG = `${ORGS}/:org`

    scope.get('/api/v1/acl', async (r) => t.callerAcl(ctx(r)))

    scope.get(ORGS, async (r) => ({ items: t.organizations.list(ctx(r)) }))
    scope.post(ORGS, async (r, reply) => {
      const created = await t.organizations.create(ctx(r), bodyOf(r.body))
      if (mount.requireOrganization?.() !== true || !isFirstOrganization(t.core.state, created.id)) return reply.code(201).send(created)
      // Told to whoever made it, in the answer and the log: nothing else marks the moment.
      const notice = firstOrganizationNotice(created.name)
      r.log.warn({ organization: created.name }, notice)
      return reply.code(201).header(NOTICE_HEADER, notice).send({ ...created, notice })
    })
    scope.get(ORG, async (r: Req<'org'>) => t.organizations.get(ctx(r), r.params.org))
    scope.patch(ORG, async (r: Req<'org'>) => t.organizations.update(ctx(r), r.params.org, bodyOf(r.body)))
    scope.delete(ORG, async (r: Req<'org'>, reply) => {
      await t.organizations.delete(ctx(r), r.params.org)
      return reply.code(204).send()
    })
    scope.get(`${ORG}/acl`, async (r: FastifyRequest<{ Params: { org: string }; Querystring: SubjectQuery }>, reply) => {
      const c = ctx(r)
      const subject = subjectQuery(r.query ?? {})
      if (subject === undefined) return reply.type('application/json; charset=utf-8').send(aclJson(t.acl(c, r.params.org)))
      // Another user's ACL, for whoever may see the organization's groups (its administrators):
      // what they could learn from the groups and roles anyway, computed the way the API does.
      t.core.authorize(c, r.params.org, 'identity:groups', 'read')
      const actor = await t.principalFor(subjectOf(subject.id, subject.issuer), 'user')
      return t.acl({ ...c, actor }, r.params.org)
    })
    scope.get(`${ORG}/audit`, async (r: FastifyRequest<{ Params: { org: string }; Querystring: Parameters<typeof parseAuditQuery>[0] }>) => {
      const c = ctx(r)
      const org = t.core.authorize(c, r.params.org, 'identity:audit', 'read').organization
      // Forced: the organization's entries only, whatever the query says.
      return auditAnswer(await t.core.store.audit.list({ ...parseAuditQuery(r.query ?? {}), organizationId: org.id }))
    })

    const nested = <Item, Listed>(path: string, param: string, commands: OrganizationResource<Item, Listed>) => {
      type R = FastifyRequest<{ Params: Record<string, string> }>
      const one = `${ORG}/${path}/:${param}`
      scope.get(`${ORG}/${path}`, async (r: R) => ({ items: commands.list(ctx(r), r.params.org) }))
      scope.post(`${ORG}/${path}`, async (r: R, reply) => reply.code(201).send(await commands.create(ctx(r), r.params.org, bodyOf(r.body))))
      scope.get(one, async (r: R) => commands.get(ctx(r), r.params.org, r.params[param]))
      scope.put(one, async (r: R) => commands.update(ctx(r), r.params.org, r.params[param], bodyOf(r.body)))
      scope.delete(one, async (r: R, reply) => {
        await commands.delete(ctx(r), r.params.org, r.params[param])
        return reply.code(204).send()
      })
    }
    nested('groups', 'group', t.groups)
    nested('projects', 'project', t.projects)
    nested('serviceaccounts', 'sa', t.serviceAccounts)

    const ROLES = '/api/v1/roles'
    scope.get(ROLES, async (r) => ({ items: t.roles.list(ctx(r)) }))
    scope.post(ROLES, async (r, reply) => reply.code(201).send(await t.roles.create(ctx(r), bodyOf(r.body))))
    scope.get(`${ROLES}/:role`, async (r: Req<'role'>) => t.roles.get(ctx(r), r.params.role))
    scope.put(`${ROLES}/:role`, async (r: Req<'role'>) => t.roles.update(ctx(r), r.params.role, bodyOf(r.body)))
    scope.delete(`${ROLES}/:role`, async (r: Req<'role'>, reply) => {
      await t.roles.delete(ctx(r), r.params.role)
      return reply.code(204).send()
    })

    const BINDINGS = '/api/v1/global-bindings'
    scope.get(BINDINGS, async (r) => ({ items: t.bindings.list(ctx(r)) }))
    scope.put(BINDINGS, async (r) => t.bindings.put(ctx(r), bodyOf(r.body)))
    scope.delete(`${BINDINGS}/:id`, async (r: Req<'id'>, reply) => {
      await t.bindings.delete(ctx(r), r.params.id)
      return reply.code(204).send()
    })
  })
}
