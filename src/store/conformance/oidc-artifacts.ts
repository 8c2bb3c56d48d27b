// oidc-provider artefacts: upsert/find round trips, expiry by the store's clock, consumed flag,
// sessions sharing a uid, device user codes, grant revocation per model.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { JsonObject } from '../types.ts'
import { ManualClock, rejectsWith, useFixture, type StoreFactory } from './harness.ts'

/** A payload shaped like oidc-provider's (nested objects, arrays, numbers, a key with '#'). */
export function codePayload(jti: string, extra: JsonObject = {}): JsonObject {
  return {
    accountId: 'acct-1', clientId: 'app', codeChallenge: 'abc', codeChallengeMethod: 'S256', exp: 1_900_000_600,
    grantId: 'grant-1', iat: 1_900_000_000, jti, kind: 'AuthorizationCode', nonce: 'n-0S6_WzA2Mj',
    redirectUri: 'https://app.example/cb', resource: ['https://api.example'], scope: 'openid email',
    'x5t#S256': 'hash', extra: { nested: { list: [1, 'two', null, true] } }, ...extra,
  }
}

export function oidcArtifactsCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock })

  it('upserts a payload and finds it unchanged, per model', async () => {
    const payload = codePayload('code-1')
    await h.store.oidc.upsert('AuthorizationCode', 'code-1', payload, 600, { grantId: 'grant-1' })
    assert.deepEqual(await h.store.oidc.find('AuthorizationCode', 'code-1'), payload)
    assert.equal(await h.store.oidc.find('AccessToken', 'code-1'), undefined, 'models do not share ids')
    assert.equal(await h.store.oidc.find('AuthorizationCode', 'code-unknown'), undefined)
  })

  it('upsert replaces payload, expiry and refs of an existing row', async () => {
    await h.store.oidc.upsert('Interaction', 'int-1', { kind: 'Interaction', step: 1 }, 60, { uid: 'u-int-old' })
    await h.store.oidc.upsert('Interaction', 'int-1', { kind: 'Interaction', step: 2, result: { login: { accountId: 'a' } } }, 3600)
    assert.deepEqual(await h.store.oidc.find('Interaction', 'int-1'), { kind: 'Interaction', step: 2, result: { login: { accountId: 'a' } } })
    assert.equal(await h.store.oidc.findByUid('Interaction', 'u-int-old'), undefined, 'refs are replaced too')
    clock.advance(120)
    assert.ok(await h.store.oidc.find('Interaction', 'int-1'), 'the new expiry applies')
  })

  it('hides expired rows from every read and from consume', async () => {
    await h.store.oidc.upsert('AuthorizationCode', 'code-exp', codePayload('code-exp'), 60, { uid: 'u-exp', grantId: 'g-exp' })
    await h.store.oidc.upsert('DeviceCode', 'dev-exp', { kind: 'DeviceCode' }, 60, { userCode: 'EXP-CODE' })
    clock.advance(59)
    assert.ok(await h.store.oidc.find('AuthorizationCode', 'code-exp'))
    clock.advance(1)
    assert.equal(await h.store.oidc.find('AuthorizationCode', 'code-exp'), undefined)
    assert.equal(await h.store.oidc.findByUid('AuthorizationCode', 'u-exp'), undefined)
    assert.equal(await h.store.oidc.findByUserCode('DeviceCode', 'EXP-CODE'), undefined)
    assert.equal(await h.store.oidc.consume('AuthorizationCode', 'code-exp'), false)
  })

  it('keeps rows without expiry (dynamic clients) forever', async () => {
    await h.store.oidc.upsert('Client', 'client-forever', { client_id: 'client-forever' }, undefined)
    clock.advance(10 * 365 * 24 * 3600)
    assert.deepEqual(await h.store.oidc.find('Client', 'client-forever'), { client_id: 'client-forever' })
  })

  it('consume succeeds once; find then carries consumed in epoch seconds', async () => {
    const payload = codePayload('code-c')
    await h.store.oidc.upsert('AuthorizationCode', 'code-c', payload, 600)
    clock.advance(1.5)
    const consumedAt = clock.now()
    assert.equal(await h.store.oidc.consume('AuthorizationCode', 'code-c'), true)
    assert.equal(await h.store.oidc.consume('AuthorizationCode', 'code-c'), false)
    assert.deepEqual(await h.store.oidc.find('AuthorizationCode', 'code-c'), { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) })
    assert.equal(await h.store.oidc.consume('AuthorizationCode', 'code-never-written'), false)
  })

  it('upsert keeps the consumed state', async () => {
    await h.store.oidc.upsert('RefreshToken', 'rt-keep', { kind: 'RefreshToken', rotations: 0 }, 600)
    assert.equal(await h.store.oidc.consume('RefreshToken', 'rt-keep'), true)
    await h.store.oidc.upsert('RefreshToken', 'rt-keep', { kind: 'RefreshToken', rotations: 1 }, 600)
    const found = await h.store.oidc.find('RefreshToken', 'rt-keep')
    assert.equal(found?.rotations, 1)
    assert.equal(typeof found?.consumed, 'number')
    assert.equal(await h.store.oidc.consume('RefreshToken', 'rt-keep'), false)
  })

  it('findByUid returns the newest live row when several share a uid', async () => {
    await h.store.oidc.upsert('Session', 'sess-old', { jti: 'sess-old' }, 3600, { uid: 'uid-shared' })
    clock.advance(1)
    await h.store.oidc.upsert('Session', 'sess-new', { jti: 'sess-new' }, 3600, { uid: 'uid-shared' })
    assert.deepEqual(await h.store.oidc.findByUid('Session', 'uid-shared'), { jti: 'sess-new' })
    // Written in the same millisecond: the later write still wins.
    await h.store.oidc.upsert('Session', 'sess-tie-1', { jti: 'sess-tie-1' }, 3600, { uid: 'uid-tie' })
    await h.store.oidc.upsert('Session', 'sess-tie-2', { jti: 'sess-tie-2' }, 3600, { uid: 'uid-tie' })
    assert.deepEqual(await h.store.oidc.findByUid('Session', 'uid-tie'), { jti: 'sess-tie-2' })
    await h.store.oidc.destroy('Session', 'sess-new')
    assert.deepEqual(await h.store.oidc.findByUid('Session', 'uid-shared'), { jti: 'sess-old' })
    assert.equal(await h.store.oidc.findByUid('Grant', 'uid-shared'), undefined)
    assert.equal(await h.store.oidc.findByUid('Session', 'uid-nobody'), undefined)
  })

  it('findByUid skips an expired newer row', async () => {
    await h.store.oidc.upsert('Session', 'sess-long', { jti: 'sess-long' }, 3600, { uid: 'uid-mixed' })
    clock.advance(1)
    await h.store.oidc.upsert('Session', 'sess-short', { jti: 'sess-short' }, 10, { uid: 'uid-mixed' })
    assert.deepEqual(await h.store.oidc.findByUid('Session', 'uid-mixed'), { jti: 'sess-short' })
    clock.advance(10)
    assert.deepEqual(await h.store.oidc.findByUid('Session', 'uid-mixed'), { jti: 'sess-long' })
  })

  it('finds device codes by user code, refusing a live duplicate and reusing an expired one', async () => {
    await h.store.oidc.upsert('DeviceCode', 'dev-1', { kind: 'DeviceCode', n: 1 }, 300, { userCode: 'ABCD-EFGH' })
    assert.deepEqual(await h.store.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), { kind: 'DeviceCode', n: 1 })
    assert.equal(await h.store.oidc.findByUserCode('DeviceCode', 'ZZZZ-ZZZZ'), undefined)
    await rejectsWith(
      h.store.oidc.upsert('DeviceCode', 'dev-2', { kind: 'DeviceCode', n: 2 }, 300, { userCode: 'ABCD-EFGH' }),
      StoreErrorCodes.writeConflict,
    )
    // Re-saving the same row under its own user code is an ordinary update.
    await h.store.oidc.upsert('DeviceCode', 'dev-1', { kind: 'DeviceCode', n: 3 }, 300, { userCode: 'ABCD-EFGH' })
    clock.advance(300)
    await h.store.oidc.upsert('DeviceCode', 'dev-2', { kind: 'DeviceCode', n: 2 }, 300, { userCode: 'ABCD-EFGH' })
    assert.deepEqual(await h.store.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), { kind: 'DeviceCode', n: 2 })
  })

  it("revokeByGrantId removes only that grant's rows of that model", async () => {
    const put = (model: string, id: string, grantId: string) => h.store.oidc.upsert(model, id, { jti: id, grantId }, 600, { grantId })
    await put('AccessToken', 'at-g1-a', 'g1')
    await put('AccessToken', 'at-g1-b', 'g1')
    await put('AccessToken', 'at-g2', 'g2')
    await put('RefreshToken', 'rt-g1', 'g1')
    assert.equal(await h.store.oidc.revokeByGrantId('AccessToken', 'g1'), 2)
    assert.equal(await h.store.oidc.find('AccessToken', 'at-g1-a'), undefined)
    assert.equal(await h.store.oidc.find('AccessToken', 'at-g1-b'), undefined)
    assert.ok(await h.store.oidc.find('AccessToken', 'at-g2'), 'another grant is untouched')
    assert.ok(await h.store.oidc.find('RefreshToken', 'rt-g1'), 'another model of the grant is untouched')
    assert.equal(await h.store.oidc.revokeByGrantId('AccessToken', 'g1'), 0)
  })

  it('lists the live rows of one subject and model, newest first', async () => {
    await h.store.oidc.upsert('Session', 's-old', { accountId: 'local:ann', n: 1 }, 600, { uid: 'u-s-old', subject: 'local:ann' })
    clock.advance(1)
    await h.store.oidc.upsert('Session', 's-new', { accountId: 'local:ann', n: 2 }, 60, { uid: 'u-s-new', subject: 'local:ann' })
    await h.store.oidc.upsert('Session', 's-bob', { accountId: 'local:bob' }, 600, { subject: 'local:bob' })
    await h.store.oidc.upsert('Grant', 'g-ann', { accountId: 'local:ann' }, 600, { subject: 'local:ann' })
    const rows = await h.store.oidc.listBySubject('Session', 'local:ann')
    assert.deepEqual(rows.map((r) => r.id), ['s-new', 's-old'])
    assert.deepEqual(rows[0]!.payload, { accountId: 'local:ann', n: 2 })
    assert.ok(rows[0]!.expiresAt instanceof Date && rows[0]!.expiresAt.getTime() > clock.now().getTime())
    assert.deepEqual((await h.store.oidc.listBySubject('Session', 'local:ann', 1)).map((r) => r.id), ['s-new'])
    clock.advance(120)
    assert.deepEqual((await h.store.oidc.listBySubject('Session', 'local:ann')).map((r) => r.id), ['s-old'], 'expired rows are not listed')
    await h.store.oidc.upsert('Session', 's-old', { accountId: 'local:ann', n: 3 }, 600)
    assert.deepEqual(await h.store.oidc.listBySubject('Session', 'local:ann'), [], 'an upsert without the subject unlists the row')
    assert.deepEqual(await h.store.oidc.listBySubject('Session', 'local:nobody'), [])
  })

  it('destroy removes one row and ignores a missing one', async () => {
    await h.store.oidc.upsert('Session', 'sess-d1', { jti: 'sess-d1' }, 600)
    await h.store.oidc.upsert('Session', 'sess-d2', { jti: 'sess-d2' }, 600)
    await h.store.oidc.destroy('Session', 'sess-d1')
    await h.store.oidc.destroy('Session', 'sess-d1')
    assert.equal(await h.store.oidc.find('Session', 'sess-d1'), undefined)
    assert.ok(await h.store.oidc.find('Session', 'sess-d2'))
  })
}
