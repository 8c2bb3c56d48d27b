// Expand: one level of a relation's userset tree, in OpenFGA's UsersetTree JSON shape. Direct
// assignments list their users; computed and tuple-to-userset parts name the usersets a client
// would expand next. Tuples the model no longer allows are left out; conditions are not evaluated.
// The answer is bounded: leaf entries are counted against a budget as they are added, and the walk
// stops at the first entry over it, so an object with 200,000 direct users costs the caller an
// error, not a 5 MB tree built and serialized per request.
import type { CompiledModel, Rewrite } from '../model/compiled.ts'
import type { TupleIndex } from './tuple-index.ts'
import { isTupleValid, type TupleRecord } from './tuples.ts'

export type ExpandNode =
  | { name: string; leaf: ExpandLeaf }
  | { name: string; union: { nodes: ExpandNode[] } }
  | { name: string; intersection: { nodes: ExpandNode[] } }
  | { name: string; difference: { base: ExpandNode; subtract: ExpandNode } }

export type ExpandLeaf =
  | { users: { users: string[] } }
  | { computed: { userset: string } }
  | { tupleToUserset: { tupleset: string; computed: { userset: string }[] } }

/** Leaf entries (users, usersets) the tree may still take; `exceeded` once one more was found. */
export interface ExpandBudget {
  left: number
  exceeded: boolean
}

export function expandTree(
  model: CompiledModel, sources: readonly TupleIndex[], object: string, relation: string, rw: Rewrite, budget: ExpandBudget,
): ExpandNode {
  const name = `${object}#${relation}`
  switch (rw.kind) {
    case 'this':
      return { name, leaf: { users: { users: leafEntries(model, sources, object, relation, budget, (rec) => rec.user) } } }
    case 'computed':
      return { name, leaf: { computed: { userset: `${object}#${rw.relation}` } } }
    case 'ttu': {
      const usersets = leafEntries(model, sources, object, rw.tupleset, budget, (rec) => `${rec.userObject}#${rec.userRelation || rw.computed}`)
      return {
        name,
        leaf: { tupleToUserset: { tupleset: `${object}#${rw.tupleset}`, computed: usersets.map((userset) => ({ userset })) } },
      }
    }
    case 'union':
      return { name, union: { nodes: rw.children.map((c) => expandTree(model, sources, object, relation, c, budget)) } }
    case 'intersection':
      return { name, intersection: { nodes: rw.children.map((c) => expandTree(model, sources, object, relation, c, budget)) } }
    case 'exclusion':
      return {
        name,
        difference: {
          base: expandTree(model, sources, object, relation, rw.base, budget),
          subtract: expandTree(model, sources, object, relation, rw.subtract, budget),
        },
      }
  }
}

/**
 * The distinct entries of one object#relation's valid tuples, straight into the answer's array.
 * A bucket is keyed by user, so one source has no duplicates; only contextual tuples (a second
 * source) can repeat a stored one, and only then is a Set needed.
 */
function leafEntries(
  model: CompiledModel, sources: readonly TupleIndex[], object: string, relation: string, budget: ExpandBudget, entry: (rec: TupleRecord) => string,
): string[] {
  const out: string[] = []
  const seen = sources.length > 1 ? new Set<string>() : undefined
  for (const src of sources) {
    const bucket = src.bucket(object, relation)
    if (!bucket) continue
    for (const rec of bucket.users.values()) {
      if (!isTupleValid(model, rec)) continue
      const e = entry(rec)
      if (seen) {
        if (seen.has(e)) continue
        seen.add(e)
      }
      if (budget.left-- <= 0) { budget.exceeded = true; return out }
      out.push(e)
    }
  }
  return out
}
