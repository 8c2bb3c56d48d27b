import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hostMatches, isHostPattern, parseAuthority, underCookieDomain } from './hosts.ts'

describe('parseAuthority', () => {
  const cases: [string, { host: string; port: string } | null][] = [
    ['App.Example.com', { host: 'app.example.com', port: '' }],
    ['app.example.com:8443', { host: 'app.example.com', port: '8443' }],
    ['10.0.0.1:80', { host: '10.0.0.1', port: '80' }],
    ['[2001:db8::1]:443', { host: '[2001:db8::1]', port: '443' }],
    ['app.example.com:0', null],
    ['app.example.com:99999', null],
    ['user@app.example.com', null],
    ['app.example.com, evil.com', null],
    ['app.example.com/evil', null],
    ['app%2eexample.com', null],
    ['-app.example.com', null],
    ['[not-ipv6]', null],
    ['', null],
  ]
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(parseAuthority(text), expected))
  }
})

describe('host patterns', () => {
  it('accepts names and one leading wildcard label only', () => {
    assert.equal(isHostPattern('app.example.com'), true)
    assert.equal(isHostPattern('*.example.com'), true)
    assert.equal(isHostPattern('*'), false)
    assert.equal(isHostPattern('a.*.example.com'), false)
    assert.equal(isHostPattern('*example.com'), false)
  })

  const cases: [string, string, boolean][] = [
    ['app.example.com', 'app.example.com', true],
    ['app.example.com', 'other.example.com', false],
    ['*.example.com', 'app.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'evilexample.com', false],
    ['*.example.com', 'app.example.com.evil.com', false],
  ]
  for (const [pattern, host, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${host}`, () => assert.equal(hostMatches(pattern, host), expected))
  }

  it('knows which hosts receive a cookie for the domain', () => {
    assert.equal(underCookieDomain('app.example.com', 'example.com'), true)
    assert.equal(underCookieDomain('example.com', '.example.com'), true)
    assert.equal(underCookieDomain('app.example.org', 'example.com'), false)
    assert.equal(underCookieDomain('evilexample.com', 'example.com'), false)
  })
})
