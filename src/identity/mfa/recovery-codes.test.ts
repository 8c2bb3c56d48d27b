import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.ts'

describe('recovery codes', () => {
  it('makes ten distinct codes of four groups of four', () => {
    const codes = newRecoveryCodes()
    assert.equal(codes.length, RECOVERY_CODE_COUNT)
    assert.equal(new Set(codes).size, RECOVERY_CODE_COUNT)
    for (const code of codes) assert.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/)
  })

  it('hashes a code however it is typed, and nothing that cannot be one', () => {
    const [code] = newRecoveryCodes(1)
    const hash = hashRecoveryCode(code)
    assert.match(hash!, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(hashRecoveryCode(code!.toLowerCase().replaceAll('-', ' ')), hash)
    assert.equal(hashRecoveryCode(code!.replaceAll('-', '')), hash)
    assert.notEqual(hashRecoveryCode(newRecoveryCodes(1)[0]), hash)
    for (const bad of ['', '123456', 'K3TQ-7ZBW-MXA4', 'K3TQ-7ZBW-MXA4-P2R0', 'x'.repeat(100), undefined, 42]) {
      assert.equal(normalizeRecoveryCode(bad), undefined, String(bad))
      assert.equal(hashRecoveryCode(bad), undefined)
    }
  })
})
