// Explain: the JSON tree `check` returns with `"trace": true`. Stable shape, one node per question:
//
//   TraceCheck  { object, relation, user, allowed, cycle?, error?, memoized?, self?, rule? }
//     One question "does <user> have <relation> on <object>?". `memoized`: answered earlier in the
//     same request (see the first occurrence); `self`: the user is <object>#<relation> itself;
//     `cycle`: the question was already being asked on this path, so this branch counts as false.
//   TraceRule   the relation's definition, evaluated:
//     { rewrite: 'direct', allowed, tuples: TraceTuple[], reason? }          [user, group#member, ...]
//     { rewrite: 'computed', relation, allowed, check: TraceCheck }           `viewer: editor`
//     { rewrite: 'ttu', tupleset, computed, allowed, tuples: TraceTuple[], reason? }  `x from parent`
//     { rewrite: 'union' | 'intersection', allowed, children: TraceRule[] }   `or` / `and`
//     { rewrite: 'exclusion', allowed, base: TraceRule, subtract?: TraceRule } `but not`
//   TraceTuple  { tuple: 'object#relation@user', allowed, condition?, check? }
//     A stored or contextual tuple the rule looked at. `condition`: { name, met?, parameters, error? }
//     with the parameter values it was evaluated with; `check`: the follow-up question for a
//     userset (`group:x#member`) or a tuple-to-userset parent.
// `reason` says why a rule found nothing ("no matching tuple", ...). Rules stop at the first
// deciding child (an `or` at the first grant, an `and` at the first denial), as evaluation does.
// When tracing is off none of this is built.

export interface TraceCondition {
  name: string
  met?: boolean
  parameters: Record<string, unknown>
  error?: string
}

export interface TraceTuple {
  tuple: string
  allowed: boolean
  condition?: TraceCondition
  check?: TraceCheck
  error?: string
}

export type TraceRule =
  | { rewrite: 'direct'; allowed: boolean; error?: string; cycle?: true; tuples: TraceTuple[]; reason?: string }
  | { rewrite: 'computed'; relation: string; allowed: boolean; error?: string; cycle?: true; check?: TraceCheck }
  | { rewrite: 'ttu'; tupleset: string; computed: string; allowed: boolean; error?: string; cycle?: true; tuples: TraceTuple[]; reason?: string }
  | { rewrite: 'union' | 'intersection'; allowed: boolean; error?: string; cycle?: true; children: TraceRule[] }
  | { rewrite: 'exclusion'; allowed: boolean; error?: string; cycle?: true; base?: TraceRule; subtract?: TraceRule }

export interface TraceCheck {
  object: string
  relation: string
  user: string
  allowed: boolean
  cycle?: true
  error?: string
  memoized?: true
  self?: true
  rule?: TraceRule
}

/** Most tuples listed under one rule; the rest are counted in `reason`. */
export const TRACE_MAX_TUPLES = 100
