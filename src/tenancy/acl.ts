// The ACL of one caller in one organization, computed from a tenancy state alone: the caller's
// groups there (explicit, through upstream groups, or as a service account), the union of their
// roles' grants, and the projects it may see. The engine's check over the mirrored tuples
// agrees with it (a property test holds the two together).

import { SERVICE_SUBJECT_PREFIX } from '../lib/index.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { allows, mergeGrants, type TenancyState } from './state.ts'
import type { Acl, AclEndpoint, AclProject, Group, Operation, Organization, Principal } from './types.ts'
import { OPERATIONS } from './types.ts'

type Grants = Map<string, Set<Operation>>

export function endpoints(grants: Grants): AclEndpoint[] {
  return [...grants]
    .filter(([, ops]) => ops.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, ops]) => ({ name, operations: OPERATIONS.filter((op) => ops.has(op)) }))
}

/** The service account's organization when the principal is a service client bound to one. */
function serviceOrganization(state: TenancyState, principal: Principal): string | undefined {
  if (principal.kind !== 'service') return undefined
  return state.serviceAccountByClient.get(principal.subject.slice(SERVICE_SUBJECT_PREFIX.length))?.organizationId
}

export interface Standing {
  organization: Organization
  groups: Group[]
  global: Grants
  /** Grants at organization level (through groups), plus global ones when `withGlobal`. */
  organizationGrants: Grants
}

/**
 * Where the principal stands in an organization, or organization_forbidden: a non-member
 * without global organization read, and every service account of another organization, are
 * refused alike (an unknown organization answers the same, so ids cannot be probed).
 */
/** Global grants: the operator holds every scope; others what their global binding grants. */
export function globalGrantsOf(state: TenancyState, principal: Principal): Grants {
  if (principal.kind !== 'system') return state.globalGrants(principal.subject)
  const all: Grants = new Map()
  for (const s of state.allScopes) all.set(s, new Set(OPERATIONS))
  return all
}

export function standing(state: TenancyState, organizationId: string, principal: Principal): Standing {
  const organization = state.organizations.get(organizationId) ?? state.orgByName.get(organizationId)
  const forbidden = () => new TenancyError(TenancyErrorCodes.organizationForbidden, 'not a member of this organization')
  if (principal.kind === 'system') {
    if (organization === undefined) throw new TenancyError(TenancyErrorCodes.organizationNotFound, `no organization ${organizationId}`)
    return { organization, groups: [], global: globalGrantsOf(state, principal), organizationGrants: new Map() }
  }
  if (organization === undefined) throw forbidden()
  const saOrg = serviceOrganization(state, principal)
  if (principal.kind === 'service' && saOrg !== organization.id) throw forbidden()
  const groups = state.memberships(organization.id, principal.subject, principal.upstreamGroups)
  const global = state.globalGrants(principal.subject)
  if (groups.length === 0 && saOrg === undefined && !allows(global, 'identity:organizations', 'read')) throw forbidden()
  const organizationGrants: Grants = new Map()
  for (const g of groups) {
    for (const rid of g.roleIds) {
      const role = state.roles.get(rid)
      if (role !== undefined) mergeGrants(organizationGrants, state.grants(role, 'organization'))
    }
  }
  return { organization, groups, global, organizationGrants }
}

/** Projects the principal may see, each with the project grants through its groups. */
export function visibleProjects(state: TenancyState, s: Standing): AclProject[] {
  const seeAll = allows(s.organizationGrants, 'identity:projects', 'read') || allows(s.global, 'identity:projects', 'read')
  const mine = new Set(s.groups.map((g) => g.id))
  // Only the caller's groups' projects unless it sees them all: a user in 20 groups of an
  // organization with thousands of projects should not pay for every project.
  const candidates = seeAll ? (state.projectsByOrg.get(s.organization.id) ?? []) : [...new Set(s.groups.flatMap((g) => state.projectsByGroup.get(g.id) ?? []))]
  const out: AclProject[] = []
  for (const p of candidates) {
    const shared = p.groupIds.filter((gid) => mine.has(gid))
    if (shared.length === 0 && !seeAll) continue
    const grants: Grants = new Map()
    for (const gid of shared) {
      for (const rid of state.groups.get(gid)?.roleIds ?? []) {
        const role = state.roles.get(rid)
        if (role !== undefined) mergeGrants(grants, state.grants(role, 'project'))
      }
    }
    out.push({ id: p.id, name: p.name, endpoints: endpoints(grants) })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
}

export function computeAcl(state: TenancyState, organizationId: string, principal: Principal): Acl {
  return aclOf(state, standing(state, organizationId, principal))
}

/** The ACL of a standing: everything in it follows from the groups and the global grants. */
export function aclOf(state: TenancyState, s: Standing): Acl {
  const acl: Acl = {
    organization: { id: s.organization.id, name: s.organization.name, endpoints: endpoints(s.organizationGrants), projects: visibleProjects(state, s) },
  }
  if (s.global.size > 0) acl.global = endpoints(s.global)
  return acl
}

/**
 * Whether the principal may perform `op` on `scope` in the organization (or, with a project id,
 * in that project): a global grant, an organization grant, or a project grant through a group
 * the project is shared with. Used to authorize the admin API itself.
 */
export function permits(state: TenancyState, s: Standing, scope: string, op: Operation, projectId?: string): boolean {
  if (allows(s.global, scope, op) || allows(s.organizationGrants, scope, op)) return true
  if (projectId === undefined) return false
  const p = state.projects.get(projectId)
  if (p === undefined || p.organizationId !== s.organization.id) return false
  const mine = new Set(s.groups.map((g) => g.id))
  for (const gid of p.groupIds) {
    if (!mine.has(gid)) continue
    for (const rid of state.groups.get(gid)?.roleIds ?? []) {
      const role = state.roles.get(rid)
      if (role !== undefined && state.grants(role, 'project')[scope]?.includes(op)) return true
    }
  }
  return false
}

/** Organizations the principal may see: its memberships, or all with global organization read. */
export function visibleOrganizations(state: TenancyState, principal: Principal): Organization[] {
  let orgs: Organization[]
  if (principal.kind === 'system' || allows(state.globalGrants(principal.subject), 'identity:organizations', 'read')) orgs = [...state.organizations.values()]
  else {
    const ids = new Set(state.organizationsOf(principal.subject, principal.upstreamGroups).keys())
    const saOrg = serviceOrganization(state, principal)
    if (saOrg !== undefined) ids.add(saOrg)
    orgs = [...ids].map((id) => state.organizations.get(id)).filter((o): o is Organization => o !== undefined)
  }
  return orgs.sort((a, b) => (a.name < b.name ? -1 : 1))
}
