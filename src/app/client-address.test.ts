import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { clientAddressOf } from './client-address.ts'

const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never

describe('client address for throttling', () => {
  const address = clientAddressOf({ forwardAuthTrustedProxies: ['127.0.0.0/8', '10.0.0.5'] })

  it('believes X-Forwarded-For only from the listed proxies, and only what they appended', () => {
    assert.equal(address(req('203.0.113.5', '198.51.100.1')), '203.0.113.5')
    assert.equal(address(req('::ffff:10.0.0.5', '198.51.100.1')), '198.51.100.1')
    assert.equal(address(req('127.0.0.1', '6.6.6.6, 198.51.100.1, 10.0.0.5')), '198.51.100.1')
    assert.equal(address(req('127.0.0.1')), '127.0.0.1')
  })
})
