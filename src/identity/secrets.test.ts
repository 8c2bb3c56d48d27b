import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isAppError } from '../lib/index.ts'
import {
  generateSecret, hashSecret, needsRehash, parseSecretHash, PASSWORD_PARAMS, verifySecret, type ScryptParams,
} from './secrets.ts'

const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1, saltBytes: 16, keyBytes: 32 }

describe('secrets', () => {
  it('hashes in the self-describing scrypt format with strong defaults', async () => {
    const stored = await hashSecret('correct horse battery staple')
    const parts = stored.split('$')
    assert.equal(parts.length, 6)
    assert.deepEqual(parts.slice(0, 4), ['scrypt', String(2 ** 17), '8', '1'])
    assert.match(parts[4], /^[A-Za-z0-9_-]{22}$/)
    assert.match(parts[5], /^[A-Za-z0-9_-]{43}$/)
    assert.equal(await verifySecret('correct horse battery staple', stored), true)
    assert.equal(needsRehash(stored), false)
  })

  it('verifies the right secret and refuses a wrong one', async () => {
    const stored = await hashSecret('s3cret', FAST)
    assert.equal(await verifySecret('s3cret', stored), true)
    assert.equal(await verifySecret('s3cret ', stored), false)
    assert.equal(await verifySecret('', stored), false)
  })

  it('salts every hash', async () => {
    const a = await hashSecret('same', FAST)
    const b = await hashSecret('same', FAST)
    assert.notEqual(a, b)
    assert.equal(await verifySecret('same', b), true)
  })

  it('treats canonically equal Unicode spellings as the same password', async () => {
    const stored = await hashSecret('caf\u00e9', FAST)
    assert.equal(await verifySecret('cafe\u0301', stored), true)
  })

  it('asks for a rehash when parameters changed', async () => {
    const stored = await hashSecret('pw', FAST)
    assert.equal(needsRehash(stored, FAST), false)
    assert.equal(needsRehash(stored, PASSWORD_PARAMS), true)
    assert.equal(needsRehash(stored, { ...FAST, r: 16 }), true)
    assert.equal(needsRehash('not-a-hash', FAST), true)
  })

  it('refuses malformed or abusive stored hashes with a typed error', async () => {
    const good = await hashSecret('pw', FAST)
    const salt = good.split('$')[4]
    const hash = good.split('$')[5]
    for (const bad of ['', 'bcrypt$x', `scrypt$1000$8$1$${salt}$${hash}`, `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, `scrypt$1024$8$1$${salt}$`]) {
      await assert.rejects(verifySecret('pw', bad), (err) => isAppError(err) && err.code === 'secret_hash_invalid')
    }
    assert.equal(parseSecretHash(good).params.N, 1024)
  })

  it('refuses weak parameters when hashing', async () => {
    await assert.rejects(hashSecret('pw', { ...FAST, N: 1000 }), (err) => isAppError(err) && err.code === 'validation_error')
  })

  it('generates random url-safe secrets', () => {
    const a = generateSecret()
    assert.match(a, /^[A-Za-z0-9_-]{43}$/)
    assert.notEqual(a, generateSecret())
    assert.throws(() => generateSecret(4))
  })
})
