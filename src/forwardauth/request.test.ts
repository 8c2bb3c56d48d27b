import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../lib/index.ts'
import { parseCidr } from './client-ip.ts'
import { parseAuthRequest, type ProxyContract, type RawAuthRequest } from './request.ts'

const options = { trustedProxies: [parseCidr('10.0.0.0/8')!] }

const caddy = (headers: RawAuthRequest['headers'], peerAddress = '10.0.0.2'): RawAuthRequest => ({
  peerAddress,
  headers: {
    'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com',
    'x-forwarded-uri': '/dash?tab=1', 'x-forwarded-for': '198.51.100.7', ...headers,
  },
})

const nginx = (headers: RawAuthRequest['headers']): RawAuthRequest => ({
  peerAddress: '10.0.0.3',
  headers: { 'x-original-url': 'https://app.example.com/dash?tab=1', 'x-original-method': 'GET', ...headers },
})

function refusal(contract: ProxyContract, raw: RawAuthRequest): { code: string; header: unknown } {
  try {
    parseAuthRequest(contract, raw, options)
  } catch (err) {
    assert.ok(err instanceof AppError)
    assert.equal(err.status, 400)
    return { code: err.code, header: err.details?.header }
  }
  assert.fail('expected a 400')
}

describe('parseAuthRequest: Caddy and Traefik (X-Forwarded-*)', () => {
  it('reads method, scheme, host, raw path, query and client address', () => {
    const req = parseAuthRequest('forwarded', caddy({ 'x-forwarded-host': 'App.Example.com:8443', 'x-forwarded-method': 'post' }), options)
    assert.deepEqual(
      { method: req.method, proto: req.proto, host: req.host, port: req.port, path: req.path, query: req.query, ip: req.clientIpText },
      { method: 'POST', proto: 'https', host: 'app.example.com', port: '8443', path: '/dash', query: '?tab=1', ip: '198.51.100.7' },
    )
  })

  it('keeps the raw path for later normalisation', () => {
    assert.equal(parseAuthRequest('forwarded', caddy({ 'x-forwarded-uri': '//admin/../x?' }), options).path, '//admin/../x')
  })

  it('reads header names in any case and ignores X-Original-URL', () => {
    const req = parseAuthRequest('forwarded', {
      peerAddress: '10.0.0.2',
      headers: {
        'X-Forwarded-Method': 'GET', 'X-FORWARDED-PROTO': 'https', 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Uri': '/ok',
        'X-Original-URL': 'https://evil.example.com/admin',
      },
    }, options)
    assert.deepEqual([req.host, req.path], ['app.example.com', '/ok'])
  })

  it('refuses a header sent twice under different spellings', () => {
    assert.equal(refusal('forwarded', caddy({ 'X-Forwarded-Uri': '/other' })).code, 'forwardauth_invalid_header')
  })

  it('tells browsers from scripts', () => {
    const browser = parseAuthRequest('forwarded', caddy({ accept: 'text/html,application/xhtml+xml;q=0.9' }), options)
    assert.deepEqual([browser.acceptsHtml, browser.xhr], [true, false])
    const xhr = parseAuthRequest('forwarded', caddy({ accept: 'text/html', 'x-requested-with': 'XMLHttpRequest' }), options)
    assert.equal(xhr.xhr, true)
    const api = parseAuthRequest('forwarded', caddy({ accept: 'application/json' }), options)
    assert.equal(api.acceptsHtml, false)
    const navigate = parseAuthRequest('forwarded', caddy({ 'sec-fetch-mode': 'navigate' }), options)
    assert.equal(navigate.acceptsHtml, true)
  })

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    assert.equal(parseAuthRequest('forwarded', caddy({}, '203.0.113.5'), options).clientIpText, '203.0.113.5')
  })

  const bad: [string, RawAuthRequest['headers'], string, string][] = [
    ['no method', { 'x-forwarded-method': undefined }, 'forwardauth_missing_header', 'X-Forwarded-Method'],
    ['an empty host', { 'x-forwarded-host': ' ' }, 'forwardauth_missing_header', 'X-Forwarded-Host'],
    ['no URI', { 'x-forwarded-uri': undefined }, 'forwardauth_missing_header', 'X-Forwarded-Uri'],
    ['a method with spaces', { 'x-forwarded-method': 'GET /' }, 'forwardauth_invalid_header', 'X-Forwarded-Method'],
    ['a bad scheme', { 'x-forwarded-proto': 'ftp' }, 'forwardauth_invalid_header', 'X-Forwarded-Proto'],
    ['two hosts', { 'x-forwarded-host': ['a.example.com', 'b.example.com'] }, 'forwardauth_invalid_header', 'X-Forwarded-Host'],
    ['a host with userinfo', { 'x-forwarded-host': 'a@evil.com' }, 'forwardauth_invalid_header', 'X-Forwarded-Host'],
    ['an absolute-form URI', { 'x-forwarded-uri': 'https://evil.com/' }, 'forwardauth_invalid_header', 'X-Forwarded-Uri'],
    ['a URI with a space', { 'x-forwarded-uri': '/a b' }, 'forwardauth_invalid_header', 'X-Forwarded-Uri'],
    ['a URI with a fragment', { 'x-forwarded-uri': '/a#b' }, 'forwardauth_invalid_header', 'X-Forwarded-Uri'],
    ['an overlong URI', { 'x-forwarded-uri': '/' + 'a'.repeat(10000) }, 'forwardauth_invalid_header', 'X-Forwarded-Uri'],
  ]
  for (const [name, headers, code, header] of bad) {
    it(`answers 400 for ${name}`, () => assert.deepEqual(refusal('forwarded', caddy(headers)), { code, header }))
  }
})

describe('parseAuthRequest: nginx (X-Original-URL)', () => {
  it('reads the original URL and method', () => {
    const req = parseAuthRequest('nginx', nginx({ 'x-original-method': 'DELETE', 'x-forwarded-for': '192.0.2.4' }), options)
    assert.deepEqual(
      { method: req.method, proto: req.proto, host: req.host, path: req.path, query: req.query, ip: req.clientIpText },
      { method: 'DELETE', proto: 'https', host: 'app.example.com', path: '/dash', query: '?tab=1', ip: '192.0.2.4' },
    )
  })

  it('reads a bare origin as the root path', () => {
    assert.equal(parseAuthRequest('nginx', nginx({ 'x-original-url': 'http://app.example.com' }), options).path, '/')
    assert.equal(parseAuthRequest('nginx', nginx({ 'x-original-url': 'http://app.example.com?x=1' }), options).query, '?x=1')
  })

  it('never reads X-Forwarded-Host or X-Forwarded-Uri', () => {
    const req = parseAuthRequest('nginx', nginx({ 'x-forwarded-host': 'evil.example.com', 'x-forwarded-uri': '/admin' }), options)
    assert.deepEqual([req.host, req.path], ['app.example.com', '/dash'])
  })

  const bad: [string, RawAuthRequest['headers'], string, string][] = [
    ['no URL', { 'x-original-url': undefined }, 'forwardauth_missing_header', 'X-Original-URL'],
    ['no method', { 'x-original-method': undefined }, 'forwardauth_missing_header', 'X-Original-Method'],
    ['a relative URL', { 'x-original-url': '/dash' }, 'forwardauth_invalid_header', 'X-Original-URL'],
    ['userinfo', { 'x-original-url': 'https://app.example.com@evil.com/' }, 'forwardauth_invalid_header', 'X-Original-URL'],
    ['another scheme', { 'x-original-url': 'javascript://app.example.com/' }, 'forwardauth_invalid_header', 'X-Original-URL'],
    ['a control character', { 'x-original-url': 'https://app.example.com/a\tb' }, 'forwardauth_invalid_header', 'X-Original-URL'],
  ]
  for (const [name, headers, code, header] of bad) {
    it(`answers 400 for ${name}`, () => assert.deepEqual(refusal('nginx', nginx(headers)), { code, header }))
  }
})
