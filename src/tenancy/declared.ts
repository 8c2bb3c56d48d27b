// The tenancy the bootstrap file declares (roles, organizations with their service accounts,
// groups and projects, global bindings), applied through the ordinary commands as source
// 'bootstrap'. A restart must write nothing, so a record equal to its declaration is left alone.
// Records made through the API or CLI belong to their makers: a declaration taking one of their
// names is refused, and every such refusal is found before the first write.

import { z } from 'zod'
import { AppError, CommonCodes, isAppError, subjectOf } from '../lib/index.ts'
import type { RequestContext } from './core.ts'
import { canonical } from './records.ts'
import { DNS_LABEL, groupInput, organizationInput, projectInput, roleInput, serviceAccountInput, subjectSchema } from './schema.ts'
import type { Tenancy } from './service.ts'
import type { TenancyState } from './state.ts'
import { SYSTEM_PRINCIPAL, type RecordSource, type SubjectRef } from './types.ts'

const names = z.array(z.string().regex(DNS_LABEL, 'must be a name (a DNS label)')).max(1000)

/**
 * Groups and bindings name their roles `roleIds` as in the API, or `roles` as this file did
 * first; both spellings are accepted (by name here), never both at once. Places in messages
 * say `roles`.
 */
function withRoles<T extends { roleIds?: string[]; roles?: string[] }>(decl: T, ctx: z.RefinementCtx): Omit<T, 'roleIds' | 'roles'> & { roles: string[] } {
  const { roleIds, roles, ...rest } = decl
  if (roleIds !== undefined && roles !== undefined) ctx.addIssue({ code: 'custom', path: ['roles'], message: 'give roleIds or roles (its older spelling), not both' })
  return { ...rest, roles: roleIds ?? roles ?? [] }
}

const organizationDeclaration = organizationInput.extend({
  serviceAccounts: z.array(serviceAccountInput).max(1000).default([]),
  groups: z.array(groupInput.omit({ serviceAccountIds: true, roleIds: true, roles: true })
    .extend({ serviceAccounts: names.default([]), roleIds: names.max(100).optional(), roles: names.max(100).optional() })
    .transform(withRoles)).max(1000).default([]),
  projects: z.array(projectInput.omit({ groupIds: true }).extend({ groups: names.default([]) })).max(1000).default([]),
})

export const declaredTenancySchema = z.object({
  roles: z.array(roleInput).max(500).default([]),
  organizations: z.array(organizationDeclaration).max(1000).default([]),
  globalBindings: z.array(z.object({ subject: subjectSchema, roleIds: names.min(1).max(100).optional(), roles: names.min(1).max(100).optional() }).strict()
    .transform(withRoles).refine((b) => b.roles.length > 0, { path: ['roles'], message: 'give the roles to bind (roleIds)' })).max(10_000).default([]),
}).strict()

/** The document as written (YAML or JSON); every list may be left out. */
export type DeclaredTenancy = z.input<typeof declaredTenancySchema>
type Doc = z.output<typeof declaredTenancySchema>
type OrgDecl = Doc['organizations'][number]

export interface DeclaredCounts {
  created: number
  updated: number
  deleted: number
  unchanged: number
}

const SOURCE = 'bootstrap'
const ctx: RequestContext = { actor: SYSTEM_PRINCIPAL }

/** `organizations[0].groups[1].roles[0]`, the way the bootstrap file names places. */
export const pathText = (path: readonly PropertyKey[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('')

/** `details.where` and `details.reason` let the bootstrap file name the place its own way. */
function problem(where: string, reason: string, code: string = CommonCodes.validation, status = 400): AppError {
  return new AppError(code, where === '' ? reason : `${where}: ${reason}`, { status, details: { where, reason } })
}

function unique<T>(items: readonly T[], key: (item: T) => string[], where: (i: number) => string, what: string): void {
  const seen = new Set<string>()
  items.forEach((item, i) => {
    for (const k of key(item)) {
      if (seen.has(k)) throw problem(where(i), `${what} ${k} is declared twice`)
      seen.add(k)
    }
  })
}

/** Checks the document alone (shape, duplicates); references and clashes need the stored state. */
export function parseDeclared(input: unknown): Doc {
  const parsed = declaredTenancySchema.safeParse(input ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw problem(pathText(issue.path), issue.message)
  }
  const doc = parsed.data
  unique(doc.roles, (r) => [r.name], (i) => `roles[${i}].name`, 'role')
  unique(doc.organizations, (o) => [o.name], (i) => `organizations[${i}].name`, 'organization')
  unique(doc.organizations, (o) => o.domains ?? [], (i) => `organizations[${i}].domains`, 'domain')
  unique(doc.organizations.flatMap((o) => o.serviceAccounts), (s) => [s.clientId], () => 'organizations', 'service account client')
  doc.organizations.forEach((o, i) => {
    for (const kind of ['serviceAccounts', 'groups', 'projects'] as const) unique<{ name: string }>(o[kind], (x) => [x.name], (j) => `organizations[${i}].${kind}[${j}].name`, 'name')
  })
  unique(doc.globalBindings, (b) => [subjectOf(b.subject.id, b.subject.issuer)], (i) => `globalBindings[${i}].subject`, 'subject')
  return doc
}

const made = (source: RecordSource) => (source === 'builtin' ? 'is built in' : `was made through the ${source === 'cli' ? 'CLI' : 'API'}`)

/** Every refusal that needs no write to find: name clashes, dangling references, blocked deletions. */
function check(state: TenancyState, doc: Doc): void {
  const clash = (where: string, what: string, name: string, source: RecordSource) =>
    problem(where, `${what} "${name}" ${made(source)}; ${source === 'builtin' ? 'choose another name' : `change the entry or delete that ${what} first`}`, 'name_taken', 409)
  const declaredRoles = new Set(doc.roles.map((r) => r.name))
  const roleKnown = (n: string) => declaredRoles.has(n) || (state.roleByName.get(n)?.source ?? SOURCE) !== SOURCE
  doc.roles.forEach((r, i) => {
    const cur = state.roleByName.get(r.name)
    if (cur && cur.source !== SOURCE) throw clash(`roles[${i}].name`, 'role', r.name, cur.source)
  })
  doc.organizations.forEach((o, i) => {
    const at = `organizations[${i}]`
    const org = state.orgByName.get(o.name)
    if (org && org.source !== SOURCE) throw clash(`${at}.name`, 'organization', o.name, org.source)
    ;(o.domains ?? []).forEach((d, j) => {
      const owner = state.orgByDomain.get(d)
      if (owner && owner.source !== SOURCE && owner.name !== o.name) throw problem(`${at}.domains[${j}]`, `domain ${d} belongs to organization "${owner.name}", which ${made(owner.source)}`, 'domain_taken', 409)
    })
    const stored = { serviceAccounts: state.serviceAccounts, groups: state.groups, projects: state.projects }
    const existing = (kind: keyof typeof stored, n: string) =>
      org === undefined ? undefined : [...stored[kind].values()].find((x) => x.organizationId === org.id && x.name === n)
    const singular = { serviceAccounts: 'service account', groups: 'group', projects: 'project' }
    for (const kind of ['serviceAccounts', 'groups', 'projects'] as const) {
      o[kind].forEach((x, j) => {
        const cur = existing(kind, x.name)
        if (cur && cur.source !== SOURCE) throw clash(`${at}.${kind}[${j}].name`, singular[kind], x.name, cur.source)
      })
    }
    o.serviceAccounts.forEach((s, j) => {
      const bound = state.serviceAccountByClient.get(s.clientId)
      if (bound && bound.source !== SOURCE) throw problem(`${at}.serviceAccounts[${j}].clientId`, `client ${s.clientId} is already service account "${bound.name}", which ${made(bound.source)}`, 'client_taken', 409)
    })
    // A reference is to this file's entry, or to a record of the organization made through the API.
    const refs = (kind: 'serviceAccounts' | 'groups', n: string) => o[kind].some((x) => x.name === n) || (existing(kind, n)?.source ?? SOURCE) !== SOURCE
    o.groups.forEach((g, j) => {
      g.roles.forEach((n, k) => { if (!roleKnown(n)) throw problem(`${at}.groups[${j}].roles[${k}]`, `no role "${n}"`) })
      g.serviceAccounts.forEach((n, k) => { if (!refs('serviceAccounts', n)) throw problem(`${at}.groups[${j}].serviceAccounts[${k}]`, `no service account "${n}" in organization ${o.name}`) })
    })
    o.projects.forEach((p, j) => p.groups.forEach((n, k) => { if (!refs('groups', n)) throw problem(`${at}.projects[${j}].groups[${k}]`, `no group "${n}" in organization ${o.name}`) }))
  })
  doc.globalBindings.forEach((b, i) => {
    const cur = state.bindingBySubject.get(subjectOf(b.subject.id, b.subject.issuer))
    if (cur && cur.source !== SOURCE && cur.source !== 'builtin') throw clash(`globalBindings[${i}].subject`, 'global binding', subjectOf(b.subject.id, b.subject.issuer), cur.source)
    b.roles.forEach((n, k) => { if (!roleKnown(n)) throw problem(`globalBindings[${i}].roles[${k}]`, `no role "${n}"`) })
  })
  // What the file no longer declares is deleted, unless someone else's records still hang on it.
  const declaredOrgs = new Set(doc.organizations.map((o) => o.name))
  for (const org of state.organizations.values()) {
    if (org.source !== SOURCE || declaredOrgs.has(org.name)) continue
    const others = [...state.groups.values(), ...state.projects.values(), ...state.serviceAccounts.values()].filter((x) => x.organizationId === org.id && x.source !== SOURCE)
    if (others.length > 0) throw problem('organizations', `organization "${org.name}" is no longer declared but holds ${others.map((x) => x.name).sort().join(', ')}, made through the API or CLI; delete them first or keep declaring it`, CommonCodes.conflict, 409)
  }
  for (const role of state.roles.values()) {
    if (role.source !== SOURCE || declaredRoles.has(role.name)) continue
    const users = [...state.groups.values(), ...state.bindings.values()].filter((x) => x.source !== SOURCE && x.roleIds.includes(role.id))
    if (users.length > 0) throw problem('roles', `role "${role.name}" is no longer declared but is bound ${users.length} time(s) through the API or CLI; unbind it first or keep declaring it`, 'role_in_use', 409)
  }
}

/** Every refusal found without writing (shape, duplicates, clashes, references): for a caller that writes other things first. */
export async function checkDeclared(tenancy: Tenancy, input: unknown): Promise<void> {
  const doc = parseDeclared(input)
  await tenancy.core.reload()
  check(tenancy.core.state, doc)
}

const canon = canonical
const same = (current: object, desired: Record<string, unknown>, keys: string[]) => keys.every((k) => canon((current as Record<string, unknown>)[k]) === canon(desired[k]))
const distinct = (xs: readonly string[] = []) => [...new Set(xs)]
const subject = (s: SubjectRef): SubjectRef => (s.email === undefined ? { id: s.id, issuer: s.issuer } : { id: s.id, issuer: s.issuer, email: s.email })
const members = (list: readonly SubjectRef[] = []) => [...new Map(list.map((m) => [subjectOf(m.id, m.issuer), subject(m)])).values()]

/**
 * Makes the bootstrap-managed tenancy equal to `input`: creates what is missing, updates what
 * differs, deletes bootstrap records no longer declared. Deletions of organization parts run
 * first (freeing email domains and client ids for their new owners), role deletions last (after
 * no group binds them). Each command is its own transaction; a failure names the entry.
 */
export async function applyDeclared(tenancy: Tenancy, input: unknown): Promise<DeclaredCounts> {
  const doc = parseDeclared(input)
  await tenancy.core.reload()
  check(tenancy.core.state, doc)
  const counts: DeclaredCounts = { created: 0, updated: 0, deleted: 0, unchanged: 0 }
  const state = () => tenancy.core.state
  const step = async (where: string, run: () => Promise<unknown>) => {
    try {
      await run()
    } catch (err) {
      throw isAppError(err) && err.status < 500 ? problem(where, err.message, err.code, err.status) : err
    }
  }
  const remove = async (where: string, run: () => Promise<unknown>) => { await step(where, run); counts.deleted++ }
  const upsert = async (where: string, current: object | undefined, desired: Record<string, unknown>, keys: string[], create: () => Promise<unknown>, update: () => Promise<unknown>) => {
    if (current === undefined) {
      await step(where, create)
      counts.created++
    } else if (same(current, desired, keys)) {
      counts.unchanged++
    } else {
      await step(where, update)
      counts.updated++
    }
  }

  const before = state()
  const declaredOrg = new Map(doc.organizations.map((o) => [o.name, o]))
  const declaredIn = (orgId: string, kind: 'serviceAccounts' | 'groups' | 'projects', name: string) =>
    declaredOrg.get(before.organizations.get(orgId)?.name ?? '')?.[kind].some((x) => x.name === name) ?? false
  const boundSubjects = new Set(doc.globalBindings.map((b) => subjectOf(b.subject.id, b.subject.issuer)))
  const stale = <T extends { source: RecordSource }>(list: Map<string, T>, keep: (x: T) => boolean) => [...list.values()].filter((x) => x.source === SOURCE && !keep(x))
  for (const b of stale(before.bindings, (b) => boundSubjects.has(subjectOf(b.subject.id, b.subject.issuer)))) await remove('globalBindings', () => tenancy.bindings.delete(ctx, b.id, SOURCE))
  for (const p of stale(before.projects, (p) => declaredIn(p.organizationId, 'projects', p.name))) await remove('projects', () => tenancy.projects.delete(ctx, p.organizationId, p.id, SOURCE))
  for (const g of stale(before.groups, (g) => declaredIn(g.organizationId, 'groups', g.name))) await remove('groups', () => tenancy.groups.delete(ctx, g.organizationId, g.id, SOURCE))
  for (const s of stale(before.serviceAccounts, (s) => declaredIn(s.organizationId, 'serviceAccounts', s.name))) await remove('serviceAccounts', () => tenancy.serviceAccounts.delete(ctx, s.organizationId, s.id, SOURCE))
  for (const o of stale(before.organizations, (o) => declaredOrg.has(o.name))) await remove('organizations', () => tenancy.organizations.delete(ctx, o.id, SOURCE))

  for (const [i, r] of doc.roles.entries()) {
    const desired = { name: r.name, description: r.description ?? '', protected: r.protected ?? false, scopes: r.scopes }
    const cur = state().roleByName.get(r.name)
    await upsert(`roles[${i}]`, cur, desired, ['description', 'protected', 'scopes'], () => tenancy.roles.create(ctx, desired, SOURCE), () => tenancy.roles.update(ctx, cur!.id, desired, SOURCE))
  }
  const roleIds = (list: readonly string[]) => distinct(list).map((n) => state().roleByName.get(n)!.id)

  const orgIds = new Map<OrgDecl, string>()
  for (const [i, o] of doc.organizations.entries()) {
    const desired = { name: o.name, displayName: o.displayName ?? o.name, description: o.description ?? '', domains: distinct(o.domains).sort(), upstreams: distinct(o.upstreams) }
    const cur = state().orgByName.get(o.name)
    await upsert(`organizations[${i}]`, cur, desired, ['displayName', 'description', 'domains', 'upstreams'],
      () => tenancy.organizations.create(ctx, desired, SOURCE), () => tenancy.organizations.update(ctx, cur!.id, desired, SOURCE))
    orgIds.set(o, state().orgByName.get(o.name)!.id)
  }
  // Parts are looked up by name in their organization: the ids of new ones exist only now.
  const part = <T extends { organizationId: string; name: string }>(list: Map<string, T>, orgId: string, name: string) =>
    [...list.values()].find((x) => x.organizationId === orgId && x.name === name)

  for (const [i, o] of doc.organizations.entries()) {
    const orgId = orgIds.get(o)!
    for (const [j, s] of o.serviceAccounts.entries()) {
      const desired = { name: s.name, description: s.description ?? '', clientId: s.clientId }
      const cur = part(state().serviceAccounts, orgId, s.name)
      await upsert(`organizations[${i}].serviceAccounts[${j}]`, cur, desired, ['description', 'clientId'],
        () => tenancy.serviceAccounts.create(ctx, orgId, desired, SOURCE), () => tenancy.serviceAccounts.update(ctx, orgId, cur!.id, desired, SOURCE))
    }
  }
  for (const [i, o] of doc.organizations.entries()) {
    const orgId = orgIds.get(o)!
    for (const [j, g] of o.groups.entries()) {
      const desired = {
        name: g.name, description: g.description ?? '', members: members(g.members), upstreamGroups: distinct(g.upstreamGroups).sort(),
        serviceAccountIds: distinct(g.serviceAccounts).map((n) => part(state().serviceAccounts, orgId, n)!.id), roleIds: roleIds(g.roles),
      }
      const cur = part(state().groups, orgId, g.name)
      await upsert(`organizations[${i}].groups[${j}]`, cur, desired, ['description', 'members', 'upstreamGroups', 'serviceAccountIds', 'roleIds'],
        () => tenancy.groups.create(ctx, orgId, desired, SOURCE), () => tenancy.groups.update(ctx, orgId, cur!.id, desired, SOURCE))
    }
  }
  for (const [i, o] of doc.organizations.entries()) {
    const orgId = orgIds.get(o)!
    for (const [j, p] of o.projects.entries()) {
      const desired = { name: p.name, displayName: p.displayName ?? p.name, description: p.description ?? '', groupIds: distinct(p.groups).map((n) => part(state().groups, orgId, n)!.id) }
      const cur = part(state().projects, orgId, p.name)
      await upsert(`organizations[${i}].projects[${j}]`, cur, desired, ['displayName', 'description', 'groupIds'],
        () => tenancy.projects.create(ctx, orgId, desired, SOURCE), () => tenancy.projects.update(ctx, orgId, cur!.id, desired, SOURCE))
    }
  }
  for (const [i, b] of doc.globalBindings.entries()) {
    const desired = { subject: subject(b.subject), roleIds: roleIds(b.roles) }
    const cur = state().bindingBySubject.get(subjectOf(b.subject.id, b.subject.issuer))
    const put = () => tenancy.bindings.put(ctx, desired, SOURCE)
    await upsert(`globalBindings[${i}]`, cur, desired, ['subject', 'roleIds'], put, put)
  }
  for (const r of stale(state().roles, (r) => doc.roles.some((d) => d.name === r.name))) await remove('roles', () => tenancy.roles.delete(ctx, r.id, SOURCE))
  return counts
}
