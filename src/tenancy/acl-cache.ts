// ACLs per state: a platform's services ask for the same caller's ACL on every request, and
// nothing it depends on changes between tenancy revisions, so the answer is computed once per
// (state, standing) and shared. The key is what the ACL follows from — the organization, the
// groups the caller matched, its global binding — not the caller's raw identity, so callers who
// vary their subject or send extra upstream groups cannot multiply the entries.

import { aclOf, standing } from './acl.ts'
import type { TenancyState } from './state.ts'
import type { Acl, Principal } from './types.ts'

/** Entries are weighed by their projects; beyond this the cache starts over (bounded memory). */
const MAX_WEIGHT = 1_000_000

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

export function createAclCache() {
  let state: TenancyState | undefined
  let entries = new Map<string, Acl>()
  let weight = 0
  return {
    get(current: TenancyState, organization: string, principal: Principal): Acl {
      if (current !== state || weight >= MAX_WEIGHT) {
        state = current
        entries = new Map()
        weight = 0
      }
      // Refusals throw here and are not cached: they are cheap to find again.
      const s = standing(current, organization, principal)
      const binding = principal.kind === 'system' ? 'system' : (current.bindingBySubject.get(principal.subject)?.id ?? '')
      const key = JSON.stringify([s.organization.id, principal.kind, s.groups.map((g) => g.id).sort(), binding])
      let acl = entries.get(key)
      if (acl === undefined) {
        acl = deepFreeze(aclOf(current, s))
        entries.set(key, acl)
        weight += 1 + acl.organization.projects.length
      }
      return acl
    },
  }
}
