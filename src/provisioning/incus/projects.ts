// Create or update a user's Incus project the way Incus 6.0 needs it: GET, then POST when absent
// or PUT with If-Match when present (PATCH replaces the whole config in 6.0, so it is never used).
// A project without Gatehouse's owner marker for this owner is never adopted, changed or deleted.

import { DeliveryError, ProvisioningCodes, rejectedDelivery } from '../errors.ts'
import type { IncusConnection, IncusResponse } from './connection.ts'
import { incusProjectNameProblem } from './names.ts'
import { assertTemplateKeys, OWNER_KEY, planCreate, planUpdate, type DesiredProject, type ProjectState } from './plan.ts'

export type EnsureOutcome = 'created' | 'updated' | 'unchanged'

/** Attempts per call when another writer gets in between (412 on PUT, duplicate on POST). */
export const MAX_ATTEMPTS = 5

export interface ProjectRecord extends ProjectState {
  usedBy: string[]
  etag: string
}

export function projectPath(name: string): string {
  return `/1.0/projects/${encodeURIComponent(name)}`
}

export function isSuccess(res: IncusResponse): boolean {
  return res.status >= 200 && res.status < 300
}

/** Checks what a call was given before anything is sent. */
export function assertRequest(name: string, owner: string): void {
  const problem = incusProjectNameProblem(name)
  if (problem) {
    throw new DeliveryError(ProvisioningCodes.invalidConfig, `Incus project name "${name}" ${problem}`, { retryable: false, details: { project: name } })
  }
  if (!owner) throw new DeliveryError(ProvisioningCodes.invalidConfig, 'an owner is required to mark the project', { retryable: false })
}

/** Reads the project, or undefined when Incus has none by that name. */
export async function readProject(conn: IncusConnection, name: string): Promise<ProjectRecord | undefined> {
  const path = projectPath(name)
  const res = await conn.send('GET', path)
  if (res.status === 404) return undefined
  if (!isSuccess(res)) throw conn.failure('GET', path, res)
  const m = (res.metadata ?? {}) as { description?: unknown; config?: unknown; used_by?: unknown }
  if (!res.etag) throw rejectedDelivery(`Incus GET ${path} answered without an ETag; safe updates need one`)
  return {
    description: typeof m.description === 'string' ? m.description : '',
    config: isStringRecord(m.config) ? { ...m.config } : {},
    usedBy: Array.isArray(m.used_by) ? m.used_by.filter((u): u is string => typeof u === 'string') : [],
    etag: res.etag,
  }
}

/** Throws notOwned unless Gatehouse created the project for `owner`. */
export function assertOwned(name: string, project: ProjectState, owner: string): void {
  const found = project.config[OWNER_KEY]
  if (found === owner) return
  const why = found === undefined ? 'was not created by Gatehouse' : 'was created by Gatehouse for another owner'
  throw new DeliveryError(ProvisioningCodes.notOwned, `Incus project "${name}" ${why}; it is left alone`, {
    retryable: false, details: { project: name, owner: found ?? null },
  })
}

/** Writes a new state over exactly the version read; false when someone else wrote first (412). */
export async function putProject(conn: IncusConnection, name: string, read: ProjectRecord, next: ProjectState): Promise<boolean> {
  const path = projectPath(name)
  const res = await conn.send('PUT', path, { body: { description: next.description, config: next.config }, ifMatch: read.etag })
  if (isSuccess(res)) return true
  if (res.status === 412) return false
  throw conn.failure('PUT', path, res, featureHint(res))
}

export async function ensureProject(conn: IncusConnection, name: string, desired: DesiredProject, owner: string): Promise<EnsureOutcome> {
  assertRequest(name, owner)
  assertTemplateKeys(desired.config)
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= MAX_ATTEMPTS
    const current = await readProject(conn, name)
    if (!current) {
      const body = { name, ...planCreate(desired, owner) }
      const res = await conn.send('POST', '/1.0/projects', { body })
      if (isSuccess(res)) return 'created'
      // Incus 6.0 answers a duplicate name with a 500 from its database: another writer created
      // the project meanwhile, so read it again and carry on as an update (or a refusal).
      if (res.status === 500 && /UNIQUE constraint/i.test(res.error) && !last) continue
      throw conn.failure('POST', '/1.0/projects', res, featureHint(res))
    }
    assertOwned(name, current, owner)
    const next = planUpdate(current, desired)
    if (!next) return 'unchanged'
    if (await putProject(conn, name, current, next)) return 'updated'
    if (last) throw conn.failure('PUT', projectPath(name), { status: 412, etag: undefined, metadata: undefined, error: `still changing after ${MAX_ATTEMPTS} attempts` })
  }
}

function featureHint(res: IncusResponse): string | undefined {
  return res.status === 400 && /features?\.|feature "/i.test(res.error)
    ? 'features.* can be set when the project is created, or changed only while it is empty'
    : undefined
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
}
