// Check's leaves: direct assignments (`[user, group#member, user:*]`) and tuple-to-userset
// (`viewer from parent`). Stored and contextual tuples the model no longer allows are skipped; a
// tuple's condition decides whether it counts; a failing condition only matters when nothing
// else grants.
import type { CompiledRelation } from '../model/compiled.ts'
import type { CondResult, Evaluator } from './check.ts'
import { CYCLE, ERROR, FALSE, TRUE, finish, type EvalError, type Outcome, type UserRef } from './outcome.ts'
import { TRACE_MAX_TUPLES, type TraceCheck, type TraceRule, type TraceTuple } from './trace.ts'
import { isTupleValid, tupleText, type TupleRecord } from './tuples.ts'

export function direct(ev: Evaluator, rel: CompiledRelation, object: string, user: UserRef, depth: number, out?: TraceRule[]): Outcome {
  const node: (TraceRule & { rewrite: 'direct' }) | undefined = out ? { rewrite: 'direct', allowed: false, tuples: [] } : undefined
  let err: EvalError | undefined
  let cycle = false
  let r: Outcome = FALSE
  let seen = 0
  search: {
    for (const src of ev.sources) {
      const b = src.bucket(object, rel.name)
      if (!b) continue
      const wild = user.wildcard ? undefined : b.users.get(user.wildcardText)
      let rec = b.users.get(user.text)
      for (let i = 0; i < 2; i++, rec = wild) {
        if (!rec || !isTupleValid(ev.model, rec)) continue
        const c = ev.condition(rec)
        if (node) { seen++; node.tuples.push(tupleNode(rec, c)) }
        if (c.r === TRUE) { r = TRUE; break search }
        if (c.r === ERROR) err ??= c.err
      }
    }
    for (const src of ev.sources) {
      const b = src.bucket(object, rel.name)
      if (!b) continue
      for (const rec of b.indirect()) {
        if (rec.wildcard || !isTupleValid(ev.model, rec)) continue
        const c = ev.condition(rec)
        const tn = node && ++seen <= TRACE_MAX_TUPLES ? tupleNode(rec, c) : undefined
        if (tn) node!.tuples.push(tn)
        if (c.r === ERROR) { err ??= c.err; continue }
        if (c.r !== TRUE) continue
        const checks: TraceCheck[] | undefined = tn ? [] : undefined
        const s = ev.resolve(rec.userObject, rec.userRelation, user, depth - 1, checks)
        if (tn) { tn.check = checks![0]; tn.allowed = s === TRUE }
        if (s === TRUE) { r = TRUE; break search }
        if (s === ERROR) err ??= ev.err
        else if (s === CYCLE) cycle = true
      }
    }
  }
  if (r !== TRUE) r = err ? ERROR : cycle ? CYCLE : FALSE
  if (err && r === ERROR) ev.err = err
  if (node) {
    if (seen === 0) node.reason = `no tuple for ${user.text}${user.wildcard ? '' : ` or ${user.wildcardText}`} and no userset tuple allowed by the model`
    else if (seen > TRACE_MAX_TUPLES) node.reason = `${seen - TRACE_MAX_TUPLES} more tuples examined, not listed`
    out!.push(finish(node, r, r === ERROR ? err : undefined))
  }
  return r
}

export function ttu(ev: Evaluator, tupleset: string, computed: string, object: string, user: UserRef, depth: number, out?: TraceRule[]): Outcome {
  const node: (TraceRule & { rewrite: 'ttu' }) | undefined = out ? { rewrite: 'ttu', tupleset, computed, allowed: false, tuples: [] } : undefined
  let err: EvalError | undefined
  let cycle = false
  let r: Outcome = FALSE
  let seen = 0
  search: for (const src of ev.sources) {
    const b = src.bucket(object, tupleset)
    if (!b) continue
    for (const rec of b.users.values()) {
      if (!isTupleValid(ev.model, rec)) continue
      if (!ev.model.relation(rec.userType, computed)) continue
      const c = ev.condition(rec)
      const tn = node && ++seen <= TRACE_MAX_TUPLES ? tupleNode(rec, c) : undefined
      if (tn) node!.tuples.push(tn)
      if (c.r === ERROR) { err ??= c.err; continue }
      if (c.r !== TRUE) continue
      const checks: TraceCheck[] | undefined = tn ? [] : undefined
      const s = ev.resolve(rec.userObject, computed, user, depth - 1, checks)
      if (tn) { tn.check = checks![0]; tn.allowed = s === TRUE }
      if (s === TRUE) { r = TRUE; break search }
      if (s === ERROR) err ??= ev.err
      else if (s === CYCLE) cycle = true
    }
  }
  if (r !== TRUE) r = err ? ERROR : cycle ? CYCLE : FALSE
  if (err && r === ERROR) ev.err = err
  if (node) {
    if (seen === 0) node.reason = `no ${object}#${tupleset} tuple points to an object that defines '${computed}'`
    else if (seen > TRACE_MAX_TUPLES) node.reason = `${seen - TRACE_MAX_TUPLES} more tuples examined, not listed`
    out!.push(finish(node, r, r === ERROR ? err : undefined))
  }
  return r
}

function tupleNode(rec: TupleRecord, c: CondResult): TraceTuple {
  const n: TraceTuple = { tuple: tupleText(rec), allowed: c.r === TRUE }
  if (c.trace) n.condition = c.trace
  else if (c.err) n.error = c.err.message
  return n
}
