import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkReturnUrl, type ReturnUrlPolicy } from './return-url.ts'

const policy: ReturnUrlPolicy = {
  isApplicationHost: (host) => host === 'app.example.com' || host === 'grafana.internal.test',
  cookieDomain: '.example.com',
}

describe('checkReturnUrl', () => {
  const accepted: [string, string][] = [
    ['https://app.example.com/', 'https://app.example.com/'],
    ['https://app.example.com/dash?x=1&y=%2F', 'https://app.example.com/dash?x=1&y=%2F'],
    ['https://app.example.com', 'https://app.example.com/'],
    ['HTTPS://APP.Example.com/Path', 'https://app.example.com/Path'],
    ['http://app.example.com:8080/a', 'http://app.example.com:8080/a'],
    ['https://other.example.com/', 'https://other.example.com/'],
    ['https://example.com/', 'https://example.com/'],
    ['https://grafana.internal.test/d/abc', 'https://grafana.internal.test/d/abc'],
  ]
  for (const [candidate, url] of accepted) {
    it(`accepts ${candidate}`, () => {
      const result = checkReturnUrl(candidate, policy)
      assert.equal(result.ok, true, JSON.stringify(result))
      assert.equal((result as { url: string }).url, url)
    })
  }

  const refused: string[] = [
    '//evil.com',
    '//evil.com/app.example.com',
    'https://evil.com',
    'https://evil.com/https://app.example.com/',
    '\\\\evil.com',
    '/\\evil.com',
    'https:evil.com',
    'https:/evil.com',
    'https:\\\\evil.com',
    '%2f%2fevil.com',
    '/%2f%2fevil.com',
    'https%3a%2f%2fevil.com',
    'https://app.example.com@evil.com',
    'https://app.example.com:443@evil.com/',
    'https://user:pass@app.example.com/',
    'https://evil.com#@app.example.com',
    'https://evil.com?@app.example.com',
    'https://evil.com\\@app.example.com',
    'https://app.example.com%2eevil.com/',
    'https://app.example.com\t.evil.com/',
    'https://app.example.com\n/',
    'https://app.example.com\x00.evil.com/',
    'https://app.example.com/\u2028',
    ' https://app.example.com/',
    'javascript:alert(1)',
    'JavaScript://app.example.com/%0aalert(1)',
    'data:text/html,hi',
    'ftp://app.example.com/',
    'https://evilexample.com/',
    'https://example.com.evil.com/',
    'https://app.example.com./',
    'https://2130706433/',
    'https://0x7f.0.0.1/',
    'https://[::1]/',
    'https://app.example.com/#frag',
    '/relative/path',
    '',
    'https://app.example.com/' + 'a'.repeat(5000),
  ]
  for (const candidate of refused) {
    it(`refuses ${JSON.stringify(candidate.slice(0, 60))}`, () => {
      assert.equal(checkReturnUrl(candidate, policy).ok, false)
    })
  }
})
