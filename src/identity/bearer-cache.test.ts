import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import type { FindAccount } from 'oidc-provider'
import type { OidcArtifactsRepo } from '../store/index.ts'
import { createBearerCache } from './bearer-cache.ts'
import { REVOKED_JWT_MODEL } from './jwt-access-tokens.ts'
import { createSignedInResolver } from './signed-in.ts'

const ISSUER = 'https://id.example.test'
const APPS = 'https://apps.example.test'
const T0 = 1_900_000_000_000

describe('bearer cache', () => {
  it('holds at most `limit` answers and `limit` misses, oldest out first', async () => {
    const calls: string[] = []
    const cache = createBearerCache({ limit: 3, recheckMs: 60_000, now: () => T0 }, async (token) => {
      calls.push(token)
      return { value: token.startsWith('good') ? token : undefined, expiresAt: T0 + 3_600_000 }
    })
    for (let i = 0; i < 10; i++) await cache.get(`good-${i}`, APPS)
    for (let i = 0; i < 10; i++) await cache.get(`bad-${i}`, APPS)
    assert.equal(cache.size, 6)
    calls.length = 0
    assert.equal(await cache.get('good-9', APPS), 'good-9')
    assert.equal(await cache.get('good-0', APPS), 'good-0')
    assert.deepEqual(calls, ['good-0'], 'the newest entry is held, the oldest was dropped')
  })

  it('resolves one token once however many ask at the same time', async () => {
    let calls = 0
    const cache = createBearerCache({ limit: 10, recheckMs: 60_000, now: () => T0 }, async (token) => {
      calls++
      await new Promise((r) => setTimeout(r, 5))
      return { value: token, expiresAt: T0 + 60_000 }
    })
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.get('t', APPS)))
    assert.ok(answers.every((a) => a === 't'))
    assert.equal(calls, 1)
  })
})

/** A resolver over one ES256 key, an in-memory artefact table and a table of accounts. */
async function resolverWorld(recheckMs = 2_000) {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const revoked = new Map<string, object>()
  const accounts = new Set(['alice'])
  let now = T0
  let storeReads = 0
  const repo = {
    async find(model: string, id: string) {
      storeReads++
      return model === REVOKED_JWT_MODEL ? revoked.get(id) as never : undefined
    },
  } as unknown as OidcArtifactsRepo
  const findAccount = (async (_ctx: unknown, sub: string) => accounts.has(sub)
    ? { accountId: sub, claims: async () => ({ sub, preferred_username: sub, groups: ['eng'] }) }
    : undefined) as unknown as FindAccount
  const signedIn = createSignedInResolver({
    issuer: ISSUER, provider: () => { throw new Error('not used') }, publicJwks: async () => ({ keys: [jwk] }),
    findAccount, repo, bearerRecheckMs: recheckMs, now: () => now,
  })
  let serial = 0
  const token = (claims: { sub?: string; lifetime?: number } = {}) => {
    const iat = Math.floor(now / 1000)
    return new SignJWT({ client_id: 'robot', ...(claims.sub ? { sub: claims.sub } : { sub: 'robot' }) })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(ISSUER).setAudience(APPS).setJti(`jti-${++serial}`).setIssuedAt(iat).setExpirationTime(iat + (claims.lifetime ?? 600))
      .sign(privateKey)
  }
  return {
    signedIn, token, revoked, accounts,
    advance: (ms: number) => { now += ms },
    reads: () => storeReads,
  }
}

describe('forward-auth bearer tokens, cached', () => {
  it('answers repeated presentations from memory, and stops a revoked token within the recheck bound', async () => {
    const w = await resolverWorld(2_000)
    const token = await w.token()
    assert.equal((await w.signedIn.bearer(token, [APPS]))?.subject, 'service:robot')
    const reads = w.reads()
    for (let i = 0; i < 50; i++) assert.equal((await w.signedIn.bearer(token, [APPS]))?.subject, 'service:robot')
    assert.equal(w.reads(), reads, 'cached presentations read nothing from the store')

    w.revoked.set('jti-1', { clientId: 'robot' })
    w.advance(1_999)
    assert.ok(await w.signedIn.bearer(token, [APPS]), 'still within the bound')
    w.advance(1)
    assert.equal(await w.signedIn.bearer(token, [APPS]), undefined, 'revoked once the bound has passed')
  })

  it('stops a cached token when it expires, however recently it was checked', async () => {
    const w = await resolverWorld(60 * 60_000)
    const token = await w.token({ lifetime: 30 })
    assert.ok(await w.signedIn.bearer(token, [APPS]))
    w.advance(29_000)
    assert.ok(await w.signedIn.bearer(token, [APPS]))
    w.advance(1_000)
    assert.equal(await w.signedIn.bearer(token, [APPS]), undefined)
  })

  it('stops a cached user token once the account is gone', async () => {
    const w = await resolverWorld(2_000)
    const token = await w.token({ sub: 'alice' })
    assert.equal((await w.signedIn.bearer(token, [APPS]))?.username, 'alice')
    w.accounts.delete('alice')
    w.advance(2_000)
    assert.equal(await w.signedIn.bearer(token, [APPS]), undefined)
  })

  it('keeps the audience rule: a token cached for one audience list does not pass another', async () => {
    const w = await resolverWorld(2_000)
    const token = await w.token()
    assert.ok(await w.signedIn.bearer(token, [APPS]))
    assert.equal(await w.signedIn.bearer(token, ['https://other.example.test']), undefined)
  })
})
