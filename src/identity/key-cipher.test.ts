import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isAppError } from '../lib/index.ts'
import { createKeyCipher } from './key-cipher.ts'

const SECRET = 'a-configured-secret-of-at-least-32-characters'

describe('key cipher', () => {
  it('round-trips and never shows the plaintext', () => {
    const cipher = createKeyCipher(SECRET)
    const sealed = cipher.encrypt('{"d":"private"}', 'kid-1:ES256')
    assert.ok(!sealed.includes('private'))
    assert.notEqual(sealed, cipher.encrypt('{"d":"private"}', 'kid-1:ES256'))
    assert.equal(createKeyCipher(SECRET).decrypt(sealed, 'kid-1:ES256'), '{"d":"private"}')
  })

  it('refuses another secret, another key row, or an altered ciphertext with a typed error', () => {
    const sealed = createKeyCipher(SECRET).encrypt('payload', 'kid-1:ES256')
    const mismatch = (err: unknown) => isAppError(err) && err.code === 'signing_key_secret_mismatch'
    assert.throws(() => createKeyCipher(SECRET + 'x').decrypt(sealed, 'kid-1:ES256'), mismatch)
    assert.throws(() => createKeyCipher(SECRET).decrypt(sealed, 'kid-2:ES256'), mismatch)
    const parts = sealed.split('.')
    parts[3] = Buffer.from('tampered').toString('base64url')
    assert.throws(() => createKeyCipher(SECRET).decrypt(parts.join('.'), 'kid-1:ES256'), mismatch)
    assert.throws(() => createKeyCipher(SECRET).decrypt('plain-json', 'kid-1:ES256'),
      (err) => isAppError(err) && err.code === 'signing_key_ciphertext_invalid')
  })
})
