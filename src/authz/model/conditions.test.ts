import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileCondition, evaluateCondition } from './conditions.ts'
import { inCidr, parseIPAddress } from './ipaddress.ts'
import { convertParam, parseGoDuration, parseRfc3339 } from './params.ts'

const param = (type_name: string, generic?: string) =>
  ({ type_name, generic_types: generic ? [{ type_name: generic, generic_types: [] }] : [] })

function cond(expression: string, parameters: Record<string, ReturnType<typeof param>>) {
  return compileCondition({ name: 'c', expression, parameters, metadata: null })
}

describe('condition parameters', () => {
  it('converts ints from integral numbers and numeric strings, and rejects fractions', () => {
    assert.equal(convertParam({ kind: 'int' }, 10), 10n)
    assert.equal(convertParam({ kind: 'int' }, '-42'), -42n)
    assert.throws(() => convertParam({ kind: 'int' }, 1.5), /int/)
    assert.throws(() => convertParam({ kind: 'uint' }, -1), /uint/)
  })

  it('rejects integers of any length past 64 bits, and reads leading zeros as zeros', () => {
    assert.equal(convertParam({ kind: 'int' }, '-9223372036854775808'), -(2n ** 63n))
    assert.equal(String(convertParam({ kind: 'uint' }, '18446744073709551615')), '18446744073709551615')
    assert.equal(convertParam({ kind: 'int' }, '0'.repeat(100_000) + '7'), 7n)
    assert.equal(convertParam({ kind: 'int' }, '-000'), 0n)
    const huge = ['9'.repeat(100_000), '-' + '9'.repeat(100_000)]
    for (const digits of ['9223372036854775808', '-9223372036854775809', ...huge]) {
      assert.throws(() => convertParam({ kind: 'int' }, digits), /out of range/)
    }
    for (const digits of ['18446744073709551616', ...huge]) assert.throws(() => convertParam({ kind: 'uint' }, digits), /uint/)
  })

  it('refuses durations past int64 nanoseconds, as Go does', () => {
    assert.equal(parseGoDuration('2562047h'), 2562047n * 3_600_000_000_000n)
    assert.equal(parseGoDuration('-2562047h47m16.854775808s'), -(2n ** 63n))
    assert.equal(parseGoDuration('2562047h47m16.854775808s'), null)
    assert.equal(parseGoDuration('2562048h'), null)
    assert.equal(parseGoDuration('9'.repeat(100_000) + 's'), null)
    assert.equal(parseGoDuration('0.' + '9'.repeat(100_000) + 's'), 999_999_999n)
  })

  it('rejects doubles out of range instead of turning them into infinity', () => {
    assert.equal(convertParam({ kind: 'double' }, '2.5'), 2.5)
    assert.throws(() => convertParam({ kind: 'double' }, '1.8e309'), /double/)
    assert.throws(() => convertParam({ kind: 'double' }, Infinity), /double/)
  })

  it('parses durations in Go syntax and RFC 3339 timestamps strictly', () => {
    assert.equal(parseGoDuration('1h30m'), 5_400_000_000_000n)
    assert.equal(parseGoDuration('-1.5s'), -1_500_000_000n)
    assert.equal(parseGoDuration('10'), null)
    assert.equal(parseRfc3339('2023-10-11T09:00:00.000Z')?.toISOString(), '2023-10-11T09:00:00.000Z')
    assert.equal(parseRfc3339('2023-10-11T11:00:00+02:00')?.toISOString(), '2023-10-11T09:00:00.000Z')
    assert.equal(parseRfc3339('2023-10-11T11:00.000Z'), null)
    assert.equal(parseRfc3339('2023-02-30T00:00:00Z'), null)
  })

  it('parses IP addresses and tests CIDR membership per family', () => {
    const v4 = parseIPAddress('192.168.0.7')!
    assert.equal(inCidr(v4, '192.168.0.0/24'), true)
    assert.equal(inCidr(v4, '192.168.1.0/24'), false)
    assert.equal(inCidr(parseIPAddress('2001:db8::1')!, '2001:db8::/32'), true)
    assert.equal(inCidr(parseIPAddress('::ffff:192.168.0.7')!, '192.168.0.0/24'), false)
    assert.equal(parseIPAddress('192.168.00.1'), null)
    assert.throws(() => inCidr(v4, '192.168.0.0/33'), /malformed CIDR/)
  })
})

describe('condition evaluation', () => {
  it('evaluates with the request context, tuple-bound values taking precedence', () => {
    const c = cond('x < limit', { x: param('TYPE_NAME_INT'), limit: param('TYPE_NAME_INT') })
    assert.equal(evaluateCondition(c, { x: 5, limit: 10 }, undefined, 't').met, true)
    assert.equal(evaluateCondition(c, { x: 5, limit: 10 }, { limit: 3 }, 't').met, false)
  })

  it('reports missing parameters even when the expression could short-circuit', () => {
    const c = cond('x < 100 || y < 50', { x: param('TYPE_NAME_INT'), y: param('TYPE_NAME_INT') })
    const out = evaluateCondition(c, { x: 10 }, undefined, 'document:1#viewer@user:jon')
    assert.equal(out.met, false)
    assert.match(out.error!, /missing context parameters 'y'/)
  })

  it('reports values that do not convert to the parameter type', () => {
    const c = cond('ts < timestamp("2023-10-11T10:00:00Z")', { ts: param('TYPE_NAME_TIMESTAMP') })
    assert.match(evaluateCondition(c, { ts: '2023-10-11T11:00.000Z' }, undefined, 't').error!, /RFC 3339/)
    assert.equal(evaluateCondition(c, { ts: '2023-10-11T09:59:59Z' }, undefined, 't').met, true)
  })

  it('supports ipaddress, duration, map and list parameters', () => {
    const ip = cond('user_ip.in_cidr(cidr)', { user_ip: param('TYPE_NAME_IPADDRESS'), cidr: param('TYPE_NAME_STRING') })
    assert.equal(evaluateCondition(ip, { user_ip: '10.1.2.3' }, { cidr: '10.0.0.0/8' }, 't').met, true)
    const d = cond('elapsed < duration("1h")', { elapsed: param('TYPE_NAME_DURATION') })
    assert.equal(evaluateCondition(d, { elapsed: '59m' }, undefined, 't').met, true)
    const m = cond('m["a"] + l[0] == 3', { m: param('TYPE_NAME_MAP', 'TYPE_NAME_INT'), l: param('TYPE_NAME_LIST', 'TYPE_NAME_INT') })
    assert.equal(evaluateCondition(m, { m: { a: 1 }, l: [2] }, undefined, 't').met, true)
  })
})

describe('condition regular expressions', () => {
  it('finishes a catastrophic-backtracking pattern over caller input instead of blocking', () => {
    const c = cond('s.matches("^(a+)+$")', { s: param('TYPE_NAME_STRING') })
    // Exponential on a backtracking engine (2^40 steps); linear with the fallback.
    assert.equal(evaluateCondition(c, { s: 'a'.repeat(40) + 'b' }, undefined, 't').met, false)
    assert.equal(evaluateCondition(c, { s: 'a'.repeat(40) }, undefined, 't').met, true)
  })
})
