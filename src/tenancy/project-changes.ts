// Which tenancy projects a change created, updated or deleted, as plain data for provisioning
// (an organization's deletion deletes its projects; a group's rename shows in the projects
// shared with it).

import type { RecordKey } from './records.ts'
import { KINDS, type TenancyState } from './state.ts'
import type { Project } from './types.ts'

export interface ProjectChange {
  type: 'project.created' | 'project.updated' | 'project.deleted'
  project: { id: string; name: string; organization: string; organizationId: string; groups: string[] }
}

function view(state: TenancyState, p: Project): ProjectChange['project'] {
  const groups = p.groupIds.map((id) => state.groups.get(id)?.name).filter((n): n is string => n !== undefined).sort()
  return { id: p.id, name: p.name, organization: state.organizations.get(p.organizationId)?.name ?? '', organizationId: p.organizationId, groups }
}

export function projectChanges(before: TenancyState, after: TenancyState, changed: readonly RecordKey[]): ProjectChange[] {
  const ids = new Set<string>()
  for (const k of changed) {
    if (k.kind === KINDS.project) ids.add(k.id)
    // A renamed group or organization changes what its projects' events carry.
    if (k.kind === KINDS.group) for (const p of [...(before.projectsByGroup.get(k.id) ?? []), ...(after.projectsByGroup.get(k.id) ?? [])]) ids.add(p.id)
    if (k.kind === KINDS.organization) for (const p of [...(before.projectsByOrg.get(k.id) ?? []), ...(after.projectsByOrg.get(k.id) ?? [])]) ids.add(p.id)
  }
  const out: ProjectChange[] = []
  for (const id of [...ids].sort()) {
    const was = before.projects.get(id)
    const is = after.projects.get(id)
    if (is === undefined && was !== undefined) out.push({ type: 'project.deleted', project: view(before, was) })
    else if (is !== undefined && was === undefined) out.push({ type: 'project.created', project: view(after, is) })
    else if (is !== undefined && was !== undefined) {
      const a = view(before, was)
      const b = view(after, is)
      if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ type: 'project.updated', project: b })
    }
  }
  return out
}
