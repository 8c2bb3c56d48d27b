import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizeAddress, peerAddress } from './client-address.ts'

describe('client address', () => {
  it('is the TCP peer, whatever X-Forwarded-For claims, one address however spelled', () => {
    assert.equal(peerAddress({ socket: { remoteAddress: '203.0.113.5' }, headers: { 'x-forwarded-for': '198.51.100.1' } } as never), '203.0.113.5')
    assert.equal(normalizeAddress('::FFFF:10.0.0.1'), '10.0.0.1')
    assert.equal(normalizeAddress('2001:DB8::1'), '2001:db8::1')
  })
})
