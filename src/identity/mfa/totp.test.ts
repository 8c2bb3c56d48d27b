import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newTotpSecret, normalizeTotpCode, totpCode, totpQrSvg, totpUri, verifyTotp, TOTP_PERIOD_SECONDS } from './totp.ts'

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", base32.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const at = (seconds: number) => new Date(seconds * 1000)

describe('TOTP', () => {
  it('computes the RFC 6238 test vectors (last six digits)', async () => {
    for (const [t, expected] of [[59, '287082'], [1111111109, '081804'], [1234567890, '005924'], [2000000000, '279037']] as const) {
      assert.equal(await totpCode(RFC_SECRET, at(t)), expected)
    }
  })

  it('accepts the current step and one either side, and nothing further', async () => {
    const now = at(1_800_000_000)
    const step = Math.floor(1_800_000_000 / TOTP_PERIOD_SECONDS)
    for (const offset of [-1, 0, 1]) {
      const code = await totpCode(RFC_SECRET, at(1_800_000_000 + offset * TOTP_PERIOD_SECONDS))
      assert.equal(await verifyTotp(RFC_SECRET, code, now, null), step + offset, `offset ${offset}`)
    }
    for (const offset of [-3, -2, 2, 3]) {
      const code = await totpCode(RFC_SECRET, at(1_800_000_000 + offset * TOTP_PERIOD_SECONDS))
      assert.equal(await verifyTotp(RFC_SECRET, code, now, null), undefined, `offset ${offset}`)
    }
  })

  it('refuses a code of a step already used, or of an earlier one, within its window (replay)', async () => {
    const now = at(1_800_000_000)
    const code = await totpCode(RFC_SECRET, now)
    const step = await verifyTotp(RFC_SECRET, code, now, null)
    assert.ok(step !== undefined)
    assert.equal(await verifyTotp(RFC_SECRET, code, now, step), undefined)
    // Still inside its drift window 30 s later: refused all the same.
    assert.equal(await verifyTotp(RFC_SECRET, code, at(1_800_000_030), step), undefined)
    const previous = await totpCode(RFC_SECRET, at(1_800_000_000 - TOTP_PERIOD_SECONDS))
    assert.equal(await verifyTotp(RFC_SECRET, previous, now, step), undefined)
    const next = await totpCode(RFC_SECRET, at(1_800_000_030))
    assert.equal(await verifyTotp(RFC_SECRET, next, at(1_800_000_030), step), step + 1)
  })

  it('takes codes with spaces or a dash, refuses anything that is not six digits', async () => {
    assert.equal(normalizeTotpCode(' 123 456 '), '123456')
    assert.equal(normalizeTotpCode('123-456'), '123456')
    for (const bad of ['12345', '1234567', 'abcdef', '', undefined, 123456, '12345６']) assert.equal(normalizeTotpCode(bad), undefined)
    assert.equal(await verifyTotp(RFC_SECRET, 'nonsense', at(59), null), undefined)
  })

  it('makes 160-bit secrets and an otpauth URI apps read, also as an SVG QR code', () => {
    const secret = newTotpSecret()
    assert.match(secret, /^[A-Z2-7]{32}$/)
    assert.notEqual(newTotpSecret(), secret)
    const uri = new URL(totpUri(secret, 'Gatehouse (id.example.com)', 'admin'))
    assert.equal(uri.protocol, 'otpauth:')
    assert.equal(uri.host, 'totp')
    assert.equal(decodeURIComponent(uri.pathname), '/Gatehouse (id.example.com):admin')
    assert.equal(uri.searchParams.get('secret'), secret)
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse (id.example.com)')
    const svg = totpQrSvg(uri.href)
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    assert.doesNotMatch(svg, /<script|href=/)
  })
})
