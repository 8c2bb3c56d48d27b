import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { normalisePath, pathHasPrefix } from './paths.ts'

describe('normalisePath', () => {
  const resolves: [string, string][] = [
    ['/', '/'],
    ['/admin', '/admin'],
    ['/admin/', '/admin/'],
    ['/a.b/..c/...', '/a.b/..c/...'],
    ['/%61dmin', '/admin'],
    ['/%7Euser', '/~user'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%20b', '/a%20b'],
    ['/100%25', '/100%25'],
  ]
  for (const [raw, expected] of resolves) {
    it(`reads ${raw} as ${expected}`, () => {
      assert.deepEqual(normalisePath(raw), { ok: true, path: expected })
    })
  }

  const refused: [string, RegExp][] = [
    ['/static%2f..%2fadmin', /encoded slash/],
    ['/static%2F..%2Fadmin', /encoded slash/],
    ['/static%5c..%5cadmin', /encoded slash or backslash/],
    ['/static\\..\\admin', /backslash/],
    ['/static/%252e%252e/admin', /double percent-encoding/],
    ['/static/..;/admin', /path parameters/],
    ['/static/.;x/admin', /path parameters/],
    ['/static/%2e%2e%3b/admin', /path parameters/],
    ['/secure/admin/ViewUsers.jspa;x.css', /path parameters/],
    ['/admin;jsessionid=x/secret', /path parameters/],
    ['/public/../admin', /dot segment/],
    ['/public/./admin/', /dot segment/],
    ['/%2e%2e/admin', /dot segment/],
    ['/public/%2E%2e/admin', /dot segment/],
    ['/public/.%2e/admin', /dot segment/],
    ['/a/b/..', /dot segment/],
    ['/a/.', /dot segment/],
    ['//admin', /empty segment/],
    ['//public/admin', /empty segment/],
    ['/admin//../public/x', /empty segment/],
    ['///static///admin', /empty segment/],
    ['/a%00b', /control/],
    ['/a\nb', /control/],
    ['/a b', /space/],
    ['/caf\u00e9', /non-ASCII/],
    ['/a%zz', /malformed percent/],
    ['/a%4', /malformed percent/],
    ['admin', /must start with/],
    ['/' + 'a'.repeat(9000), /too long/],
  ]
  for (const [raw, reason] of refused) {
    it(`refuses ${JSON.stringify(raw.slice(0, 40))}`, () => {
      const result = normalisePath(raw)
      assert.equal(result.ok, false)
      assert.match((result as { reason: string }).reason, reason)
    })
  }
})

describe('pathHasPrefix', () => {
  const cases: [string, string, boolean][] = [
    ['/admin', '/admin', true],
    ['/admin/users', '/admin', true],
    ['/administrator', '/admin', false],
    ['/admin', '/admin/', true],
    ['/admin/x', '/admin/', true],
    ['/adminx', '/admin/', false],
    ['/anything', '/', true],
  ]
  for (const [path, prefix, expected] of cases) {
    it(`${path} ${expected ? 'is' : 'is not'} under ${prefix}`, () => assert.equal(pathHasPrefix(path, prefix), expected))
  }
})

describe('normalisePath on generated paths', () => {
  const piece = fc.constantFrom('a', 'admin', '.', '..', '', '%2e', '%2E%2e', '%41', 'static', ';x', '%20', '~')
  const rawPath = fc.array(piece, { maxLength: 12 }).map((parts) => '/' + parts.join('/'))

  it('yields a fixed point with no dot segments or empty segments', () => {
    fc.assert(fc.property(rawPath, (raw) => {
      const first = normalisePath(raw)
      if (!first.ok) return
      assert.deepEqual(normalisePath(first.path), first)
      assert.doesNotMatch(first.path, /\/\.{1,2}(\/|$)|\/\/|%2e/i)
    }))
  })
})
