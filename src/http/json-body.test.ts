import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonBodyProblem, MAX_JSON_DEPTH } from './json-body.ts'

const nest = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth))

describe('JSON body limits', () => {
  it('accepts ordinary bodies, non-ASCII text and nesting up to the limit', () => {
    assert.equal(jsonBodyProblem({ tuple_key: { object: 'doc:日本語', user: 'user:😀' }, context: { n: 1e308, ok: [true, null] } }), undefined)
    assert.equal(jsonBodyProblem(nest(MAX_JSON_DEPTH)), undefined)
    assert.equal(jsonBodyProblem('plain'), undefined)
  })

  it('refuses nesting past the limit without recursing', () => {
    assert.match(jsonBodyProblem(nest(MAX_JSON_DEPTH + 1))!, /deeper than 128/)
    assert.match(jsonBodyProblem(JSON.parse('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000)))!, /deeper/)
  })

  it('refuses NUL and unpaired surrogates in values and keys, and numbers JSON.parse made infinite', () => {
    assert.match(jsonBodyProblem({ a: ['x\u0000'] })!, /NUL/)
    assert.match(jsonBodyProblem({ 'k\u0000': 1 })!, /NUL/)
    assert.match(jsonBodyProblem(JSON.parse('{"a":"\\ud800"}'))!, /surrogate/)
    assert.match(jsonBodyProblem(JSON.parse('{"\\udc00":1}'))!, /surrogate/)
    assert.match(jsonBodyProblem(JSON.parse('[1e400]'))!, /out of range/)
  })
})
