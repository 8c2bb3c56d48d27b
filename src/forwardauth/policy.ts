// Policy evaluation: every condition of a policy must hold. The cheap, local checks run first so a
// request that fails them never costs a relationship lookup.

import type { CompiledApplication, CompiledPolicy } from './application.ts'
import { inAnyCidr, type IpAddress } from './client-ip.ts'
import type { ForwardIdentity } from './identity-headers.ts'
import { pathHasPrefix } from './paths.ts'
import { inTimeWindow } from './time-window.ts'

/** Answers `user <relation> <object>` in a relationship store (the engine, in production). */
export interface RelationshipChecker {
  check(query: { store: string; object: string; relation: string; identity: ForwardIdentity }): Promise<boolean>
}

export type PolicyCheck = 'methods' | 'source_ip' | 'time_window' | 'groups.any_of' | 'groups.all_of' | 'relation'

export interface PolicyFailure {
  check: PolicyCheck
  reason: string
}

export interface PolicyContext {
  method: string
  clientIp: IpAddress | null
  now: Date
  identity: ForwardIdentity
}

export interface SelectedPolicy {
  /** `default`, or the path prefix of the rule that applied (with its methods). */
  scope: string
  policy: CompiledPolicy
}

/** The rule for a normalised path and method: the longest matching prefix, else the default. */
export function selectPolicy(app: CompiledApplication, path: string, method: string): SelectedPolicy {
  for (const rule of app.rules) {
    if (!pathHasPrefix(path, rule.pathPrefix)) continue
    if (rule.methods && !rule.methods.has(method)) continue
    const methods = rule.methods ? ` ${[...rule.methods].join(',')}` : ''
    return { scope: `${rule.pathPrefix}${methods}`, policy: rule.policy }
  }
  return { scope: 'default', policy: app.policy }
}

function fail(check: PolicyCheck, reason: string): PolicyFailure {
  return { check, reason }
}

/** Null when the policy allows; otherwise the first check that failed. */
export async function evaluatePolicy(policy: CompiledPolicy, ctx: PolicyContext, relations: RelationshipChecker): Promise<PolicyFailure | null> {
  if (policy.methods && !policy.methods.has(ctx.method)) {
    return fail('methods', `method ${ctx.method} is not allowed here`)
  }
  if (policy.sourceCidrs) {
    if (!ctx.clientIp) return fail('source_ip', 'the client address is unknown')
    if (!inAnyCidr(policy.sourceCidrs, ctx.clientIp)) return fail('source_ip', 'the client address is outside the allowed ranges')
  }
  if (policy.timeWindows && !policy.timeWindows.some((w) => inTimeWindow(w, ctx.now))) {
    return fail('time_window', 'outside the allowed time windows')
  }
  const groups = new Set(ctx.identity.groups)
  const { anyOf, allOf } = policy.groups ?? {}
  if (anyOf && !anyOf.some((g) => groups.has(g))) {
    return fail('groups.any_of', `requires membership in one of: ${anyOf.join(', ')}`)
  }
  if (allOf) {
    const missing = allOf.filter((g) => !groups.has(g))
    if (missing.length > 0) return fail('groups.all_of', `requires membership in: ${missing.join(', ')}`)
  }
  if (policy.relation) {
    const { store, object, relation } = policy.relation
    if (!(await relations.check({ store, object, relation, identity: ctx.identity }))) {
      return fail('relation', `user is not ${relation} on ${object}`)
    }
  }
  return null
}
