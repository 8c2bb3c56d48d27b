// Project commands. A project is visible to the groups it is shared with and to everyone holding
// organization-wide project read (administrators, readers); listing shows only those.

import { newUuid } from '../lib/index.ts'
import { permits, visibleProjects } from './acl.ts'
import { assertMayShare, limit, LIMITS } from './guards.ts'
import { guardSource, type Mutation, type RequestContext, type TenancyCore } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { assertNotReserved, newNamespace } from './names.ts'
import { projectKeys, projectRecords } from './records.ts'
import { parseInput, projectInput } from './schema.ts'
import type { TenancyState } from './state.ts'
import type { AclProject, Project, RecordSource } from './types.ts'

const SCOPE = 'identity:projects'

export function findProject(state: TenancyState, organizationId: string, idOrName: string): Project {
  const p = state.projects.get(idOrName) ?? state.projectsByOrg.get(organizationId)?.find((x) => x.name === idOrName)
  if (p === undefined || p.organizationId !== organizationId) throw new TenancyError(TenancyErrorCodes.projectNotFound, `no project ${idOrName} in this organization`)
  return p
}

export function projectCommands(core: TenancyCore, reserved: ReadonlySet<string>) {
  const audit = (action: string, p: Project, before: Project | null, after: Project | null) =>
    ({ action: `project.${action}`, target: `project:${p.id}`, outcome: 'success' as const, organizationId: p.organizationId, details: { before, after } as never })

  function build(ctx: RequestContext, state: TenancyState, organizationId: string, input: unknown, base: Project | undefined, source: RecordSource): Project {
    const spec = parseInput(projectInput, input)
    if (base !== undefined && spec.name !== base.name) {
      throw new TenancyError(TenancyErrorCodes.immutableName, 'a project\'s name cannot change (it is part of downstream names); change displayName instead')
    }
    if (base === undefined) assertNotReserved(reserved, spec.name, 'project')
    const siblings = state.projectsByOrg.get(organizationId) ?? []
    const clash = siblings.find((x) => x.name === spec.name && x.id !== base?.id)
    if (clash) throw new TenancyError(TenancyErrorCodes.nameTaken, `a project named ${spec.name} exists in this organization`, { name: spec.name })
    if (base === undefined && siblings.length >= LIMITS.projectsPerOrganization) throw limit(`an organization holds at most ${LIMITS.projectsPerOrganization} projects`)
    const groupIds = [...new Set(spec.groupIds ?? [])].map((gid) => state.groups.get(gid)?.id ?? state.groupsByOrg.get(organizationId)?.find((g) => g.name === gid)?.id ?? gid)
    for (const gid of groupIds) {
      if (state.groups.get(gid)?.organizationId !== organizationId) {
        throw new TenancyError(TenancyErrorCodes.unknownReference, `no group ${gid} in this organization`, { groupId: gid })
      }
    }
    const added = groupIds.filter((g) => !(base?.groupIds.includes(g) ?? false))
    const removed = (base?.groupIds ?? []).filter((g) => !groupIds.includes(g))
    // Sharing decides who gets the project's grants: a grant inside the project is not enough.
    if (base !== undefined && (added.length > 0 || removed.length > 0) && ctx.actor.kind !== 'system'
      && !permits(state, core.standing(ctx, organizationId, state), SCOPE, 'update')) {
      throw new TenancyError(TenancyErrorCodes.permissionDenied, 'sharing a project needs identity:projects update for the whole organization', { scope: SCOPE, operation: 'update' })
    }
    assertMayShare(core, ctx, state, added)
    const org = state.organizations.get(organizationId)!
    const now = core.now()
    return {
      id: base?.id ?? newUuid(), organizationId, name: spec.name, displayName: spec.displayName ?? spec.name, description: spec.description ?? '',
      namespace: base?.namespace ?? newNamespace(state, `${org.name}-${spec.name}`), groupIds, source,
      createdAt: base?.createdAt ?? now, updatedAt: now,
    }
  }

  /**
   * The project the caller may change, by an organization grant or a grant in the project itself.
   * A project the caller cannot even see answers 404, as if it did not exist.
   */
  function changeable(ctx: RequestContext, state: TenancyState, org: string, idOrName: string, op: 'update' | 'delete'): Project {
    const s = core.standing(ctx, org, state)
    const existing = findProject(state, s.organization.id, idOrName)
    if (ctx.actor.kind !== 'system' && !visibleProjects(state, s).some((v) => v.id === existing.id)) {
      throw new TenancyError(TenancyErrorCodes.projectNotFound, `no project ${idOrName} in this organization`)
    }
    core.authorize(ctx, org, SCOPE, op, existing.id, state)
    return existing
  }

  return {
    /** Projects the caller may see, each with the grants it holds there. */
    list(ctx: RequestContext, org: string): AclProject[] {
      return visibleProjects(core.state, core.standing(ctx, org))
    },

    get(ctx: RequestContext, org: string, idOrName: string): Project {
      const s = core.standing(ctx, org)
      const p = findProject(core.state, s.organization.id, idOrName)
      if (!visibleProjects(core.state, s).some((v) => v.id === p.id)) throw new TenancyError(TenancyErrorCodes.projectNotFound, `no project ${idOrName} in this organization`)
      return p
    },

    async create(ctx: RequestContext, org: string, input: unknown, source: RecordSource = 'api'): Promise<Project> {
      return core.mutate(ctx, (state): Mutation<Project> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'create', undefined, state).organization.id
        const p = build(ctx, state, orgId, input, undefined, source)
        return { put: projectRecords(p), remove: [], audit: [audit('create', p, null, p)], result: p }
      })
    },

    async update(ctx: RequestContext, org: string, idOrName: string, input: unknown, source: RecordSource = 'api'): Promise<Project> {
      return core.mutate(ctx, (state): Mutation<Project> => {
        const before = changeable(ctx, state, org, idOrName, 'update')
        guardSource(before, source, 'project')
        const p = build(ctx, state, before.organizationId, input, before, source)
        return { put: projectRecords(p), remove: [], audit: [audit('update', p, before, p)], result: p }
      })
    },

    async delete(ctx: RequestContext, org: string, idOrName: string, source: RecordSource = 'api'): Promise<void> {
      return core.mutate(ctx, (state): Mutation<void> => {
        const p = changeable(ctx, state, org, idOrName, 'delete')
        guardSource(p, source, 'project')
        return { put: [], remove: projectKeys(p), audit: [audit('delete', p, p, null)], result: undefined }
      })
    },
  }
}
