import assert from 'node:assert/strict'
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, it } from 'node:test'
import { compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose'
import { derToJose, NodeSigningKey, nodeSignable } from './node-signing-key.ts'

describe('node:crypto signing keys', () => {
  it('converts DER ECDSA signatures to JOSE r‖s, short and padded components included', () => {
    for (const [curve, size] of [['P-256', 32], ['P-384', 48], ['P-521', 66]] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve })
      // Enough signatures that some r or s have leading zero bytes (about 1 in 128 each).
      for (let i = 0; i < 400; i++) {
        const data = Buffer.from(`message ${i}`)
        const jose = derToJose(sign('sha256', data, privateKey), size)
        assert.equal(jose.length, size * 2)
        assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose), `${curve} #${i}`)
      }
    }
  })

  it('signs JWSs that jose verifies with the published key, for ES256 and RS256', async () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
      const jwk = { ...(await exportJWK(privateKey)), kid: `k-${alg}`, alg, use: 'sig' }
      assert.ok(nodeSignable(jwk))
      const key = new NodeSigningKey(jwk)
      assert.equal(key.kid, `k-${alg}`)
      assert.equal(key.alg, alg)
      const published = key.keyObject().export({ format: 'jwk' })
      assert.deepEqual(published, await exportJWK(publicKey))
      const header = Buffer.from(JSON.stringify({ alg, kid: key.kid })).toString('base64url')
      const payload = Buffer.from('{"sub":"x"}').toString('base64url')
      const signature = Buffer.from(await key.sign(Buffer.from(`${header}.${payload}`))).toString('base64url')
      const { payload: verified } = await compactVerify(`${header}.${payload}.${signature}`, await importJWK({ ...published, alg }, alg))
      assert.equal(Buffer.from(verified).toString(), '{"sub":"x"}')
    }
  })

  it('leaves keys it cannot sign with to jose', () => {
    assert.equal(nodeSignable({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k', alg: 'ES256' }), false, 'public only')
    assert.equal(nodeSignable({ kty: 'RSA', n: 'n', e: 'AQAB', d: 'd', kid: 'k', alg: 'PS256' }), false)
  })
})
