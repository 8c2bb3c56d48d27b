import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isAppError, type Clock } from '../../lib/index.ts'
import type { Store } from '../../store/index.ts'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import { createMfaService, MfaErrorCodes, type MfaService } from './service.ts'
import { totpCode } from './totp.ts'

const SECRET_KEY = 'unit-test-secret-key-0123456789abcdefghij'
const code = (expected: string, status?: number) => (err: unknown) => isAppError(err) && err.code === expected && (status === undefined || err.status === status)

describe('second factors of local accounts', () => {
  let store: Store
  let t = Date.parse('2030-01-01T00:00:00Z')
  const clock: Clock = { now: () => new Date(t) }
  let mfa: MfaService
  let secret = ''

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    await store.localAccounts.create({ username: 'Admin', passwordHash: 'h' })
    mfa = createMfaService({
      repo: store.localMfa, pending: store.oidc, attempts: store.localAccounts, secretKey: SECRET_KEY, issuer: 'https://id.example.com', clock,
      throttle: { maxAttempts: 4, windowSeconds: 60, sleep: async () => {} },
    })
  })
  after(() => store.close())

  it('enrols TOTP only after one right code, and hands out ten recovery codes once', async () => {
    const started = await mfa.beginTotp('admin')
    assert.match(started.uri, /^otpauth:\/\/totp\/Gatehouse%20\(id\.example\.com\):admin\?secret=/)
    assert.equal(await mfa.enrolled('admin'), false)
    await assert.rejects(mfa.confirmTotp('admin', started.ref, '000000', ''), code(MfaErrorCodes.invalidFactor, 401))
    // The same enrolment is still there to try again; another account cannot finish it.
    assert.equal((await mfa.pendingTotp('ADMIN', started.ref)).secret, started.secret)
    await assert.rejects(mfa.pendingTotp('someone', started.ref), code(MfaErrorCodes.enrolmentExpired, 400))
    const done = await mfa.confirmTotp('admin', started.ref, await totpCode(started.secret, clock.now()), ' Phone ')
    assert.equal(done.factor.label, 'Phone')
    assert.equal(done.recoveryCodes?.length, 10)
    assert.equal(await mfa.enrolled('Admin'), true)
    await assert.rejects(mfa.confirmTotp('admin', started.ref, await totpCode(started.secret, clock.now()), ''), code(MfaErrorCodes.enrolmentExpired))
    secret = started.secret
    // Encrypted at rest.
    const [stored] = await store.localMfa.listFactors('admin')
    assert.ok(stored!.secretCiphertext && !stored!.secretCiphertext.includes(secret))
    // A second factor brings no new codes: the first set stays valid.
    const second = await mfa.beginTotp('admin')
    assert.equal((await mfa.confirmTotp('admin', second.ref, await totpCode(second.secret, clock.now()), 'Tablet')).recoveryCodes, undefined)
    await mfa.remove('admin', (await mfa.factors('admin')).find((f) => f.label === 'Tablet')!.id)
    recovery = done.recoveryCodes!
  })
  let recovery: string[] = []

  it('the code that proved the enrolment cannot sign in; the next one can, once', async () => {
    await assert.rejects(mfa.verify('admin', { code: await totpCode(secret, clock.now()) }), code(MfaErrorCodes.invalidFactor, 401))
    t += 30_000
    const next = await totpCode(secret, clock.now())
    assert.equal(await mfa.verify('admin', { code: next }, { address: '192.0.2.1' }), 'otp')
    await assert.rejects(mfa.verify('admin', { code: next }, { address: '192.0.2.1' }), code(MfaErrorCodes.invalidFactor))
  })

  it('a recovery code signs in once, typed any way', async () => {
    assert.equal(await mfa.verify('admin', { code: recovery[0]!.toLowerCase() }), 'mfa')
    await assert.rejects(mfa.verify('admin', { code: recovery[0] }), code(MfaErrorCodes.invalidFactor))
    assert.equal(await mfa.recoveryCodesLeft('admin'), 9)
    const fresh = await mfa.regenerateRecoveryCodes('admin')
    await assert.rejects(mfa.verify('admin', { code: recovery[1] }), code(MfaErrorCodes.invalidFactor))
    assert.equal(await mfa.verify('admin', { code: fresh[3] }), 'mfa')
  })

  it('throttles wrong answers per address like passwords: 429 from another address is not caused', async () => {
    t += 120_000
    for (let i = 0; i < 4; i++) await assert.rejects(mfa.verify('admin', { code: '000000' }, { address: '198.51.100.7' }), code(MfaErrorCodes.invalidFactor))
    const right = await totpCode(secret, clock.now())
    await assert.rejects(mfa.verify('admin', { code: right }, { address: '198.51.100.7' }), code(MfaErrorCodes.rateLimited, 429))
    assert.equal(await mfa.verify('admin', { code: right }, { address: '192.0.2.1' }), 'otp')
  })

  it('refuses junk answers, labels and unknown factors with 4xx', async () => {
    t += 120_000
    const junk = [{}, { code: 42 }, { code: 'x'.repeat(5000) }, { credential: '{' }, { credential: '{"id":"a","rawId":"a","type":"public-key","response":{}}', challenge: 'nope' }]
    for (const [i, answer] of junk.entries()) {
      await assert.rejects(mfa.verify('admin', answer, { address: `203.0.113.${i}` }), code(MfaErrorCodes.invalidFactor, 401))
    }
    await assert.rejects(mfa.beginTotp('admin').then((s) => mfa.confirmTotp('admin', s.ref, '123456', 'x'.repeat(65))), code('validation_error', 400))
    await assert.rejects(mfa.confirmTotp('admin', 'not-a-ref', '123456', ''), code(MfaErrorCodes.enrolmentExpired, 400))
    await assert.rejects(mfa.remove('admin', 'nope'), code(MfaErrorCodes.unknownFactor, 404))
    await assert.rejects(mfa.finishPasskey('admin', 'not-a-ref', '{}', ''), code(MfaErrorCodes.enrolmentExpired, 400))
    const passkey = await mfa.beginPasskey('admin')
    assert.equal(passkey.options.rp.id, 'id.example.com')
    assert.equal(passkey.options.authenticatorSelection?.userVerification, 'required')
    await assert.rejects(mfa.finishPasskey('admin', passkey.ref, '{"id":1}', ''), code(MfaErrorCodes.invalidFactor, 400))
    assert.equal(await mfa.assertionOptions('admin'), undefined, 'no passkey enrolled')
  })

  it('an operator reset removes every factor and code', async () => {
    assert.deepEqual(await mfa.reset('ADMIN'), { factors: 1, recoveryCodes: 9 })
    assert.equal(await mfa.enrolled('admin'), false)
    await assert.rejects(mfa.regenerateRecoveryCodes('admin'), code('validation_error', 400))
  })
})
