// The Check evaluator: pure and synchronous — a compiled model, one or more tuple indexes (the
// store's, plus contextual tuples) and a request context in, an answer out. OpenFGA's semantics:
// `or` is true if any branch is, `and` false if any branch is, `but not` false if the base is false
// or the subtract true; a condition error only surfaces when no branch decides the answer. A
// question already being asked on the current path is a cycle and counts as false (and makes a
// surrounding exclusion false); userset and tuple-to-userset hops count against the depth limit.
// Sub-problems are memoized per evaluator (one request, one context).
import { evaluateCondition } from '../model/conditions.ts'
import type { CompiledModel, CompiledRelation, Rewrite } from '../model/compiled.ts'
import type { TupleIndex } from './tuple-index.ts'
import { isTupleValid, tupleText, typeOf, type TupleRecord } from './tuples.ts'
import type { TraceCheck, TraceCondition, TraceRule } from './trace.ts'
import { direct, ttu } from './leaves.ts'
import { CYCLE, ERROR, EvalError, FALSE, TRUE, finish, type Outcome, type UserRef } from './outcome.ts'

export { CYCLE, ERROR, EvalError, FALSE, TRUE, userRef, type Outcome, type UserRef } from './outcome.ts'

export interface CondResult { r: Outcome; err?: EvalError; trace?: TraceCondition }

const COND_TRUE: CondResult = { r: TRUE }

const DEPTH_MESSAGE = 'resolution depth exceeded: the model and tuples nest deeper than the resolution depth limit'

export class Evaluator {
  readonly model: CompiledModel
  readonly sources: readonly TupleIndex[]
  readonly context: Record<string, unknown> | undefined
  readonly depthLimit: number
  /** Why the most recent ERROR outcome happened. */
  err: EvalError | undefined
  private readonly memo = new Map<string, Outcome>()
  private readonly memoErr = new Map<string, EvalError>()
  private readonly path = new Set<string>()
  private readonly conds = new Map<TupleRecord, CondResult>()
  /** For self-nested relations: objects whose relation holds the user, with the userset hops needed; null = use the general path. */
  private readonly closures = new Map<string, Map<string, number> | null>()
  /** Counters of cycles and depth overruns met, so results that depended on the path stay out of the memo. */
  private cycles = 0
  /** Set once any conditional tuple was looked at: answers then depend on the request context. */
  private usedConditions = false
  private depthHits = 0
  /** Sum of the sources' generations when the memo was started. */
  private generation: number

  constructor(model: CompiledModel, sources: readonly TupleIndex[], context: Record<string, unknown> | undefined, depthLimit: number) {
    this.model = model
    this.sources = sources
    this.context = context
    this.depthLimit = depthLimit
    this.generation = generationOf(sources)
  }

  /**
   * List queries pause between checks; a write applied to the index during a pause makes the
   * memo stale. Start it afresh so nothing computed before the write is returned or shared.
   */
  private forgetIfChanged(): void {
    const g = generationOf(this.sources)
    if (g === this.generation) return
    this.generation = g
    this.memo.clear()
    this.memoErr.clear()
    this.conds.clear()
    this.closures.clear()
  }

  /**
   * Does `user` have `relation` on `object`? Throws nothing; ERROR leaves the reason in `err`.
   * Answers that depended on no condition (and no contextual tuple) are a function of the stored
   * tuples alone, so they are kept on the index until its next change and reused by later requests.
   */
  check(object: string, relation: string, user: UserRef, trace?: TraceCheck[]): Outcome {
    this.forgetIfChanged()
    const shared = !trace && !this.usedConditions && this.sources.length === 1 ? this.sources[0].derived(this.model) : undefined
    const key = shared ? `:${this.depthLimit}|${object}#${relation}@${user.text}` : ''
    if (shared) {
      const hit = shared.get(key) as Outcome | undefined
      if (hit !== undefined) return hit
    }
    const r = this.resolve(object, relation, user, this.depthLimit, trace)
    if (shared && !this.usedConditions && r !== ERROR) shared.set(key, r === CYCLE ? FALSE : r)
    return r
  }

  /** Condition outcome of one tuple under this request's context (cached per tuple). */
  condition(rec: TupleRecord): CondResult {
    if (!rec.condition) return COND_TRUE
    this.usedConditions = true
    let c = this.conds.get(rec)
    if (c) return c
    const cond = this.model.conditions.get(rec.condition.name)
    if (!cond) {
      c = { r: ERROR, err: new EvalError('condition', `condition '${rec.condition.name}' was not found`) }
    } else {
      const o = evaluateCondition(cond, this.context, rec.condition.context, tupleText(rec))
      const trace: TraceCondition = { name: cond.name, parameters: o.params }
      if (o.error !== undefined) {
        trace.error = o.error
        c = { r: ERROR, err: new EvalError('condition', o.error), trace }
      } else {
        trace.met = o.met
        c = { r: o.met ? TRUE : FALSE, trace }
      }
    }
    this.conds.set(rec, c)
    return c
  }

  resolve(object: string, relation: string, user: UserRef, depth: number, out?: TraceCheck[]): Outcome {
    const key = `${object}#${relation}@${user.text}`
    const node: TraceCheck | undefined = out ? { object, relation, user: user.text, allowed: false } : undefined
    if (node) out!.push(node)
    const memo = this.memo.get(key)
    if (memo !== undefined) {
      if (memo === ERROR) this.err = this.memoErr.get(key)
      if (node) { node.memoized = true; finish(node, memo, this.err) }
      return memo
    }
    if (depth <= 0) {
      this.depthHits++
      this.err = new EvalError('depth', DEPTH_MESSAGE)
      if (node) finish(node, ERROR, this.err)
      return ERROR
    }
    if (this.path.has(key)) {
      this.cycles++
      if (node) node.cycle = true
      return CYCLE
    }
    if (user.relation === relation && user.object === object) {
      if (node) { node.self = true; node.allowed = true }
      return TRUE
    }
    const rel = this.model.relation(typeOf(object), relation)
    if (!rel) return FALSE
    if (rel.selfNested && !node && user.relation === '' && !user.wildcard) {
      const closure = this.closure(rel, user)
      if (closure) {
        const hops = closure.get(object)
        if (hops === undefined) return FALSE
        if (hops < depth) return TRUE
      }
    }
    const cyclesBefore = this.cycles
    const depthBefore = this.depthHits
    this.path.add(key)
    const rules: TraceRule[] | undefined = node ? [] : undefined
    const r = this.rewrite(rel, rel.rewrite, object, user, depth, rules)
    this.path.delete(key)
    if (node) { node.rule = rules![0]; finish(node, r, this.err) }
    if (r === TRUE || (r !== CYCLE && this.cycles === cyclesBefore && this.depthHits === depthBefore)) {
      this.memo.set(key, r)
      if (r === ERROR) this.memoErr.set(key, this.err!)
    }
    return r
  }

  /**
   * Every object whose `rel` holds `user` (a plain user), found from the user's side through the
   * reverse index: direct tuples, then userset tuples naming objects already found. Turns a
   * downward search through nested groups into a few lookups. Null when a condition cannot be
   * evaluated on the way, so the general path reports errors exactly as it would. A closure that
   * met no condition depends on the tuples alone; it is kept on the index for later requests.
   */
  private closure(rel: CompiledRelation, user: UserRef): Map<string, number> | null {
    const key = `${rel.key}@${user.text}`
    const cached = this.closures.get(key)
    if (cached !== undefined) return cached
    const shared = this.sources.length === 1 ? this.sources[0].derived(this.model) : undefined
    const kept = shared?.get(key) as Map<string, number> | undefined
    if (kept) { this.closures.set(key, kept); return kept }
    const found = new Map<string, number>()
    let frontier: string[] = []
    let failed = false
    let conditional = false
    const visit = (u: string, hops: number, next: string[]) => {
      for (const src of this.sources) {
        const m = src.byUser(u, rel.key)
        if (!m) continue
        for (const rec of m.values()) {
          if (found.has(rec.object) || !isTupleValid(this.model, rec)) continue
          if (rec.condition) {
            conditional = true
            const c = this.condition(rec).r
            if (c === ERROR) failed = true
            if (c !== TRUE) continue
          }
          found.set(rec.object, hops)
          next.push(rec.object)
        }
      }
    }
    visit(user.text, 0, frontier)
    visit(user.wildcardText, 0, frontier)
    const suffix = `#${rel.name}`
    for (let hops = 1; frontier.length > 0 && !failed; hops++) {
      const next: string[] = []
      for (const o of frontier) visit(o + suffix, hops, next)
      frontier = next
    }
    const result = failed ? null : found
    this.closures.set(key, result)
    if (result && shared && !conditional) shared.set(key, result)
    return result
  }

  private rewrite(rel: CompiledRelation, rw: Rewrite, object: string, user: UserRef, depth: number, out?: TraceRule[]): Outcome {
    switch (rw.kind) {
      case 'this':
        return direct(this, rel, object, user, depth, out)
      case 'computed': {
        if (!out) return this.resolve(object, rw.relation, user, depth)
        const checks: TraceCheck[] = []
        const r = this.resolve(object, rw.relation, user, depth, checks)
        const node: TraceRule = { rewrite: 'computed', relation: rw.relation, allowed: false, check: checks[0] }
        out.push(finish(node, r, this.err))
        return r
      }
      case 'ttu':
        return ttu(this, rw.tupleset, rw.computed, object, user, depth, out)
      case 'union': {
        const node = out ? { rewrite: 'union' as const, allowed: false, children: [] as TraceRule[] } : undefined
        let err: EvalError | undefined
        let cycle = false
        let r: Outcome = FALSE
        for (const child of rw.children) {
          const c = this.rewrite(rel, child, object, user, depth, node?.children)
          if (c === TRUE) { r = TRUE; break }
          if (c === ERROR) err ??= this.err
          else if (c === CYCLE) cycle = true
        }
        if (r !== TRUE) r = err ? ERROR : cycle ? CYCLE : FALSE
        if (err) this.err = err
        if (node) out!.push(finish(node, r, err))
        return r
      }
      case 'intersection': {
        const node = out ? { rewrite: 'intersection' as const, allowed: false, children: [] as TraceRule[] } : undefined
        let err: EvalError | undefined
        let r: Outcome = TRUE
        for (const child of rw.children) {
          const c = this.rewrite(rel, child, object, user, depth, node?.children)
          if (c === FALSE || c === CYCLE) { r = c; err = undefined; break }
          if (c === ERROR) err ??= this.err
        }
        if (err) { r = ERROR; this.err = err }
        if (node) out!.push(finish(node, r, err))
        return r
      }
      case 'exclusion':
        return this.exclusion(rel, rw, object, user, depth, out)
    }
  }

  private exclusion(rel: CompiledRelation, rw: Rewrite & { kind: 'exclusion' }, object: string, user: UserRef, depth: number, out?: TraceRule[]): Outcome {
    const parts: TraceRule[] | undefined = out ? [] : undefined
    const node = out ? { rewrite: 'exclusion' as const, allowed: false } as TraceRule & { rewrite: 'exclusion' } : undefined
    const b = this.rewrite(rel, rw.base, object, user, depth, parts)
    const baseErr = this.err
    if (node) node.base = parts![0]
    let r: Outcome
    let err: EvalError | undefined
    if (b === FALSE || b === CYCLE) {
      r = b
    } else {
      const s = this.rewrite(rel, rw.subtract, object, user, depth, parts)
      if (node) node.subtract = parts![1]
      if (s === CYCLE) r = CYCLE
      else if (s === TRUE) r = FALSE
      else if (b === ERROR) { r = ERROR; err = baseErr }
      else if (s === ERROR) { r = ERROR; err = this.err }
      else r = TRUE
    }
    if (err) this.err = err
    if (node) out!.push(finish(node, r, err))
    return r
  }

}

function generationOf(sources: readonly TupleIndex[]): number {
  let g = 0
  for (const s of sources) g += s.generation
  return g
}
