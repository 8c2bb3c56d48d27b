// What Gatehouse writes into a project's config, computed from what is there now: pure functions,
// so the rules (own keys only, hand-set keys survive, dropped keys go, restrictions undo cleanly)
// are testable without an incusd. The markers live in the project's own config so any Gatehouse
// replica, or an operator with the incus CLI, can see what Gatehouse owns and manages.

import { DeliveryError, ProvisioningCodes } from '../errors.ts'

/** Keys under this prefix belong to Gatehouse; templates may not set them. */
export const MARKER_PREFIX = 'user.gatehouse.'
/** Who the project was created for (set on create, never changed). */
export const OWNER_KEY = 'user.gatehouse.owner'
/** Comma-separated keys the template set last time; dropped keys are removed on the next update. */
export const MANAGED_KEYS_KEY = 'user.gatehouse.managed-keys'
/** JSON `{key: value before restriction | null}` while a removal policy restricts the project. */
export const RESTRICTED_KEY = 'user.gatehouse.restricted'

export interface DesiredProject {
  description?: string
  /**
   * Keys the template manages. `features.*` keys may be given: Incus accepts them on create and
   * while the project is empty, and turns every default feature (images, profiles,
   * storage.volumes, storage.buckets) on when the create leaves it out — so give
   * `features.images: "false"` to share the default project's images, for instance.
   */
  config: Record<string, string>
}

export interface ProjectState {
  description: string
  config: Record<string, string>
}

/** Throws when the template tries to write Gatehouse's own marker keys. */
export function assertTemplateKeys(config: Record<string, string>): void {
  const bad = Object.keys(config).filter((k) => k.startsWith(MARKER_PREFIX))
  if (bad.length > 0) {
    throw new DeliveryError(ProvisioningCodes.invalidConfig, `project config keys under ${MARKER_PREFIX} are reserved: ${bad.join(', ')}`, {
      retryable: false, details: { keys: bad },
    })
  }
}

export function managedKeys(config: Record<string, string>): string[] {
  return (config[MANAGED_KEYS_KEY] ?? '').split(',').filter(Boolean)
}

function withManagedMarker(config: Record<string, string>, desired: Record<string, string>): void {
  const keys = Object.keys(desired).sort()
  if (keys.length > 0) config[MANAGED_KEYS_KEY] = keys.join(',')
  else delete config[MANAGED_KEYS_KEY]
}

export function planCreate(desired: DesiredProject, owner: string): ProjectState {
  assertTemplateKeys(desired.config)
  const config = { ...desired.config, [OWNER_KEY]: owner }
  withManagedMarker(config, desired.config)
  return { description: desired.description ?? '', config }
}

/**
 * The state after applying `desired` to `current`, or undefined when nothing would change. A
 * restriction left by retireProject is undone first: the user is back, so the project is theirs
 * again as the template says.
 */
export function planUpdate(current: ProjectState, desired: DesiredProject): ProjectState | undefined {
  assertTemplateKeys(desired.config)
  const config = { ...current.config }
  for (const [key, before] of Object.entries(restrictedKeys(current.config))) {
    if (before === null) delete config[key]
    else config[key] = before
  }
  delete config[RESTRICTED_KEY]
  for (const key of managedKeys(current.config)) {
    // Removing a feature key would turn the feature off (and Incus refuses that on a project in
    // use): a feature the template no longer names stays as it is.
    if (!(key in desired.config) && !key.startsWith('features.')) delete config[key]
  }
  Object.assign(config, desired.config)
  withManagedMarker(config, desired.config)
  const next = { description: desired.description ?? current.description, config }
  return sameState(current, next) ? undefined : next
}

/** Restriction bookkeeping: `{key: value before | null}`; {} when not restricted or unreadable. */
export function restrictedKeys(config: Record<string, string>): Record<string, string | null> {
  const raw = config[RESTRICTED_KEY]
  if (!raw) return {}
  try {
    const parsed: unknown = JSON.parse(raw)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v === null || typeof v === 'string')) as Record<string, string | null>
    }
  } catch {
    // Hand-edited into something else: nothing to restore.
  }
  return {}
}

/**
 * The state with `restriction` applied, remembering each key's value from before the first
 * restriction so planUpdate can restore it; undefined when already so.
 */
export function planRestrict(current: ProjectState, restriction: Record<string, string>): ProjectState | undefined {
  assertTemplateKeys(restriction)
  const before = restrictedKeys(current.config)
  const config = { ...current.config }
  for (const [key, value] of Object.entries(restriction)) {
    if (!(key in before)) before[key] = current.config[key] ?? null
    config[key] = value
  }
  config[RESTRICTED_KEY] = JSON.stringify(Object.fromEntries(Object.entries(before).sort(([a], [b]) => a.localeCompare(b))))
  const next = { description: current.description, config }
  return sameState(current, next) ? undefined : next
}

function sameState(a: ProjectState, b: ProjectState): boolean {
  if (a.description !== b.description) return false
  const ak = Object.keys(a.config)
  return ak.length === Object.keys(b.config).length && ak.every((k) => b.config[k] === a.config[k])
}
