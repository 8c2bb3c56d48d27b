import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createClientAddress, normalizeAddress } from './client-address.ts'

const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never

describe('client address', () => {
  it('is the TCP peer without trusted proxies, whatever X-Forwarded-For claims', () => {
    assert.equal(createClientAddress()(req('203.0.113.5', '198.51.100.1')), '203.0.113.5')
    assert.equal(normalizeAddress('::FFFF:10.0.0.1'), '10.0.0.1')
  })

  it('behind trusted proxies, is the nearest forwarded address that is no proxy', () => {
    const address = createClientAddress(['10.0.0.1', '10.0.0.2'])
    assert.equal(address(req('::ffff:10.0.0.1', '198.51.100.1')), '198.51.100.1')
    // A client-sent entry on the left does not win over what the proxies appended.
    assert.equal(address(req('10.0.0.1', '6.6.6.6, 198.51.100.1, 10.0.0.2')), '198.51.100.1')
    assert.equal(address(req('10.0.0.1', 'garbage')), '10.0.0.1')
    assert.equal(address(req('10.0.0.1')), '10.0.0.1')
    assert.equal(address(req('203.0.113.5', '198.51.100.1')), '203.0.113.5', 'an untrusted peer is not believed')
  })
})
