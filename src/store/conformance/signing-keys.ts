// Signing keys: one active key per algorithm, atomic rotation (all or nothing, one winner when
// two rotations race), deletion of retired keys once expired. The tests build on each other.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { CommonCodes } from '../../lib/index.ts'
import { StoreErrorCodes } from '../errors.ts'
import type { SigningKeyAlg, SigningKeyRecord, SigningKeyStatus } from '../types.ts'
import { ManualClock, rejectsWith, useFixture, type StoreFactory } from './harness.ts'

const T0 = Date.UTC(2030, 0, 1)
const at = (seconds: number): Date => new Date(T0 + seconds * 1000)

function key(kid: string, alg: SigningKeyAlg, status: SigningKeyStatus, createdSecond: number, extra: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const publicJwk = alg === 'ES256'
    ? { kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid, alg, use: 'sig' }
    : { kty: 'RSA', n: `n-${kid}`, e: 'AQAB', kid, alg, use: 'sig' }
  return {
    kid, alg, status, publicJwk, privateJwkCiphertext: `v1.iv.${kid}.tag`, createdAt: at(createdSecond),
    activatedAt: status === 'active' ? at(createdSecond) : null, retiredAt: null, expiresAt: null, ...extra,
  }
}

export function signingKeysCategory(factory: StoreFactory): void {
  const h = useFixture(factory, { clock: new ManualClock(T0) })
  const es1 = key('es-1', 'ES256', 'active', 0)
  const rs1 = key('rs-1', 'RS256', 'active', 1)
  const es2 = key('es-2', 'ES256', 'next', 2)

  it('inserts keys and lists them newest first with every field intact', async () => {
    assert.deepEqual(await h.store.signingKeys.list(), [])
    for (const k of [es1, rs1, es2]) await h.store.signingKeys.insert(k)
    assert.deepEqual(await h.store.signingKeys.list(), [es2, rs1, es1])
  })

  it('refuses a second active key of one algorithm and a duplicate kid', async () => {
    const before = await h.store.signingKeys.list()
    await rejectsWith(h.store.signingKeys.insert(key('es-rival', 'ES256', 'active', 3)), StoreErrorCodes.writeConflict)
    await rejectsWith(h.store.signingKeys.insert(key('es-1', 'ES256', 'next', 3)), StoreErrorCodes.writeConflict)
    assert.deepEqual(await h.store.signingKeys.list(), before)
  })

  it('changes nothing when any key of a rotation is not in the expected state', async () => {
    const before = await h.store.signingKeys.list()
    const rotate = (promote: string[], retire: string[]) =>
      h.store.signingKeys.rotate({ promote, retire, at: at(10), retireUntil: at(100) })
    await rejectsWith(rotate(['es-2'], ['es-1', 'missing']), StoreErrorCodes.writeConflict)
    await rejectsWith(rotate(['es-2', 'rs-1'], ['es-1']), StoreErrorCodes.writeConflict)
    // Promoting without retiring the current active key would make two active ES256 keys.
    await rejectsWith(rotate(['es-2'], []), StoreErrorCodes.writeConflict)
    await assert.rejects(rotate(['es-2'], ['es-2']), (err: unknown) => (err as { code?: string }).code === CommonCodes.validation)
    assert.deepEqual(await h.store.signingKeys.list(), before)
  })

  it('two racing rotations: exactly one wins and one key of the algorithm stays active', async () => {
    const rotation = { promote: ['es-2'], retire: ['es-1'], at: at(20), retireUntil: at(200) }
    const results = await Promise.allSettled([h.store.signingKeys.rotate(rotation), h.store.signingKeys.rotate(rotation)])
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    const lost = results.find((r) => r.status === 'rejected')
    assert.equal((lost?.reason as { code?: string }).code, StoreErrorCodes.writeConflict)
    const keys = await h.store.signingKeys.list()
    assert.deepEqual(keys, [
      { ...es2, status: 'active', activatedAt: at(20) },
      rs1,
      { ...es1, status: 'retired', retiredAt: at(20), expiresAt: at(200) },
    ])
  })

  it('retires an unused next key without touching the active one', async () => {
    await h.store.signingKeys.insert(key('rs-2', 'RS256', 'next', 30))
    await h.store.signingKeys.rotate({ promote: [], retire: ['rs-2'], at: at(31), retireUntil: at(31) })
    const keys = await h.store.signingKeys.list()
    assert.equal(keys.find((k) => k.kid === 'rs-2')?.status, 'retired')
    assert.equal(keys.find((k) => k.kid === 'rs-1')?.status, 'active')
  })

  it('deletes only retired keys whose expiry has passed', async () => {
    // A next key carrying an expiry is still not deleted: only retired keys are.
    await h.store.signingKeys.insert(key('es-3', 'ES256', 'next', 40, { expiresAt: at(41) }))
    assert.equal(await h.store.signingKeys.deleteExpired(at(30)), 0)
    assert.equal(await h.store.signingKeys.deleteExpired(at(199)), 1, 'rs-2 (expired at 31)')
    assert.equal(await h.store.signingKeys.deleteExpired(at(200)), 1, 'es-1 (expired at 200)')
    assert.deepEqual((await h.store.signingKeys.list()).map((k) => `${k.kid}:${k.status}`), ['es-3:next', 'es-2:active', 'rs-1:active'])
  })
}
