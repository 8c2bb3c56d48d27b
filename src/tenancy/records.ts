// Typed tenancy documents ⇄ store records, including the records that keep email domains and
// namespace slugs unique across organizations and projects.

import type { JsonObject, TenancyRecord } from '../store/index.ts'
import { KINDS, type RecordKind } from './state.ts'
import type { GlobalBinding, Group, Organization, Project, Role, ServiceAccount } from './types.ts'
import { subjectOf } from '../lib/index.ts'

export type RecordKey = { kind: string; id: string }

const json = (value: object) => JSON.parse(JSON.stringify(value)) as JsonObject

export function organizationRecords(o: Organization): TenancyRecord[] {
  return [
    { kind: KINDS.organization, id: o.id, scope: '', name: o.name, data: json(o) },
    ...o.domains.map((d) => ({ kind: KINDS.domain, id: d, scope: '', name: d, data: { organizationId: o.id } })),
    { kind: KINDS.namespace, id: o.namespace, scope: '', name: o.namespace, data: { organizationId: o.id } },
  ]
}

export function organizationKeys(o: Organization): RecordKey[] {
  return organizationRecords(o).map(({ kind, id }) => ({ kind, id }))
}

export function projectRecords(p: Project): TenancyRecord[] {
  return [
    { kind: KINDS.project, id: p.id, scope: p.organizationId, name: p.name, data: json(p) },
    { kind: KINDS.namespace, id: p.namespace, scope: '', name: p.namespace, data: { projectId: p.id } },
  ]
}

export function projectKeys(p: Project): RecordKey[] {
  return projectRecords(p).map(({ kind, id }) => ({ kind, id }))
}

export const roleRecord = (r: Role): TenancyRecord => ({ kind: KINDS.role, id: r.id, scope: '', name: r.name, data: json(r) })
export const groupRecord = (g: Group): TenancyRecord => ({ kind: KINDS.group, id: g.id, scope: g.organizationId, name: g.name, data: json(g) })
export const serviceAccountRecord = (s: ServiceAccount): TenancyRecord => ({ kind: KINDS.serviceAccount, id: s.id, scope: s.organizationId, name: s.name, data: json(s) })
/** One binding per subject: the canonical subject is its unique name. */
export const bindingRecord = (b: GlobalBinding): TenancyRecord => ({
  kind: KINDS.globalBinding, id: b.id, scope: '', name: subjectOf(b.subject.id, b.subject.issuer), data: json(b),
})

export const keyOf = (kind: RecordKind, id: string): RecordKey => ({ kind, id })

/** JSON with object keys sorted: stored documents come back with their keys reordered, so equality is by value. */
export const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v)
