import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, jwtVerify, SignJWT, importJWK, decodeProtectedHeader } from 'jose'
import { isAppError, type Clock } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createSigningKeys } from './keys.ts'

const SECRET = 'k'.repeat(16) + 'an-encryption-secret-of-32+chars'

function movableClock(start = Date.parse('2030-01-01T00:00:00Z')): Clock & { advance(seconds: number): void } {
  let t = start
  return { now: () => new Date(t), advance: (s) => { t += s * 1000 } }
}

describe('signing keys', () => {
  let store: Store
  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
  })
  after(() => store.close())

  it('creates one active ES256 and one RS256 key on first start, and only once', async () => {
    const keys = createSigningKeys({ repo: store.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 3600 })
    await keys.ensureKeys()
    await keys.ensureKeys()
    const listed = await keys.list()
    assert.deepEqual(listed.map((k) => `${k.alg}:${k.status}`).sort(), ['ES256:active', 'RS256:active'])
  })

  it('settles on one key per algorithm when several processes start at once', async () => {
    const fresh = await openSqliteStore({ path: ':memory:' })
    await fresh.migrate()
    const starters = Array.from({ length: 4 }, () => createSigningKeys({ repo: fresh.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 60 }))
    await Promise.all(starters.map((k) => k.ensureKeys()))
    const active = (await fresh.signingKeys.list()).filter((k) => k.status === 'active')
    assert.deepEqual(active.map((k) => k.alg).sort(), ['ES256', 'RS256'])
    await fresh.close()
  })

  it('stores private keys encrypted and gives oidc-provider private JWKs, ES256 first', async () => {
    const keys = createSigningKeys({ repo: store.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 3600 })
    const raw = await store.signingKeys.list()
    for (const r of raw) {
      assert.ok(!r.privateJwkCiphertext.includes('"d"'))
      assert.equal('d' in r.publicJwk, false)
    }
    const { keys: jwks } = await keys.jwks()
    assert.equal(jwks[0].alg, 'ES256')
    assert.equal(jwks[0].kty, 'EC')
    assert.ok(jwks.every((k) => typeof k.d === 'string' && k.use === 'sig' && typeof k.kid === 'string'))
    const pub = await keys.publicJwks()
    assert.deepEqual(pub.keys.map((k) => k.kid), jwks.map((k) => k.kid))
    assert.ok(pub.keys.every((k) => k.d === undefined && k.p === undefined))
  })

  it('signs with a private JWK that verifies against the public set', async () => {
    const keys = createSigningKeys({ repo: store.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 3600 })
    for (const jwk of (await keys.jwks()).keys) {
      const token = await new SignJWT({ hello: 'world' }).setProtectedHeader({ alg: jwk.alg!, kid: jwk.kid }).sign(await importJWK(jwk))
      const { payload } = await jwtVerify(token, createLocalJWKSet(await keys.publicJwks()))
      assert.equal(payload.hello, 'world')
    }
  })

  it('refuses a wrong secret with a typed error instead of making new keys', async () => {
    const wrong = createSigningKeys({ repo: store.signingKeys, secret: 'x'.repeat(40), maxTokenLifetimeSeconds: 3600 })
    const before = (await store.signingKeys.list()).map((k) => k.kid).sort()
    await assert.rejects(wrong.ensureKeys(), (err) => isAppError(err) && err.code === 'signing_key_secret_mismatch' && err.status === 500)
    await assert.rejects(wrong.jwks(), (err) => isAppError(err) && err.code === 'signing_key_secret_mismatch')
    assert.deepEqual((await store.signingKeys.list()).map((k) => k.kid).sort(), before)
  })

  it('refuses a short secret', () => {
    assert.throws(() => createSigningKeys({ repo: store.signingKeys, secret: 'short', maxTokenLifetimeSeconds: 1 }),
      (err) => isAppError(err) && err.code === 'validation_error')
  })

  it('rotates: the new key signs, the old stays published until its tokens expire', async () => {
    const db = await openSqliteStore({ path: ':memory:' })
    await db.migrate()
    const clock = movableClock()
    const keys = createSigningKeys({ repo: db.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 600, clock })
    await keys.ensureKeys()
    const oldFirst = (await keys.jwks()).keys[0].kid
    clock.advance(1)
    const result = await keys.rotate()
    assert.equal(result.activated.length, 2)
    assert.equal(result.retired.length, 2)
    assert.ok(result.retired.includes(oldFirst!))
    assert.equal(result.publishedUntil.getTime(), clock.now().getTime() + 600_000)

    const after = (await keys.jwks()).keys
    assert.equal(after.length, 4)
    assert.equal(after[0].alg, 'ES256')
    assert.notEqual(after[0].kid, oldFirst)
    assert.ok(result.activated.includes(after[0].kid!))
    assert.ok(after.some((k) => k.kid === oldFirst))
    // The active key of each algorithm precedes that algorithm's retired keys.
    for (const alg of ['ES256', 'RS256']) assert.equal(after.find((k) => k.alg === alg)!.kid, result.activated.find((kid) => after.find((k) => k.kid === kid)!.alg === alg))

    clock.advance(601)
    assert.equal((await keys.publicJwks()).keys.length, 2)
    assert.equal(await keys.prune(), 2)
    assert.equal((await db.signingKeys.list()).length, 2)
    await db.close()
  })

  it('stages next keys that are published before they sign, then promotes them', async () => {
    const db = await openSqliteStore({ path: ':memory:' })
    await db.migrate()
    const keys = createSigningKeys({ repo: db.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 60 })
    await keys.ensureKeys()
    const signing = (await keys.jwks()).keys[0].kid
    const staged = await keys.stageNext()
    assert.equal(staged.length, 2)
    assert.deepEqual(await keys.stageNext(), [])
    const jwks = (await keys.jwks()).keys
    assert.equal(jwks[0].kid, signing)
    assert.ok(staged.every((kid) => jwks.some((k) => k.kid === kid)))
    const result = await keys.rotate()
    assert.deepEqual(result.activated.sort(), [...staged].sort())
    assert.ok(staged.includes((await keys.jwks()).keys[0].kid!))
    await db.close()
  })

  it('reports a concurrent rotation as a conflict and leaves exactly one active key per algorithm', async () => {
    const db = await openSqliteStore({ path: ':memory:' })
    await db.migrate()
    const a = createSigningKeys({ repo: db.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 60 })
    const b = createSigningKeys({ repo: db.signingKeys, secret: SECRET, maxTokenLifetimeSeconds: 60 })
    await a.ensureKeys()
    const results = await Promise.allSettled([a.rotate(), b.rotate()])
    const ok = results.filter((r) => r.status === 'fulfilled')
    assert.ok(ok.length >= 1)
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(isAppError(r.reason) && r.reason.code === 'signing_key_rotation_conflict')
    }
    const listed = await db.signingKeys.list()
    assert.deepEqual(listed.filter((k) => k.status === 'active').map((k) => k.alg).sort(), ['ES256', 'RS256'])
    assert.equal(listed.filter((k) => k.status === 'next').length, 0)
    const header = decodeProtectedHeader(await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK((await a.jwks()).keys[0])))
    assert.equal(header.alg, 'ES256')
    await db.close()
  })
})
