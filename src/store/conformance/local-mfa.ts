// Second factors of local accounts: factors per account in any spelling of its name, duplicate
// credentials refused, TOTP steps and passkey counters accepted only forward, recovery codes
// consumed once, and everything gone with a reset or with the account.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import { ManualClock, rejectsWith, useFixture, type StoreFactory } from './harness.ts'

export function localMfaCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock, connections: 10 })
  const mfa = () => h.store.localMfa

  it('adds a TOTP factor with recovery codes and lists it under any spelling of the name', async () => {
    await h.store.localAccounts.create({ username: 'Admin', passwordHash: 'h' })
    const added = await mfa().addFactor('ADMIN', { id: 'f1', kind: 'totp', label: 'phone', secretCiphertext: 'v1.sealed' }, ['hash-a', 'hash-b'])
    assert.deepEqual(added, {
      id: 'f1', kind: 'totp', label: 'phone', secretCiphertext: 'v1.sealed', credentialId: null, publicKey: null, counter: 0,
      transports: [], lastStep: null, createdAt: clock.now(), lastUsedAt: null,
    })
    assert.deepEqual(await mfa().listFactors('admin'), [added])
    assert.equal(await mfa().countRecoveryCodes('aDmIn'), 2)
    assert.deepEqual(await mfa().listFactors('nobody'), [])
    assert.equal(await mfa().addFactor('nobody', { id: 'f0', kind: 'totp', label: 'x', secretCiphertext: 's' }), null)
  })

  it('adds a passkey; a credential id or factor id taken is already_exists (409), invalid input validation_error', async () => {
    clock.advance(1)
    const passkey = await mfa().addFactor('admin', { id: 'f2', kind: 'webauthn', label: 'laptop', credentialId: 'cred-1', publicKey: 'pk', counter: 3, transports: ['internal'] })
    assert.deepEqual({ counter: passkey?.counter, transports: passkey?.transports, credentialId: passkey?.credentialId }, { counter: 3, transports: ['internal'], credentialId: 'cred-1' })
    assert.deepEqual((await mfa().listFactors('admin')).map((f) => f.id), ['f1', 'f2'])
    const err = await rejectsWith(mfa().addFactor('admin', { id: 'f3', kind: 'webauthn', label: 'again', credentialId: 'cred-1', publicKey: 'pk' }), StoreErrorCodes.alreadyExists)
    assert.equal((err as { status?: number }).status, 409)
    await rejectsWith(mfa().addFactor('admin', { id: 'f1', kind: 'totp', label: 'dup', secretCiphertext: 's' }), StoreErrorCodes.alreadyExists)
    const invalid = (e: unknown) => (e as { code?: string }).code === 'validation_error'
    await assert.rejects(mfa().addFactor('admin', { id: 'f4', kind: 'webauthn', label: 'no key', credentialId: 'c' }), invalid)
    await assert.rejects(mfa().addFactor('admin', { id: 'f4', kind: 'sms' as 'totp', label: 'x', secretCiphertext: 's' }), invalid)
    await assert.rejects(mfa().addFactor('admin', { id: 'f4', kind: 'totp', label: 'a\u0000b', secretCiphertext: 's' }), invalid)
    assert.equal((await mfa().listFactors('admin')).length, 2)
  })

  it('accepts a TOTP step only after the last one accepted', async () => {
    const at = clock.advance(30)
    assert.equal(await mfa().useTotpStep('admin', 'f1', 100, at), true)
    assert.equal(await mfa().useTotpStep('admin', 'f1', 100, at), false)
    assert.equal(await mfa().useTotpStep('admin', 'f1', 99, at), false)
    // Many replicas racing for one step: one wins.
    const raced = await Promise.all(Array.from({ length: 5 }, () => mfa().useTotpStep('ADMIN', 'f1', 101, at)))
    assert.equal(raced.filter(Boolean).length, 1)
    const factor = (await mfa().listFactors('admin')).find((f) => f.id === 'f1')
    assert.deepEqual({ lastStep: factor?.lastStep, lastUsedAt: factor?.lastUsedAt }, { lastStep: 101, lastUsedAt: at })
    assert.equal(await mfa().useTotpStep('admin', 'f2', 200, at), false, 'not a TOTP factor')
  })

  it('accepts a passkey counter that grows, or stays 0 for authenticators without one', async () => {
    const at = clock.advance(1)
    assert.equal(await mfa().useWebauthn('admin', 'f2', 3, at), false)
    assert.equal(await mfa().useWebauthn('admin', 'f2', 4, at), true)
    assert.equal((await mfa().listFactors('admin')).find((f) => f.id === 'f2')?.counter, 4)
    await mfa().addFactor('admin', { id: 'f5', kind: 'webauthn', label: 'synced', credentialId: 'cred-2', publicKey: 'pk' })
    assert.equal(await mfa().useWebauthn('admin', 'f5', 0, at), true)
    assert.equal(await mfa().useWebauthn('admin', 'f5', 0, at), true)
    assert.equal(await mfa().useWebauthn('admin', 'f1', 9, at), false, 'not a passkey')
  })

  it('consumes a recovery code exactly once, also under a race, and replaces the set', async () => {
    const raced = await Promise.all(Array.from({ length: 5 }, () => mfa().consumeRecoveryCode('admin', 'hash-a')))
    assert.equal(raced.filter(Boolean).length, 1)
    assert.equal(await mfa().consumeRecoveryCode('admin', 'hash-zzz'), false)
    assert.equal(await mfa().countRecoveryCodes('admin'), 1)
    assert.equal(await mfa().replaceRecoveryCodes('admin', ['n1', 'n2', 'n3']), true)
    assert.equal(await mfa().consumeRecoveryCode('admin', 'hash-b'), false, 'the old set is gone')
    assert.equal(await mfa().countRecoveryCodes('admin'), 3)
    assert.equal(await mfa().replaceRecoveryCodes('nobody', ['n1']), false)
  })

  it('removes factors one by one; the recovery codes go with the last', async () => {
    assert.equal(await mfa().removeFactor('admin', 'f5'), true)
    assert.equal(await mfa().removeFactor('admin', 'f5'), false)
    assert.equal(await mfa().removeFactor('admin', 'f2'), true)
    assert.equal(await mfa().countRecoveryCodes('admin'), 3)
    assert.equal(await mfa().removeFactor('admin', 'f1'), true)
    assert.equal(await mfa().countRecoveryCodes('admin'), 0)
  })

  it('resets an account, and deleting the account deletes its factors', async () => {
    await mfa().addFactor('admin', { id: 'g1', kind: 'totp', label: 'a', secretCiphertext: 's' }, ['x1', 'x2'])
    await mfa().addFactor('admin', { id: 'g2', kind: 'webauthn', label: 'b', credentialId: 'cred-3', publicKey: 'pk' })
    assert.deepEqual(await mfa().reset('Admin'), { factors: 2, recoveryCodes: 2 })
    assert.deepEqual(await mfa().reset('admin'), { factors: 0, recoveryCodes: 0 })
    await h.store.localAccounts.create({ username: 'gone', passwordHash: 'h' })
    await mfa().addFactor('gone', { id: 'g3', kind: 'webauthn', label: 'c', credentialId: 'cred-4', publicKey: 'pk' }, ['y1'])
    assert.equal(await h.store.localAccounts.delete('gone'), true)
    await h.store.localAccounts.create({ username: 'gone', passwordHash: 'h' })
    assert.deepEqual(await mfa().listFactors('gone'), [])
    assert.equal(await mfa().countRecoveryCodes('gone'), 0)
    // The credential id is free again.
    assert.ok(await mfa().addFactor('gone', { id: 'g4', kind: 'webauthn', label: 'c', credentialId: 'cred-4', publicKey: 'pk' }))
  })
}
