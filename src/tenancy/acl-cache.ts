// ACLs per state: a platform's services ask for the same caller's ACL on every request, and
// nothing it depends on changes between tenancy revisions, so the answer is computed once per
// (state, organization, caller) and shared. A new state starts an empty cache.

import { computeAcl } from './acl.ts'
import type { TenancyState } from './state.ts'
import type { Acl, Principal } from './types.ts'

/** Entries kept per state; beyond it the cache starts over (bounded memory, no bookkeeping). */
const MAX_ENTRIES = 20_000

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
  return {
    get(current: TenancyState, organization: string, principal: Principal): Acl {
      if (current !== state || entries.size >= MAX_ENTRIES) {
        state = current
        entries = new Map()
      }
      // Upstream groups are part of the key: the same subject may hold others at its next sign-in.
      const key = JSON.stringify([organization, principal.kind, principal.subject, [...principal.upstreamGroups].sort()])
      let acl = entries.get(key)
      if (acl === undefined) {
        // Refusals are not cached: they throw, and are cheap to find again.
        acl = deepFreeze(computeAcl(current, organization, principal))
        entries.set(key, acl)
      }
      return acl
    },
  }
}
