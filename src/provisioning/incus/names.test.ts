// The username → project name mapping: plain names kept, every result accepted by Incus's rules,
// and no two usernames sharing a project name — also for usernames built to look like results.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { incusProjectName, incusProjectNameProblem, isPlainProjectName } from './names.ts'

const PLAIN_CHARS = [...'abcXYZ019.@-']
const NASTY_CHARS = [...'abcXYZ019.@-_/ \'"`$?&+*:é\u0301\t\u00a0世🙂']
const plainish = fc.string({ unit: fc.constantFrom(...PLAIN_CHARS), minLength: 1, maxLength: 80 })
const nasty = fc.string({ unit: fc.constantFrom(...NASTY_CHARS), maxLength: 90 })
const anyName = fc.oneof(plainish, nasty, fc.string({ unit: 'binary', maxLength: 70 }))
/** Usernames that look like escaped results: `<x>--<16 hex>`, the likeliest way to collide. */
const lookalike = fc.tuple(plainish, fc.stringMatching(/^[0-9a-f]{16}$/)).map(([a, h]) => `${a}--${h}`)

describe('incusProjectName', () => {
  it('keeps plain names as they are', () => {
    for (const name of ['alice', 'Alice', 'bob.smith', 'jane@example.com', 'a', 'x-1', 'a'.repeat(64)]) {
      assert.equal(incusProjectName(name), name)
    }
  })

  it('escapes names Incus refuses or the CLI misreads, with a readable part and a hash', () => {
    assert.match(incusProjectName('jane_doe'), /^jane-doe--[0-9a-f]{16}$/)
    assert.match(incusProjectName('org/alice'), /^org-alice--[0-9a-f]{16}$/)
    assert.match(incusProjectName('José Núñez'), /^Jose-Nunez--[0-9a-f]{16}$/)
    assert.match(incusProjectName('remote:x'), /^remote-x--[0-9a-f]{16}$/)
    assert.match(incusProjectName(''), /^u--[0-9a-f]{16}$/)
    assert.match(incusProjectName('__'), /^u--[0-9a-f]{16}$/)
    assert.match(incusProjectName('a--b'), /^a-b--[0-9a-f]{16}$/)
    assert.match(incusProjectName('-lead'), /^lead--[0-9a-f]{16}$/)
    assert.equal(incusProjectName('a'.repeat(65)).length, 64)
    assert.notEqual(incusProjectName('jane_doe'), incusProjectName('jane/doe'))
  })

  it('is deterministic', () => {
    fc.assert(fc.property(anyName, (name) => incusProjectName(name) === incusProjectName(name)))
  })

  it('always yields a name Incus accepts', () => {
    fc.assert(fc.property(fc.oneof(anyName, lookalike), (name) => {
      const mapped = incusProjectName(name)
      assert.equal(incusProjectNameProblem(mapped), undefined, `${JSON.stringify(name)} → ${mapped}`)
      assert.ok(!mapped.includes(':'))
    }), { numRuns: 2000 })
  })

  it('is injective: different usernames, different project names', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.oneof(anyName, lookalike, plainish), { minLength: 2, maxLength: 40 }), (names) => {
      const mapped = new Map<string, string>()
      for (const name of names) {
        const p = incusProjectName(name)
        assert.ok(!mapped.has(p), `${JSON.stringify(name)} and ${JSON.stringify(mapped.get(p))} both map to ${p}`)
        mapped.set(p, name)
      }
    }), { numRuns: 1000 })
  })

  it('escaped results are never plain, so they cannot meet a kept name', () => {
    fc.assert(fc.property(fc.oneof(anyName, lookalike), (name) => {
      const mapped = incusProjectName(name)
      if (mapped !== name) assert.ok(!isPlainProjectName(mapped))
    }), { numRuns: 2000 })
  })
})

describe('incusProjectNameProblem', () => {
  it('follows Incus: names with / _ quotes, spaces, reserved names, bad edges, over 64 bytes', () => {
    for (const bad of ['', 'a/b', 'a_b', "a'b", 'a"b', 'a b', '*', '.', '..', '-a', 'a-', 'a$b', 'a?b', 'a&b', 'a+b', 'a`b', 'é'.repeat(33)]) {
      assert.notEqual(incusProjectNameProblem(bad), undefined, bad)
    }
    for (const good of ['default', 'a', 'a.b', 'a@b', 'a:b', 'a--b', 'A1']) assert.equal(incusProjectNameProblem(good), undefined, good)
  })
})
