// The model's relation graph, for the list queries: which (type, relation) can feed which.
// An edge A#a → B#b means "being in some a:x#a can put you in some b:y#b": B#b computes from A#a
// (A = B), allows the userset A#a directly, or is `a from t` with B#t pointing at type A. Subtracted
// branches feed nothing. Built once per model and target, cached on the compiled model.
import type { CompiledModel } from '../model/compiled.ts'
import { forEachLeaf } from '../model/compiled.ts'

export interface Edge {
  kind: 'computed' | 'userset' | 'ttu'
  /** Target type and relation. */
  type: string
  relation: string
  /** For 'ttu': the tupleset relation on the target type. */
  tupleset: string
  /** `type#relation` of the target. */
  key: string
  /** For 'ttu': `type#tupleset`. */
  tuplesetKey: string
}

export interface RelationGraph {
  /** Out-edges by source node key `type#relation`. */
  out: Map<string, Edge[]>
  /** Node keys whose type restrictions admit user type T directly (`T` or `T:*`), by T. */
  direct: Map<string, string[]>
}

function push<V>(m: Map<string, V[]>, k: string, v: V): void {
  const list = m.get(k)
  if (list) list.push(v)
  else m.set(k, [v])
}

export function relationGraph(model: CompiledModel): RelationGraph {
  const cached = model.cache.get('graph') as RelationGraph | undefined
  if (cached) return cached
  const g: RelationGraph = { out: new Map(), direct: new Map() }
  for (const t of model.types.values()) {
    for (const rel of t.relations.values()) {
      forEachLeaf(rel.rewrite, (leaf, positive) => {
        if (!positive) return
        if (leaf.kind === 'this') {
          for (const d of rel.directTypes) {
            if (d.relation) push(g.out, `${d.type}#${d.relation}`, { kind: 'userset', type: t.name, relation: rel.name, tupleset: '', key: rel.key, tuplesetKey: '' })
            else if (!(g.direct.get(d.type) ?? []).includes(`${t.name}#${rel.name}`)) push(g.direct, d.type, `${t.name}#${rel.name}`)
          }
        } else if (leaf.kind === 'computed') {
          push(g.out, `${t.name}#${leaf.relation}`, { kind: 'computed', type: t.name, relation: rel.name, tupleset: '', key: rel.key, tuplesetKey: '' })
        } else if (leaf.kind === 'ttu') {
          const ts = t.relations.get(leaf.tupleset)
          for (const d of ts?.directTypes ?? []) {
            if (model.relation(d.type, leaf.computed)) {
              push(g.out, `${d.type}#${leaf.computed}`, { kind: 'ttu', type: t.name, relation: rel.name, tupleset: leaf.tupleset, key: rel.key, tuplesetKey: `${t.name}#${leaf.tupleset}` })
            }
          }
        }
      })
    }
  }
  model.cache.set('graph', g)
  return g
}

/** Node keys from which `type#relation` can be reached (itself included). */
export function nodesReaching(model: CompiledModel, type: string, relation: string): Set<string> {
  const cacheKey = `reach:${type}#${relation}`
  const cached = model.cache.get(cacheKey) as Set<string> | undefined
  if (cached) return cached
  const g = relationGraph(model)
  const incoming = new Map<string, string[]>()
  for (const [from, edges] of g.out) for (const e of edges) push(incoming, `${e.type}#${e.relation}`, from)
  const target = `${type}#${relation}`
  const seen = new Set<string>([target])
  const queue = [target]
  while (queue.length > 0) {
    const n = queue.pop()!
    for (const from of incoming.get(n) ?? []) {
      if (!seen.has(from)) { seen.add(from); queue.push(from) }
    }
  }
  model.cache.set(cacheKey, seen)
  return seen
}

/**
 * Whether users of `userType` (or the userset `userType#userRelation`) can possibly relate to
 * `type#relation` at all (OpenFGA answers ListUsers with nothing, and no error, when they cannot).
 */
export function canReach(model: CompiledModel, userType: string, userRelation: string, type: string, relation: string): boolean {
  const reaching = nodesReaching(model, type, relation)
  if (userRelation) return reaching.has(`${userType}#${userRelation}`)
  return (relationGraph(model).direct.get(userType) ?? []).some((n) => reaching.has(n))
}
