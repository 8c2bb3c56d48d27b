// An immutable view of every tenancy record at one revision, with the lookups the ACL, the
// mirror and the commands need. Built once per revision; writes build the next one.

import { serviceSubject, subjectOf } from '../lib/index.ts'
import type { TenancyRecord } from '../store/index.ts'
import type { GlobalBinding, Group, Operation, Organization, Project, Role, RoleScopes, ScopeGrants, ServiceAccount } from './types.ts'
import { OPERATIONS } from './types.ts'

export const KINDS = {
  organization: 'organization',
  role: 'role',
  group: 'group',
  project: 'project',
  serviceAccount: 'service_account',
  globalBinding: 'global_binding',
  /** Uniqueness keepers: one record per email domain and per namespace slug. */
  domain: 'domain',
  namespace: 'namespace',
} as const

export type RecordKind = (typeof KINDS)[keyof typeof KINDS]

/** The built-in role whose global grants are every scope any role names, with every operation. */
export const PLATFORM_ADMINISTRATOR = 'platform-administrator'

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

export class TenancyState {
  readonly revision: number
  readonly organizations = new Map<string, Organization>()
  readonly roles = new Map<string, Role>()
  readonly groups = new Map<string, Group>()
  readonly projects = new Map<string, Project>()
  readonly serviceAccounts = new Map<string, ServiceAccount>()
  readonly bindings = new Map<string, GlobalBinding>()

  readonly orgByName = new Map<string, Organization>()
  readonly orgByDomain = new Map<string, Organization>()
  readonly roleByName = new Map<string, Role>()
  readonly groupsByOrg = new Map<string, Group[]>()
  readonly projectsByOrg = new Map<string, Project[]>()
  readonly projectsByGroup = new Map<string, Project[]>()
  readonly groupsBySubject = new Map<string, Group[]>()
  readonly groupsByUpstream = new Map<string, Group[]>()
  readonly serviceAccountByClient = new Map<string, ServiceAccount>()
  readonly bindingBySubject = new Map<string, GlobalBinding>()
  readonly namespaces = new Set<string>()
  /** Every scope name any role grants at any level: what a platform administrator holds. */
  readonly allScopes: string[]

  constructor(revision: number, records: Iterable<TenancyRecord>) {
    this.revision = revision
    for (const r of records) {
      const data = r.data as unknown
      switch (r.kind) {
        case KINDS.organization: this.organizations.set(r.id, data as Organization); break
        case KINDS.role: this.roles.set(r.id, data as Role); break
        case KINDS.group: this.groups.set(r.id, data as Group); break
        case KINDS.project: this.projects.set(r.id, data as Project); break
        case KINDS.serviceAccount: this.serviceAccounts.set(r.id, data as ServiceAccount); break
        case KINDS.globalBinding: this.bindings.set(r.id, data as GlobalBinding); break
        default: break
      }
    }
    for (const o of this.organizations.values()) {
      this.orgByName.set(o.name, o)
      this.namespaces.add(o.namespace)
      for (const d of o.domains) this.orgByDomain.set(d, o)
    }
    const scopes = new Set<string>()
    for (const role of this.roles.values()) {
      this.roleByName.set(role.name, role)
      for (const level of Object.values(role.scopes)) for (const s of Object.keys(level ?? {})) scopes.add(s)
    }
    this.allScopes = [...scopes].sort()
    for (const sa of this.serviceAccounts.values()) this.serviceAccountByClient.set(sa.clientId, sa)
    for (const g of this.groups.values()) {
      push(this.groupsByOrg, g.organizationId, g)
      for (const m of g.members) push(this.groupsBySubject, subjectOf(m.id, m.issuer), g)
      for (const u of g.upstreamGroups) push(this.groupsByUpstream, u, g)
      for (const saId of g.serviceAccountIds) {
        const sa = this.serviceAccounts.get(saId)
        if (sa !== undefined) push(this.groupsBySubject, serviceSubject(sa.clientId), g)
      }
    }
    for (const p of this.projects.values()) {
      this.namespaces.add(p.namespace)
      push(this.projectsByOrg, p.organizationId, p)
      for (const gid of p.groupIds) push(this.projectsByGroup, gid, p)
    }
    for (const b of this.bindings.values()) this.bindingBySubject.set(subjectOf(b.subject.id, b.subject.issuer), b)
  }

  /** A role's grants at one level; the platform administrator holds every scope globally. */
  grants(role: Role, level: keyof RoleScopes): ScopeGrants {
    if (role.name === PLATFORM_ADMINISTRATOR && role.source === 'builtin' && level === 'global') {
      const all: ScopeGrants = {}
      for (const s of this.allScopes) all[s] = [...OPERATIONS]
      return all
    }
    return role.scopes[level] ?? {}
  }

  /** Groups of `organizationId` the subject belongs to, explicitly or through upstream groups. */
  memberships(organizationId: string, subject: string, upstreamGroups: readonly string[]): Group[] {
    const found = new Map<string, Group>()
    for (const g of this.groupsBySubject.get(subject) ?? []) if (g.organizationId === organizationId) found.set(g.id, g)
    for (const u of upstreamGroups) {
      for (const g of this.groupsByUpstream.get(u) ?? []) if (g.organizationId === organizationId) found.set(g.id, g)
    }
    return [...found.values()]
  }

  /** Organization ids the subject belongs to, with its group ids there. */
  organizationsOf(subject: string, upstreamGroups: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>()
    const add = (g: Group) => {
      const ids = out.get(g.organizationId)
      if (ids === undefined) out.set(g.organizationId, [g.id])
      else if (!ids.includes(g.id)) ids.push(g.id)
    }
    for (const g of this.groupsBySubject.get(subject) ?? []) add(g)
    for (const u of upstreamGroups) for (const g of this.groupsByUpstream.get(u) ?? []) add(g)
    return out
  }

  /**
   * Whether a user belongs anywhere: while no organization exists everyone does; then members
   * of an organization's group and holders of a global binding.
   */
  admits(subject: string, upstreamGroups: readonly string[]): boolean {
    return this.organizations.size === 0 || this.bindingBySubject.has(subject) || this.organizationsOf(subject, upstreamGroups).size > 0
  }

  /** Global grants of the subject's global binding (empty when it has none). */
  globalGrants(subject: string): Map<string, Set<Operation>> {
    const out = new Map<string, Set<Operation>>()
    const binding = this.bindingBySubject.get(subject)
    if (binding === undefined) return out
    for (const rid of binding.roleIds) {
      const role = this.roles.get(rid)
      if (role !== undefined) mergeGrants(out, this.grants(role, 'global'))
    }
    return out
  }
}

export function mergeGrants(into: Map<string, Set<Operation>>, grants: ScopeGrants): void {
  for (const [scope, ops] of Object.entries(grants)) {
    let set = into.get(scope)
    if (set === undefined) into.set(scope, (set = new Set()))
    for (const op of ops) set.add(op)
  }
}

export function allows(grants: Map<string, Set<Operation>>, scope: string, op: Operation): boolean {
  return grants.get(scope)?.has(op) === true
}
