// Rules that keep one organization's administrators inside their organization and inside the
// platform's limits: protected roles stay the platform's to hand out — also through the members
// of a group that already holds one — and every organization's size is bounded, since every
// change rebuilds the in-memory state all tenants share.

import type { RequestContext, TenancyCore } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import type { TenancyState } from './state.ts'
import type { Group } from './types.ts'

export const LIMITS = {
  groupsPerOrganization: 1_000,
  /** Explicit members across all of an organization's groups. */
  membersPerOrganization: 100_000,
  projectsPerOrganization: 10_000,
  serviceAccountsPerOrganization: 1_000,
} as const

export function limit(message: string): TenancyError {
  return new TenancyError(TenancyErrorCodes.limitExceeded, message)
}

/** A role only platform administrators may hand out: protected, or carrying global scopes. */
function powerful(state: TenancyState, roleIds: readonly string[]): string | undefined {
  for (const rid of roleIds) {
    const role = state.roles.get(rid)
    if (role !== undefined && (role.protected || role.scopes.global !== undefined)) return role.name
  }
  return undefined
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i])
const memberKeys = (g: Group) => g.members.map((m) => `${m.issuer}\n${m.id}`)

/**
 * Binding a protected role, or changing who is in a group that holds one, needs a platform-wide
 * grant: otherwise an organization administrator could add anyone to the platform's "finance"
 * group and hand out what the role carries.
 */
export function assertMayGrant(core: TenancyCore, ctx: RequestContext, state: TenancyState, before: Group | undefined, after: Group): void {
  const bound = powerful(state, after.roleIds.filter((r) => !(before?.roleIds.includes(r) ?? false)))
  const held = before === undefined ? undefined : powerful(state, before.roleIds)
  const changed = before !== undefined && (!same(memberKeys(before), memberKeys(after)) || !same(before.upstreamGroups, after.upstreamGroups)
    || !same(before.serviceAccountIds, after.serviceAccountIds) || !same(before.roleIds, after.roleIds))
  const role = bound ?? (changed ? held : undefined)
  if (role === undefined || core.holdsGlobal(ctx, 'identity:roles', 'update', state)) return
  throw new TenancyError(TenancyErrorCodes.protectedRole, bound !== undefined
    ? `role ${role} can only be bound by a platform administrator`
    : `group ${after.name} holds role ${role}: only a platform administrator can change its members and roles`)
}

/** Sharing a project with a group that holds a protected role hands out its project grants. */
export function assertMayShare(core: TenancyCore, ctx: RequestContext, state: TenancyState, added: readonly string[]): void {
  for (const gid of added) {
    const role = powerful(state, state.groups.get(gid)?.roleIds ?? [])
    if (role !== undefined && !core.holdsGlobal(ctx, 'identity:roles', 'update', state)) {
      throw new TenancyError(TenancyErrorCodes.protectedRole, `group ${state.groups.get(gid)!.name} holds role ${role}; only a platform administrator can share projects with it`)
    }
  }
}
