import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cidrContains, formatIp, parseCidr, parseIp, resolveClientIp, type Cidr } from './client-ip.ts'

const cidrs = (...list: string[]): Cidr[] => list.map((c) => parseCidr(c)!)
const resolved = (peer: string, xff: string | undefined, trusted: Cidr[]) => {
  const ip = resolveClientIp(peer, xff, trusted)
  return ip && formatIp(ip)
}

describe('parseIp', () => {
  const cases: [string, string | null][] = [
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['2001:db8::1', '2001:db8:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['64:ff9b::1.2.3.4', '64:ff9b:0:0:0:0:102:304'],
    ['fe80::1%eth0', null],
    ['01.2.3.4', null],
    ['10.1.2', null],
    ['unknown', null],
    ['', null],
  ]
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)}`, () => {
      const ip = parseIp(text)
      assert.equal(ip && formatIp(ip), expected)
    })
  }
})

describe('CIDR ranges', () => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.1/8', '10.9.9.9', true],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::/0', '::1', true],
    ['10.0.0.0/8', '::ffff:10.1.1.1', true],
    ['::ffff:10.0.0.0/104', '10.1.1.1', true],
    ['fd00::/8', '10.0.0.1', false],
  ]
  for (const [cidr, ip, expected] of cases) {
    it(`${ip} ${expected ? 'is' : 'is not'} in ${cidr}`, () => assert.equal(cidrContains(parseCidr(cidr)!, parseIp(ip)!), expected))
  }

  for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/08', 'example.com/8', '::ffff:10.0.0.0/90', 'fe80::1%eth0/64']) {
    it(`refuses ${bad}`, () => assert.equal(parseCidr(bad), null))
  }
})

describe('resolveClientIp', () => {
  const trusted = cidrs('10.0.0.0/8', 'fd00::/8')

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    assert.equal(resolved('203.0.113.9', '198.51.100.1', trusted), '203.0.113.9')
  })

  it('takes the rightmost untrusted hop behind a trusted peer', () => {
    assert.equal(resolved('10.0.0.2', '198.51.100.1', trusted), '198.51.100.1')
    assert.equal(resolved('10.0.0.2', '198.51.100.1, 10.0.0.5, 10.0.0.6', trusted), '198.51.100.1')
  })

  it('never believes entries the client wrote left of its own address', () => {
    // The client sends "X-Forwarded-For: 10.0.0.7, 192.0.2.1"; the proxy appends the real address.
    assert.equal(resolved('10.0.0.2', '10.0.0.7, 192.0.2.1, 198.51.100.1', trusted), '198.51.100.1')
    assert.equal(resolved('10.0.0.2', '1.1.1.1,198.51.100.1', trusted), '198.51.100.1')
  })

  it('uses the leftmost entry when every hop is trusted', () => {
    assert.equal(resolved('10.0.0.2', '10.0.0.9, 10.0.0.5', trusted), '10.0.0.9')
  })

  it('falls back to the peer without a header', () => {
    assert.equal(resolved('10.0.0.2', undefined, trusted), '10.0.0.2')
    assert.equal(resolved('10.0.0.2', ' ', trusted), '10.0.0.2')
  })

  it('is unknown when a hop it must read is malformed', () => {
    assert.equal(resolved('10.0.0.2', 'evil, not-an-ip', trusted), null)
    assert.equal(resolved('not-an-ip', '198.51.100.1', trusted), null)
  })

  it('walks IPv6 hops and strips ports and brackets', () => {
    assert.equal(resolved('fd00::2', '2001:db8::7, fd00::3', trusted), '2001:db8:0:0:0:0:0:7')
    assert.equal(resolved('::ffff:10.0.0.2', '[2001:db8::8]:4431', trusted), '2001:db8:0:0:0:0:0:8')
    assert.equal(resolved('10.0.0.2', '198.51.100.1:5000', trusted), '198.51.100.1')
  })

  it('trusts nothing when no proxies are configured', () => {
    assert.equal(resolved('10.0.0.2', '198.51.100.1', []), '10.0.0.2')
  })
})
