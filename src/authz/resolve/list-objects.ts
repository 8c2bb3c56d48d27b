// ListObjects: walk backwards from the user through the tuples (reverse index) along the model's
// relation graph, only over relations that can lead to the requested type#relation, collecting
// candidate objects; each candidate is then confirmed by Check (sharing one memo), which gives
// intersections, exclusions and conditions exactly Check's meaning. Condition errors met on the
// way are reported to the caller, which decides (as OpenFGA) whether they fail the request.
import { ERROR, TRUE, type EvalError, type Evaluator, type UserRef } from './check.ts'
import { nodesReaching, relationGraph } from './graph.ts'
import { isTupleValid, typeOf, type TupleRecord } from './tuples.ts'

export interface ListRun {
  /** Condition and depth errors met (the first few). */
  errors: EvalError[]
  /** Set when the deadline cut the walk short. */
  timedOut: boolean
}

const MAX_ERRORS = 10
/** Milliseconds of work between pauses, so a long listing does not hold the event loop. */
export const SLICE_MS = 10

/**
 * Yields each object of `type` on which `user` has `relation`, once, as it is confirmed; yields
 * null now and then to let an async caller give the event loop a turn.
 */
export function* listObjects(ev: Evaluator, type: string, relation: string, user: UserRef, run: ListRun, deadlineAt: number): Generator<string | null> {
  const model = ev.model
  const reaching = nodesReaching(model, type, relation)
  const graph = relationGraph(model)
  // Visited object#relation pairs, by relation: the object strings are the index's own, so marking
  // one allocates no key string.
  const visited = new Map<string, Set<string>>()
  const firstVisit = (object: string, rel: string): boolean => {
    let objects = visited.get(rel)
    if (!objects) { objects = new Set(); visited.set(rel, objects) }
    if (objects.has(object)) return false
    objects.add(object)
    return true
  }
  // Pairs (object, relation), or (the index's tuples from one user, relation their objects get):
  // those are read lazily, in the same order, so a walk stopped at the result limit never copies
  // the thousands of objects a wide group leads to.
  const queue: (string | Iterator<TupleRecord>)[] = []
  const enqueue = (object: string, rel: string) => {
    if (firstVisit(object, rel)) queue.push(object, rel)
  }
  const passes = (rec: TupleRecord): boolean => {
    if (!isTupleValid(model, rec)) return false
    const c = ev.condition(rec)
    if (c.r === ERROR && run.errors.length < MAX_ERRORS) run.errors.push(c.err!)
    return c.r === TRUE
  }
  const fromUser = (u: string, relKey: string, next: string) => {
    for (const src of ev.sources) {
      const m = src.byUser(u, relKey)
      if (m) queue.push(m.values(), next)
    }
  }

  if (user.relation && reaching.has(`${user.type}#${user.relation}`)) enqueue(user.object, user.relation)
  for (const node of graph.direct.get(user.type) ?? []) {
    if (!reaching.has(node)) continue
    const nodeRel = node.slice(node.indexOf('#') + 1)
    fromUser(user.text, node, nodeRel)
    if (!user.wildcard) fromUser(user.wildcardText, node, nodeRel)
  }

  let sliceStart = Date.now()
  let steps = 0
  for (let i = 0; i < queue.length;) {
    if ((steps++ & 127) === 0) {
      const now = Date.now()
      if (now > deadlineAt) { run.timedOut = true; return }
      if (now - sliceStart >= SLICE_MS) { yield null; sliceStart = Date.now() }
    }
    const head = queue[i]
    const rel = queue[i + 1] as string
    let object: string
    if (typeof head === 'string') {
      object = head
      i += 2
    } else {
      const next = head.next()
      if (next.done) { queue[i] = ''; i += 2; continue }
      if (!passes(next.value) || !firstVisit(next.value.object, rel)) continue
      object = next.value.object
    }
    const objectType = typeOf(object)
    if (objectType === type && rel === relation) {
      const r = ev.check(object, relation, user)
      if (r === TRUE) yield object
      else if (r === ERROR && run.errors.length < MAX_ERRORS) run.errors.push(ev.err!)
    }
    for (const e of graph.out.get(`${objectType}#${rel}`) ?? []) {
      if (!reaching.has(e.key)) continue
      if (e.kind === 'computed') enqueue(object, e.relation)
      else if (e.kind === 'userset') fromUser(`${object}#${rel}`, e.key, e.relation)
      else fromUser(object, e.tuplesetKey, e.relation)
    }
  }
}
