// Group commands: explicit members, upstream groups, service accounts of the same organization,
// and role bindings. Binding a protected role (or one with global scopes) is a platform act.

import { newUuid } from '../lib/index.ts'
import { guardSource, type Mutation, type RequestContext, type TenancyCore } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { groupRecord, keyOf, projectRecords } from './records.ts'
import { assertMayGrant, limit, LIMITS } from './guards.ts'
import { groupInput, parseInput, roleIdsOf } from './schema.ts'
import { KINDS, type TenancyState } from './state.ts'
import type { Group, RecordSource, SubjectRef } from './types.ts'
import { subjectOf } from '../lib/index.ts'

const SCOPE = 'identity:groups'

function distinctMembers(members: SubjectRef[]): SubjectRef[] {
  const seen = new Map<string, SubjectRef>()
  for (const m of members) seen.set(subjectOf(m.id, m.issuer), m.email === undefined ? { id: m.id, issuer: m.issuer } : m)
  return [...seen.values()]
}

export function findGroup(state: TenancyState, organizationId: string, idOrName: string): Group {
  const g = state.groups.get(idOrName) ?? state.groupsByOrg.get(organizationId)?.find((x) => x.name === idOrName)
  if (g === undefined || g.organizationId !== organizationId) throw new TenancyError(TenancyErrorCodes.groupNotFound, `no group ${idOrName} in this organization`)
  return g
}

export function groupCommands(core: TenancyCore) {
  const audit = (action: string, g: Group, before: Group | null, after: Group | null) =>
    ({ action: `group.${action}`, target: `group:${g.id}`, outcome: 'success' as const, organizationId: g.organizationId, details: { before, after } as never })

  /** Checks references, limits and who may bind which role; returns the normalized group. */
  function build(ctx: RequestContext, state: TenancyState, organizationId: string, input: unknown, base: Group | undefined, source: RecordSource): Group {
    const spec = parseInput(groupInput, input)
    const siblings = state.groupsByOrg.get(organizationId) ?? []
    const clash = siblings.find((x) => x.name === spec.name && x.id !== base?.id)
    if (clash) throw new TenancyError(TenancyErrorCodes.nameTaken, `a group named ${spec.name} exists in this organization`, { name: spec.name })
    if (base === undefined && siblings.length >= LIMITS.groupsPerOrganization) throw limit(`an organization holds at most ${LIMITS.groupsPerOrganization} groups`)
    const roleIds = [...new Set(roleIdsOf(spec) ?? [])].map((rid) => (state.roles.get(rid) ?? state.roleByName.get(rid))?.id ?? rid)
    for (const rid of roleIds) if (!state.roles.has(rid)) throw new TenancyError(TenancyErrorCodes.unknownReference, `no role ${rid}`, { roleId: rid })
    const serviceAccountIds = [...new Set(spec.serviceAccountIds ?? [])]
    for (const id of serviceAccountIds) {
      const sa = state.serviceAccounts.get(id)
      if (sa === undefined || sa.organizationId !== organizationId) {
        throw new TenancyError(TenancyErrorCodes.unknownReference, `no service account ${id} in this organization`, { serviceAccountId: id })
      }
    }
    const members = distinctMembers(spec.members ?? [])
    const others = siblings.reduce((n, g) => n + (g.id === base?.id ? 0 : g.members.length), 0)
    if (others + members.length > LIMITS.membersPerOrganization) throw limit(`an organization's groups hold at most ${LIMITS.membersPerOrganization} explicit members in all`)
    const now = core.now()
    const group: Group = {
      id: base?.id ?? newUuid(), organizationId, name: spec.name, description: spec.description ?? '',
      members, upstreamGroups: [...new Set(spec.upstreamGroups ?? [])].sort(),
      serviceAccountIds, roleIds, source, createdAt: base?.createdAt ?? now, updatedAt: now,
    }
    assertMayGrant(core, ctx, state, base, group)
    return group
  }

  return {
    list(ctx: RequestContext, org: string): Group[] {
      const s = core.authorize(ctx, org, SCOPE, 'read')
      return [...(core.state.groupsByOrg.get(s.organization.id) ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1))
    },

    get(ctx: RequestContext, org: string, idOrName: string): Group {
      const s = core.authorize(ctx, org, SCOPE, 'read')
      return findGroup(core.state, s.organization.id, idOrName)
    },

    async create(ctx: RequestContext, org: string, input: unknown, source: RecordSource = 'api'): Promise<Group> {
      return core.mutate(ctx, (state): Mutation<Group> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'create', undefined, state).organization.id
        const g = build(ctx, state, orgId, input, undefined, source)
        return { put: [groupRecord(g)], remove: [], audit: [audit('create', g, null, g)], result: g }
      })
    },

    /** Replaces the group's members, upstream groups, service accounts and roles. */
    async update(ctx: RequestContext, org: string, idOrName: string, input: unknown, source: RecordSource = 'api'): Promise<Group> {
      return core.mutate(ctx, (state): Mutation<Group> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'update', undefined, state).organization.id
        const before = findGroup(state, orgId, idOrName)
        guardSource(before, source, 'group')
        const g = build(ctx, state, orgId, input, before, source)
        return { put: [groupRecord(g)], remove: [], audit: [audit('update', g, before, g)], result: g }
      })
    },

    /** Deletes the group and unshares it from every project. */
    async delete(ctx: RequestContext, org: string, idOrName: string, source: RecordSource = 'api'): Promise<void> {
      return core.mutate(ctx, (state): Mutation<void> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'delete', undefined, state).organization.id
        const g = findGroup(state, orgId, idOrName)
        guardSource(g, source, 'group')
        const now = core.now()
        const put = (state.projectsByGroup.get(g.id) ?? []).flatMap((p) => projectRecords({ ...p, groupIds: p.groupIds.filter((x) => x !== g.id), updatedAt: now }))
        return { put, remove: [keyOf(KINDS.group, g.id)], audit: [audit('delete', g, g, null)], result: undefined }
      })
    },
  }
}
