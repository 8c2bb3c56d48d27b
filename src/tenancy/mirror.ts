// The relationship tuples each tenancy record implies in the system store. A change recomputes
// the tuples of every record it can affect, before and after, and writes the difference in the
// same transaction as the records; a full rebuild compares everything with the stored tuples.

import { relationshipUser, serviceSubject, subjectOf } from '../lib/index.ts'
import type { TupleKey } from '../store/index.ts'
import {
  GLOBAL_TARGET, groupMembers, groupObject, organizationObject, permissionObject, PLATFORM_OBJECT, projectObject, upstreamGroupMembers,
} from './model.ts'
import type { TenancyState } from './state.ts'
import type { Group, ScopeGrants } from './types.ts'

const PROJECTS_SCOPE = 'identity:projects'
const ORGANIZATIONS_SCOPE = 'identity:organizations'

/** An owner is a record whose tuples are computed together: `organization:<id>`, `group:<id>`, … */
export type Owner = string

function grantTuples(out: TupleKey[], target: string, grants: ScopeGrants, user: string): void {
  for (const [scope, ops] of Object.entries(grants)) {
    const object = permissionObject(target, scope)
    for (const op of ops) out.push({ object, relation: op, user })
  }
}

function groupTuples(state: TenancyState, g: Group, out: TupleKey[]): void {
  const self = groupObject(g.id)
  const members = groupMembers(g.id)
  out.push({ object: organizationObject(g.organizationId), relation: 'group', user: self })
  for (const m of g.members) out.push({ object: self, relation: 'member', user: relationshipUser(subjectOf(m.id, m.issuer)) })
  for (const u of g.upstreamGroups) out.push({ object: self, relation: 'member', user: upstreamGroupMembers(u) })
  for (const saId of g.serviceAccountIds) {
    const sa = state.serviceAccounts.get(saId)
    if (sa !== undefined) out.push({ object: self, relation: 'member', user: relationshipUser(serviceSubject(sa.clientId)) })
  }
  for (const rid of g.roleIds) {
    const role = state.roles.get(rid)
    if (role === undefined) continue
    const grants = state.grants(role, 'organization')
    grantTuples(out, g.organizationId, grants, members)
    if (grants[PROJECTS_SCOPE]?.includes('read')) out.push({ object: organizationObject(g.organizationId), relation: 'project_reader', user: members })
  }
}

/** The tuples one owner implies in `state` (none when the record does not exist there). */
export function ownerTuples(state: TenancyState, owner: Owner): TupleKey[] {
  const colon = owner.indexOf(':')
  const kind = owner.slice(0, colon)
  const id = owner.slice(colon + 1)
  const out: TupleKey[] = []
  switch (kind) {
    case 'organization':
      if (state.organizations.has(id)) out.push({ object: organizationObject(id), relation: 'platform', user: PLATFORM_OBJECT })
      break
    case 'group': {
      const g = state.groups.get(id)
      if (g !== undefined) groupTuples(state, g, out)
      break
    }
    case 'project': {
      const p = state.projects.get(id)
      if (p === undefined) break
      const self = projectObject(id)
      out.push({ object: self, relation: 'organization', user: organizationObject(p.organizationId) })
      for (const gid of p.groupIds) {
        const g = state.groups.get(gid)
        if (g === undefined) continue
        out.push({ object: self, relation: 'shared_with', user: groupObject(gid) })
        for (const rid of g.roleIds) {
          const role = state.roles.get(rid)
          if (role !== undefined) grantTuples(out, id, state.grants(role, 'project'), groupMembers(gid))
        }
      }
      break
    }
    case 'service_account': {
      // A service account sees its own organization even before it is placed in a group.
      const sa = state.serviceAccounts.get(id)
      if (sa !== undefined) out.push({ object: organizationObject(sa.organizationId), relation: 'service_account', user: relationshipUser(serviceSubject(sa.clientId)) })
      break
    }
    case 'binding': {
      const b = state.bindings.get(id)
      if (b === undefined) break
      const subject = subjectOf(b.subject.id, b.subject.issuer)
      const user = relationshipUser(subject)
      // One binding per subject: the subject's global grants are this binding's.
      const grants = state.globalGrants(subject)
      for (const [scope, ops] of grants) for (const op of ops) out.push({ object: permissionObject(GLOBAL_TARGET, scope), relation: op, user })
      if (grants.get(PROJECTS_SCOPE)?.has('read')) out.push({ object: PLATFORM_OBJECT, relation: 'project_reader', user })
      if (grants.get(ORGANIZATIONS_SCOPE)?.has('read')) out.push({ object: PLATFORM_OBJECT, relation: 'organization_reader', user })
      break
    }
    default:
      break
  }
  return out
}

/** Every owner in `state`. */
export function allOwners(state: TenancyState): Owner[] {
  return [
    ...[...state.organizations.keys()].map((id) => `organization:${id}`),
    ...[...state.groups.keys()].map((id) => `group:${id}`),
    ...[...state.projects.keys()].map((id) => `project:${id}`),
    ...[...state.bindings.keys()].map((id) => `binding:${id}`),
    ...[...state.serviceAccounts.keys()].map((id) => `service_account:${id}`),
  ]
}

/**
 * Owners whose tuples may differ between `before` and `after`, given the records that changed
 * (as `kind:id` with kinds organization, group, project, role, service_account, global_binding).
 */
export function affectedOwners(before: TenancyState, after: TenancyState, changed: Iterable<string>): Set<Owner> {
  const owners = new Set<Owner>()
  const addGroup = (id: string) => {
    owners.add(`group:${id}`)
    for (const s of [before, after]) for (const p of s.projectsByGroup.get(id) ?? []) owners.add(`project:${p.id}`)
  }
  for (const key of changed) {
    const colon = key.indexOf(':')
    const kind = key.slice(0, colon)
    const id = key.slice(colon + 1)
    switch (kind) {
      case 'organization': owners.add(`organization:${id}`); break
      case 'group': addGroup(id); break
      case 'project': owners.add(`project:${id}`); break
      case 'global_binding': owners.add(`binding:${id}`); break
      case 'service_account':
        owners.add(`service_account:${id}`)
        for (const s of [before, after]) for (const g of s.groups.values()) if (g.serviceAccountIds.includes(id)) owners.add(`group:${g.id}`)
        break
      case 'role':
        // The platform administrator's grants follow every role's scope names.
        for (const s of [before, after]) {
          for (const g of s.groups.values()) if (g.roleIds.includes(id)) addGroup(g.id)
          for (const b of s.bindings.values()) owners.add(`binding:${b.id}`)
        }
        break
      default: break
    }
  }
  return owners
}

export const tupleId = (t: TupleKey) => `${t.object}#${t.relation}@${t.user}`

/** Tuples to write and delete to turn `from` into `to`. */
export function tupleDiff(from: Iterable<TupleKey>, to: Iterable<TupleKey>): { writes: TupleKey[]; deletes: TupleKey[] } {
  const a = new Map<string, TupleKey>()
  for (const t of from) a.set(tupleId(t), t)
  const b = new Map<string, TupleKey>()
  for (const t of to) b.set(tupleId(t), t)
  const writes = [...b].filter(([k]) => !a.has(k)).map(([, t]) => t)
  const deletes = [...a].filter(([k]) => !b.has(k)).map(([, t]) => t)
  return { writes, deletes }
}

/** The tuple diff a change implies. */
export function changeTuples(before: TenancyState, after: TenancyState, changed: Iterable<string>): { writes: TupleKey[]; deletes: TupleKey[] } {
  const owners = affectedOwners(before, after, changed)
  const from: TupleKey[] = []
  const to: TupleKey[] = []
  for (const o of owners) {
    from.push(...ownerTuples(before, o))
    to.push(...ownerTuples(after, o))
  }
  return tupleDiff(from, to)
}

/** Every tuple the state implies (the full mirror, for a rebuild). */
export function allTuples(state: TenancyState): TupleKey[] {
  return allOwners(state).flatMap((o) => ownerTuples(state, o))
}
