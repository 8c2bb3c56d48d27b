import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCachedSecretVerifier } from './secret-cache.ts'
import { hashSecret, verifySecret, type ScryptParams } from './secrets.ts'

const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1, saltBytes: 16, keyBytes: 32 }

/** Counts how often the real scrypt check runs behind the cache. */
function counting() {
  const calls: string[] = []
  const verify = async (secret: string, stored: string) => {
    calls.push(secret)
    return verifySecret(secret, stored)
  }
  return { calls, verify }
}

describe('cached client secret verification', () => {
  it('verifies a repeated correct secret with scrypt only once', async () => {
    const stored = await hashSecret('client-secret-1', FAST)
    const slow = counting()
    const verify = createCachedSecretVerifier({ verify: slow.verify })
    assert.equal(await verify('client-secret-1', stored), true)
    assert.equal(await verify('client-secret-1', stored), true)
    assert.equal(await verify('client-secret-1', stored), true)
    assert.deepEqual(slow.calls, ['client-secret-1'])
  })

  it('refuses a wrong secret after a cached success, through scrypt, and keeps the good entry', async () => {
    const stored = await hashSecret('client-secret-1', FAST)
    const slow = counting()
    const verify = createCachedSecretVerifier({ verify: slow.verify })
    assert.equal(await verify('client-secret-1', stored), true)
    assert.equal(await verify('client-secret-2', stored), false)
    assert.equal(await verify('', stored), false)
    assert.deepEqual(slow.calls, ['client-secret-1', 'client-secret-2', ''])
    assert.equal(await verify('client-secret-1', stored), true)
    assert.equal(slow.calls.length, 3)
  })

  it('never lets a cached secret match a rotated hash', async () => {
    const before = await hashSecret('old-secret', FAST)
    const verify = createCachedSecretVerifier()
    assert.equal(await verify('old-secret', before), true)
    const after = await hashSecret('new-secret', FAST)
    assert.equal(await verify('old-secret', after), false)
    assert.equal(await verify('new-secret', after), true)
    // The same secret re-hashed (new salt) is a new key: it is verified again, not assumed.
    const slow = counting()
    const verify2 = createCachedSecretVerifier({ verify: slow.verify })
    await verify2('new-secret', after)
    await verify2('new-secret', await hashSecret('new-secret', FAST))
    assert.equal(slow.calls.length, 2)
  })

  it('forgets the least recently used entry beyond its cap', async () => {
    const a = await hashSecret('a-secret', FAST)
    const b = await hashSecret('b-secret', FAST)
    const c = await hashSecret('c-secret', FAST)
    const slow = counting()
    const verify = createCachedSecretVerifier({ maxEntries: 2, verify: slow.verify })
    await verify('a-secret', a)
    await verify('b-secret', b)
    await verify('a-secret', a) // a is now the most recently used
    await verify('c-secret', c) // evicts b
    assert.equal(slow.calls.length, 3)
    await verify('a-secret', a)
    assert.equal(slow.calls.length, 3)
    await verify('b-secret', b)
    assert.equal(slow.calls.length, 4)
  })
})
