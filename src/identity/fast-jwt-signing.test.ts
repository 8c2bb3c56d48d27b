import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose'
import type { ResourceServer } from 'oidc-provider'
import { createLearnedSigners, newTokenId, signingConfigKey, signWith } from './fast-jwt-signing.ts'
import { NodeSigningKey } from './node-signing-key.ts'

async function es256(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const info = (jwt: unknown) => ({ scope: '', accessTokenFormat: 'jwt', jwt }) as unknown as ResourceServer

/** A token as the provider's JWT format signs it: the header is its own, in its order. */
async function providerToken(key: NodeSigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${(await key.sign(Buffer.from(input))).toString('base64url')}`
}

describe('JWT signing learned from the provider', () => {
  it('takes only the plain signing configurations', () => {
    assert.equal(signingConfigKey(info({ sign: { alg: 'ES256' } })), 'ES256\n')
    assert.equal(signingConfigKey(info({ sign: { alg: 'ES256', kid: 'k2' } })), 'ES256\nk2')
    assert.equal(signingConfigKey(info(undefined)), undefined, 'the client default algorithm')
    assert.equal(signingConfigKey(info({ sign: {} })), undefined)
    assert.equal(signingConfigKey(info({ sign: { alg: 'HS256', key: 'secret' } })), undefined)
    assert.equal(signingConfigKey(info({ sign: { alg: 'ES256', key: {} } })), undefined)
    assert.equal(signingConfigKey(info({ sign: { alg: 'ES256' }, encrypt: { alg: 'dir', enc: 'A128GCM' } })), undefined)
  })

  it('learns the header and the key that signed, and signs the same way', async () => {
    const jwks = [await es256('k1'), await es256('k2')]
    const keys = jwks.map((jwk) => new NodeSigningKey(jwk))
    const signers = createLearnedSigners(keys)
    const config = 'ES256\n'
    assert.equal(signers.get(config), undefined)
    const first = await providerToken(keys[1], { alg: 'ES256', typ: 'at+jwt', kid: 'k2' }, { jti: 'a' })
    signers.learn(config, first)
    const signer = signers.get(config)!
    assert.equal(signer.key, keys[1])
    assert.equal(signer.header, first.split('.')[0])
    const token = signWith(signer, { jti: newTokenId(), iss: 'https://id.example.test', aud: 'https://api.example.test' })
    const publicKeys = createLocalJWKSet({ keys: jwks.map(({ d: _, ...pub }) => pub) })
    const { payload, protectedHeader } = await jwtVerify(token, publicKeys, { issuer: 'https://id.example.test', typ: 'at+jwt' })
    assert.deepEqual(protectedHeader, { alg: 'ES256', typ: 'at+jwt', kid: 'k2' })
    assert.match(String(payload.jti), /^[A-Za-z0-9_-]{43}$/)
  })

  it('learns nothing from a header it would not write the same, or a signature no key of its own made', async () => {
    const jwk = await es256('k1')
    const key = new NodeSigningKey(jwk)
    const config = 'ES256\n'
    for (const header of [{ typ: 'at+jwt', alg: 'ES256', kid: 'k1' }, { alg: 'ES256', typ: 'at+jwt', kid: 'k1', cty: 'x' }, { alg: 'ES256', typ: 'JWT', kid: 'k1' }]) {
      const signers = createLearnedSigners([key])
      signers.learn(config, await providerToken(key, header, {}))
      assert.equal(signers.get(config), undefined, JSON.stringify(header))
    }
    const other = new NodeSigningKey(await es256('k1'))
    const signers = createLearnedSigners([key])
    signers.learn(config, await providerToken(other, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, {}))
    assert.equal(signers.get(config), undefined, 'signed by another key with the same kid')
    signers.learn('ES256\nk9', await providerToken(key, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, {}))
    assert.equal(signers.get('ES256\nk9'), undefined, 'not the kid the configuration names')
  })
})
