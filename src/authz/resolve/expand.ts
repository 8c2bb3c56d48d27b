// Expand: one level of a relation's userset tree, in OpenFGA's UsersetTree JSON shape. Direct
// assignments list their users; computed and tuple-to-userset parts name the usersets a client
// would expand next. Tuples the model no longer allows are left out; conditions are not evaluated.
import type { CompiledModel, Rewrite } from '../model/compiled.ts'
import type { TupleIndex } from './tuple-index.ts'
import { isTupleValid } from './tuples.ts'

export type ExpandNode =
  | { name: string; leaf: ExpandLeaf }
  | { name: string; union: { nodes: ExpandNode[] } }
  | { name: string; intersection: { nodes: ExpandNode[] } }
  | { name: string; difference: { base: ExpandNode; subtract: ExpandNode } }

export type ExpandLeaf =
  | { users: { users: string[] } }
  | { computed: { userset: string } }
  | { tupleToUserset: { tupleset: string; computed: { userset: string }[] } }

export function expandTree(model: CompiledModel, sources: readonly TupleIndex[], object: string, relation: string, rw: Rewrite): ExpandNode {
  const name = `${object}#${relation}`
  switch (rw.kind) {
    case 'this': {
      const users = new Set<string>()
      for (const src of sources) {
        for (const rec of src.bucket(object, relation)?.users.values() ?? []) {
          if (isTupleValid(model, rec)) users.add(rec.user)
        }
      }
      return { name, leaf: { users: { users: [...users] } } }
    }
    case 'computed':
      return { name, leaf: { computed: { userset: `${object}#${rw.relation}` } } }
    case 'ttu': {
      const seen = new Set<string>()
      for (const src of sources) {
        for (const rec of src.bucket(object, rw.tupleset)?.users.values() ?? []) {
          if (isTupleValid(model, rec)) seen.add(`${rec.userObject}#${rec.userRelation || rw.computed}`)
        }
      }
      return {
        name,
        leaf: { tupleToUserset: { tupleset: `${object}#${rw.tupleset}`, computed: [...seen].map((userset) => ({ userset })) } },
      }
    }
    case 'union':
      return { name, union: { nodes: rw.children.map((c) => expandTree(model, sources, object, relation, c)) } }
    case 'intersection':
      return { name, intersection: { nodes: rw.children.map((c) => expandTree(model, sources, object, relation, c)) } }
    case 'exclusion':
      return {
        name,
        difference: {
          base: expandTree(model, sources, object, relation, rw.base),
          subtract: expandTree(model, sources, object, relation, rw.subtract),
        },
      }
  }
}
