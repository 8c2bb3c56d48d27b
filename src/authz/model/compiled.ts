// The compiled model: what the resolver walks. Relations are looked up by (type, relation) in
// Maps, rewrites are small tagged trees, type restrictions are pre-split records — no string
// parsing on the hot path.
import type { CompiledCondition } from './conditions.ts'
import type { ModelJson, UsersetJson } from './json.ts'

export type Rewrite =
  | { kind: 'this' }
  | { kind: 'computed'; relation: string }
  | { kind: 'ttu'; tupleset: string; computed: string }
  | { kind: 'union'; children: Rewrite[] }
  | { kind: 'intersection'; children: Rewrite[] }
  | { kind: 'exclusion'; base: Rewrite; subtract: Rewrite }

/** One entry of a relation's type restrictions: `user`, `user:*`, `group#member`, each maybe `with cond`. */
export interface DirectType {
  type: string
  /** '' unless a userset restriction (`group#member`). */
  relation: string
  wildcard: boolean
  /** '' when unconditioned. */
  condition: string
}

export interface CompiledRelation {
  type: string
  name: string
  /** `type#name`, the reverse index's key. */
  key: string
  rewrite: Rewrite
  directTypes: DirectType[]
  /** Used as the tupleset of some `x from <this relation>` on its type. */
  isTupleset: boolean
  /**
   * Only direct assignments, whose usersets (if any) are this same relation (`member: [user,
   * group#member]`): membership is plain reachability, which Check can answer from the user's side.
   */
  selfNested: boolean
}

export interface CompiledType {
  name: string
  relations: Map<string, CompiledRelation>
}

export class CompiledModel {
  readonly id: string
  readonly schemaVersion: string
  readonly json: ModelJson
  readonly types: Map<string, CompiledType>
  readonly conditions: Map<string, CompiledCondition>
  /** Per-model caches of derived data (relation graph for ListObjects/ListUsers). */
  readonly cache = new Map<string, unknown>()

  constructor(id: string, json: ModelJson, types: Map<string, CompiledType>, conditions: Map<string, CompiledCondition>) {
    this.id = id
    this.schemaVersion = json.schema_version
    this.json = json
    this.types = types
    this.conditions = conditions
  }

  relation(type: string, relation: string): CompiledRelation | undefined {
    return this.types.get(type)?.relations.get(relation)
  }

  hasType(type: string): boolean {
    return this.types.has(type)
  }
}

/** Converts a JSON userset into a rewrite tree; null when it sets nothing. */
export function rewriteOf(u: UsersetJson): Rewrite | null {
  if (u.this) return { kind: 'this' }
  if (u.computedUserset) return { kind: 'computed', relation: u.computedUserset.relation }
  if (u.tupleToUserset) {
    return { kind: 'ttu', tupleset: u.tupleToUserset.tupleset.relation, computed: u.tupleToUserset.computedUserset.relation }
  }
  const kids = (list: UsersetJson[]): Rewrite[] | null => {
    const out: Rewrite[] = []
    for (const c of list) {
      const r = rewriteOf(c)
      if (!r) return null
      out.push(r)
    }
    return out
  }
  if (u.union) { const c = kids(u.union.child); return c ? { kind: 'union', children: c } : null }
  if (u.intersection) { const c = kids(u.intersection.child); return c ? { kind: 'intersection', children: c } : null }
  if (u.difference) {
    const base = rewriteOf(u.difference.base)
    const subtract = rewriteOf(u.difference.subtract)
    return base && subtract ? { kind: 'exclusion', base, subtract } : null
  }
  return null
}

/** Calls fn for every leaf (this / computed / ttu) of a rewrite; `positive` is false under a subtract. */
export function forEachLeaf(rw: Rewrite, fn: (leaf: Rewrite, positive: boolean) => void, positive = true): void {
  switch (rw.kind) {
    case 'union':
    case 'intersection':
      for (const c of rw.children) forEachLeaf(c, fn, positive)
      return
    case 'exclusion':
      forEachLeaf(rw.base, fn, positive)
      forEachLeaf(rw.subtract, fn, false)
      return
    default:
      fn(rw, positive)
  }
}
