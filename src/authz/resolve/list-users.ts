// ListUsers: expand forwards from object#relation through every branch (as OpenFGA does, so a
// condition that cannot be evaluated anywhere below fails the request), collecting candidate users
// of the filter type — objects, `type:*`, or usersets `type:id#relation` — from all but subtracted
// branches; each candidate is then confirmed by Check, which settles intersections, exclusions and
// wildcards with Check's meaning.
import { ERROR, EvalError, TRUE, userRef, type Evaluator } from './check.ts'
import { canReach } from './graph.ts'
import { SLICE_MS, type ListRun } from './list-objects.ts'
import { isTupleValid, typeOf, type TupleRecord } from './tuples.ts'
import type { Rewrite } from '../model/compiled.ts'

export interface UserFilter {
  type: string
  /** '' for plain users (objects and wildcards); a relation for usersets. */
  relation: string
}

const MAX_ERRORS = 10

/** Yields each user (object, `type:*` or userset) that has `relation` on `object`; null marks a pause (see listObjects). */
export function* listUsers(ev: Evaluator, object: string, relation: string, filter: UserFilter, run: ListRun, deadlineAt: number): Generator<string | null> {
  const model = ev.model
  const objectType = typeOf(object)
  const selfMatch = filter.relation !== '' && filter.type === objectType && filter.relation === relation
  if (!selfMatch && !canReach(model, filter.type, filter.relation, objectType, relation)) return
  const candidates = new Set<string>()
  /** 1: expanded for errors only (under a subtract); 2: expanded emitting candidates. */
  const visited = new Map<string, number>()
  let steps = 0
  let stop = false

  const fail = (err: EvalError) => { if (run.errors.length < MAX_ERRORS) run.errors.push(err) }
  const passes = (rec: TupleRecord): boolean => {
    if (!isTupleValid(model, rec)) return false
    const c = ev.condition(rec)
    if (c.r === ERROR) fail(c.err!)
    return c.r === TRUE
  }

  const expand = (obj: string, rel: string, emit: boolean, depth: number): void => {
    if (stop) return
    if ((++steps & 1023) === 0 && Date.now() > deadlineAt) { run.timedOut = true; stop = true; return }
    const key = `${obj}#${rel}`
    const mode = emit ? 2 : 1
    if ((visited.get(key) ?? 0) >= mode) return
    visited.set(key, mode)
    if (depth >= ev.depthLimit) { fail(new EvalError('depth', 'resolution depth exceeded while listing users')); return }
    if (emit && filter.relation && typeOf(obj) === filter.type && rel === filter.relation) candidates.add(key)
    const def = model.relation(typeOf(obj), rel)
    if (def) walk(def.rewrite, obj, rel, emit, depth)
  }

  const walk = (rw: Rewrite, obj: string, rel: string, emit: boolean, depth: number): void => {
    switch (rw.kind) {
      case 'this':
        for (const src of ev.sources) {
          const b = src.bucket(obj, rel)
          if (!b) continue
          for (const rec of b.users.values()) {
            if (!passes(rec)) continue
            if (rec.userRelation) {
              expand(rec.userObject, rec.userRelation, emit, depth + 1)
            } else if (emit && !filter.relation && rec.userType === filter.type) {
              candidates.add(rec.user)
            }
          }
        }
        return
      case 'computed':
        expand(obj, rw.relation, emit, depth + 1)
        return
      case 'ttu':
        for (const src of ev.sources) {
          const b = src.bucket(obj, rw.tupleset)
          if (!b) continue
          for (const rec of b.users.values()) {
            if (!passes(rec) || !model.relation(rec.userType, rw.computed)) continue
            expand(rec.userObject, rw.computed, emit, depth + 1)
          }
        }
        return
      case 'union':
      case 'intersection':
        for (const c of rw.children) walk(c, obj, rel, emit, depth)
        return
      case 'exclusion':
        walk(rw.base, obj, rel, emit, depth)
        walk(rw.subtract, obj, rel, false, depth)
    }
  }

  expand(object, relation, true, 0)
  let sliceStart = Date.now()
  for (const candidate of candidates) {
    const now = Date.now()
    if (now > deadlineAt) { run.timedOut = true; return }
    if (now - sliceStart >= SLICE_MS) { yield null; sliceStart = Date.now() }
    const r = ev.check(object, relation, userRef(candidate))
    if (r === TRUE) yield candidate
    else if (r === ERROR) fail(ev.err!)
  }
}
