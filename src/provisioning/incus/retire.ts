// What happens to a personal project when its user is disabled or leaves. Workloads are never
// stopped or deleted here: a project is deleted only when nothing is left in it, otherwise it is
// restricted (and the restriction is undone by the next ensureProject, when the user is back).

import type { IncusConnection } from './connection.ts'
import { assertTemplateKeys, planRestrict } from './plan.ts'
import { assertOwned, assertRequest, isSuccess, MAX_ATTEMPTS, projectPath, putProject, readProject, type ProjectRecord } from './projects.ts'

/**
 * keep: leave the project as it is. restrict: apply the restriction config. delete-when-empty:
 * delete the project when it holds nothing but its default profile, else restrict.
 */
export type RetirePolicy = 'keep' | 'restrict' | 'delete-when-empty'
export const RETIRE_POLICIES: readonly RetirePolicy[] = ['keep', 'restrict', 'delete-when-empty']

export type RetireOutcome = 'kept' | 'restricted' | 'already-restricted' | 'deleted' | 'absent'

/**
 * The restriction used when none is configured: no new instances (`limits.instances` pinned to
 * the number the project has now — Incus refuses a limit below current use, and existing
 * instances are the user's data, left alone).
 */
export function defaultRestriction(project: Pick<ProjectRecord, 'usedBy'>): Record<string, string> {
  return { 'limits.instances': String(project.usedBy.filter((u) => pathOf(u).startsWith('/1.0/instances/')).length) }
}

/** Empty for deletion: nothing in `used_by` but the project's own default profile. */
export function isEmptyProject(project: Pick<ProjectRecord, 'usedBy'>): boolean {
  return project.usedBy.every((u) => pathOf(u) === '/1.0/profiles/default')
}

export async function retireProject(
  conn: IncusConnection, name: string, policy: RetirePolicy, owner: string, restrictConfig?: Record<string, string>,
): Promise<RetireOutcome> {
  if (policy === 'keep') return 'kept'
  assertRequest(name, owner)
  if (restrictConfig) assertTemplateKeys(restrictConfig)
  let tryDelete = policy === 'delete-when-empty'
  for (let attempt = 1; ; attempt++) {
    const current = await readProject(conn, name)
    if (!current) return 'absent'
    assertOwned(name, current, owner)
    if (tryDelete && isEmptyProject(current)) {
      const path = projectPath(name)
      const res = await conn.send('DELETE', path)
      if (isSuccess(res) || res.status === 404) return isSuccess(res) ? 'deleted' : 'absent'
      // Something was created between the read and the delete (Incus answers 500 for that).
      if (!/only empty projects/i.test(res.error)) throw conn.failure('DELETE', path, res)
      tryDelete = false
      continue
    }
    const next = planRestrict(current, restrictConfig ?? defaultRestriction(current))
    if (!next) return 'already-restricted'
    if (await putProject(conn, name, current, next)) return 'restricted'
    if (attempt >= MAX_ATTEMPTS) {
      throw conn.failure('PUT', projectPath(name), { status: 412, etag: undefined, metadata: undefined, error: `still changing after ${MAX_ATTEMPTS} attempts` })
    }
  }
}

function pathOf(url: string): string {
  return url.split('?')[0]
}
