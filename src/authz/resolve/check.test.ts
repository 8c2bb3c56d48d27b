import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TupleKey } from '../../store/types.ts'
import { compileModelJson } from '../model/build.ts'
import { modelFromDsl } from '../model/dsl.ts'
import { CYCLE, ERROR, Evaluator, FALSE, TRUE, userRef, type Outcome } from './check.ts'
import type { TraceCheck } from './trace.ts'
import { TupleIndex } from './tuple-index.ts'

const MODEL = compileModelJson(modelFromDsl(`model
  schema 1.1
type user
type group
  relations
    define member: [user, user:*, group#member]
type folder
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, group#member] or owner or viewer from parent
type document
  relations
    define parent: [folder]
    define blocked: [user]
    define approved: [user, user with after]
    define viewer: ([user] or viewer from parent) but not blocked
    define publisher: viewer and approved
condition after(now: timestamp, start: timestamp) {
  now >= start
}`))

function t(object: string, relation: string, user: string, condition?: TupleKey['condition']): TupleKey {
  return condition ? { object, relation, user, condition } : { object, relation, user }
}

const TUPLES = [
  t('group:eng', 'member', 'user:anne'),
  t('group:all', 'member', 'group:eng#member'),
  t('folder:root', 'viewer', 'group:all#member'),
  t('folder:sub', 'parent', 'folder:root'),
  t('folder:sub', 'owner', 'user:carl'),
  t('document:1', 'parent', 'folder:sub'),
  t('document:1', 'blocked', 'user:bob'),
  t('group:eng', 'member', 'user:bob'),
  t('document:1', 'approved', 'user:anne', { name: 'after', context: { start: '2024-01-01T00:00:00Z' } }),
]

function check(index: TupleIndex, object: string, relation: string, user: string, context?: Record<string, unknown>, extra?: TupleIndex): Outcome {
  const ev = new Evaluator(MODEL, extra ? [index, extra] : [index], context, 25)
  return ev.check(object, relation, userRef(user))
}

describe('check evaluator', () => {
  const index = TupleIndex.from(TUPLES)

  it('follows nested usersets, computed relations and parents', () => {
    assert.equal(check(index, 'folder:root', 'viewer', 'user:anne'), TRUE)
    assert.equal(check(index, 'document:1', 'viewer', 'user:anne'), TRUE)
    assert.equal(check(index, 'document:1', 'viewer', 'user:carl'), TRUE)
    assert.equal(check(index, 'document:1', 'viewer', 'user:dave'), FALSE)
  })

  it('applies exclusion and intersection', () => {
    assert.equal(check(index, 'document:1', 'viewer', 'user:bob'), FALSE)
    assert.equal(check(index, 'document:1', 'publisher', 'user:carl'), FALSE)
  })

  it('treats a userset as having its own relation', () => {
    assert.equal(check(index, 'group:all', 'member', 'group:all#member'), TRUE)
    assert.equal(check(index, 'folder:root', 'viewer', 'group:eng#member'), TRUE)
  })

  it('evaluates conditions with the request context and errors only when nothing else decides', () => {
    const start = { now: '2024-06-01T00:00:00Z' }
    assert.equal(check(index, 'document:1', 'publisher', 'user:anne', start), TRUE)
    assert.equal(check(index, 'document:1', 'publisher', 'user:anne', { now: '2023-06-01T00:00:00Z' }), FALSE)
    const ev = new Evaluator(MODEL, [index], undefined, 25)
    assert.equal(ev.check('document:1', 'publisher', userRef('user:anne')), ERROR)
    assert.match(ev.err!.message, /missing context parameters 'now'/)
    // The viewer branch of the intersection fails first for dave, so the condition never matters.
    assert.equal(check(index, 'document:1', 'publisher', 'user:dave'), FALSE)
  })

  it('overlays contextual tuples on the stored ones for one evaluation', () => {
    const extra = TupleIndex.from([t('group:eng', 'member', 'user:dave')])
    assert.equal(check(index, 'document:1', 'viewer', 'user:dave', undefined, extra), TRUE)
    assert.equal(check(index, 'document:1', 'viewer', 'user:dave'), FALSE)
  })

  it('grants through a wildcard only where the model allows it', () => {
    const idx = TupleIndex.from([...TUPLES, t('group:eng', 'member', 'user:*'), t('folder:root', 'viewer', 'user:*')])
    assert.equal(check(idx, 'folder:root', 'viewer', 'user:zed'), TRUE)
    const onlyWild = TupleIndex.from([t('folder:x', 'viewer', 'user:*')])
    assert.equal(check(onlyWild, 'folder:x', 'viewer', 'user:zed'), FALSE)
  })

  it('answers from the current tuples after the index changes', () => {
    const idx = TupleIndex.from(TUPLES)
    assert.equal(check(idx, 'document:1', 'viewer', 'user:anne'), TRUE)
    idx.remove({ object: 'group:eng', relation: 'member', user: 'user:anne' })
    assert.equal(check(idx, 'document:1', 'viewer', 'user:anne'), FALSE)
    idx.add(t('group:all', 'member', 'user:anne'))
    assert.equal(check(idx, 'document:1', 'viewer', 'user:anne'), TRUE)
  })

  it('counts a cycle as false and stops at the depth limit', () => {
    const model = compileModelJson(modelFromDsl(`model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member, group#owner]
    define nested: [user, group#nested]
    define owner: [user, group#owner] but not member`))
    const idx = TupleIndex.from([t('group:a', 'member', 'group:b#member'), t('group:b', 'member', 'group:a#member')])
    assert.equal(new Evaluator(model, [idx], undefined, 25).check('group:a', 'member', userRef('user:x')), CYCLE)
    const chain = Array.from({ length: 30 }, (_, i) => t(`group:g${i}`, 'owner', `group:g${i + 1}#owner`))
    const deep = TupleIndex.from([...chain, t('group:g30', 'owner', 'user:x')])
    const ev = new Evaluator(model, [deep], undefined, 25)
    assert.equal(ev.check('group:g0', 'owner', userRef('user:x')), ERROR)
    assert.equal(ev.err?.kind, 'depth')
    assert.equal(new Evaluator(model, [deep], undefined, 25).check('group:g10', 'owner', userRef('user:x')), TRUE)
    // The same limit holds when nested membership is answered from the user's side.
    const nested = TupleIndex.from([...Array.from({ length: 30 }, (_, i) => t(`group:g${i}`, 'nested', `group:g${i + 1}#nested`)), t('group:g30', 'nested', 'user:x')])
    assert.equal(new Evaluator(model, [nested], undefined, 25).check('group:g0', 'nested', userRef('user:x')), ERROR)
    assert.equal(new Evaluator(model, [nested], undefined, 25).check('group:g10', 'nested', userRef('user:x')), TRUE)
    const selfCycle = TupleIndex.from([t('group:c', 'owner', 'user:x'), t('group:c', 'member', 'group:c#owner')])
    assert.equal(new Evaluator(model, [selfCycle], undefined, 25).check('group:c', 'owner', userRef('user:x')), CYCLE)
  })

  it('ignores stored tuples the model no longer allows', () => {
    const idx = TupleIndex.from([t('document:1', 'viewer', 'group:eng#member'), t('group:eng', 'member', 'user:anne')])
    assert.equal(check(idx, 'document:1', 'viewer', 'user:anne'), FALSE)
  })

  it('explains a decision as a tree of the rules and tuples it looked at', () => {
    const ev = new Evaluator(MODEL, [index], undefined, 25)
    const out: TraceCheck[] = []
    assert.equal(ev.check('document:1', 'viewer', userRef('user:bob'), out), FALSE)
    const root = out[0]
    assert.equal(root.allowed, false)
    assert.equal(root.rule?.rewrite, 'exclusion')
    if (root.rule?.rewrite !== 'exclusion') return
    assert.equal(root.rule.base?.allowed, true)
    assert.equal(root.rule.subtract?.allowed, true)
    const subtract = root.rule.subtract
    assert.equal(subtract?.rewrite, 'computed')
    if (subtract?.rewrite !== 'computed') return
    assert.equal(subtract.check?.rule?.rewrite, 'direct')
    if (subtract.check?.rule?.rewrite !== 'direct') return
    assert.deepEqual(subtract.check.rule.tuples, [{ tuple: 'document:1#blocked@user:bob', allowed: true }])
  })

  it('names the condition parameters in the explanation', () => {
    const ev = new Evaluator(MODEL, [index], { now: '2023-01-01T00:00:00Z' }, 25)
    const out: TraceCheck[] = []
    ev.check('document:1', 'approved', userRef('user:anne'), out)
    const rule = out[0].rule
    assert.equal(rule?.rewrite, 'direct')
    if (rule?.rewrite !== 'direct') return
    assert.deepEqual(rule.tuples[0].condition, { name: 'after', parameters: { now: '2023-01-01T00:00:00Z', start: '2024-01-01T00:00:00Z' }, met: false })
  })
})
