import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { createTrustedIssuers, type TrustedIssuers } from './trusted-issuers.ts'
import { externalSubject } from './upstream/federation.ts'

describe('trusted external issuers', () => {
  let server: Server
  let issuer: string
  let key: CryptoKey
  let otherKey: CryptoKey
  let trusted: TrustedIssuers

  before(async () => {
    const pair = await generateKeyPair('ES256')
    key = pair.privateKey
    ;({ privateKey: otherKey } = await generateKeyPair('ES256'))
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }))
      else if (req.url === '/keys') res.end(JSON.stringify({ keys: [jwk] }))
      else { res.statusCode = 404; res.end('{}') }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    trusted = createTrustedIssuers({ issuers: [{ issuer, audiences: ['apps'], groupsClaim: 'roles' }] })
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const token = (claims: Record<string, unknown>, o: { signWith?: CryptoKey; iss?: string; aud?: string; exp?: string } = {}) =>
    new SignJWT({ email: 'anne@corp.test', preferred_username: 'anne', roles: ['eng', 'ops'], ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(o.iss ?? issuer).setAudience(o.aud ?? 'apps').setSubject('anne-1')
      .setIssuedAt().setExpirationTime(o.exp ?? '5m').sign(o.signWith ?? key)

  it('accepts a token for a configured audience as the same subject an upstream sign-in gives', async () => {
    const identity = await trusted.verify(await token({}))
    assert.equal(identity?.subject, externalSubject(issuer, 'anne-1'))
    assert.deepEqual(identity?.groups, ['eng', 'ops'])
    assert.equal(identity?.username, 'anne')
    assert.equal(identity?.accountType, 'user')
  })

  it('reads groups given as one string', async () => {
    assert.deepEqual((await trusted.verify(await token({ roles: 'eng ops,sre' })))?.groups, ['eng', 'ops', 'sre'])
  })

  it('refuses another audience, another issuer, a forged signature, an expired or certificate-bound token, and junk', async () => {
    assert.equal(await trusted.verify(await token({}, { aud: 'billing' })), undefined)
    assert.equal(await trusted.verify(await token({}, { iss: 'https://evil.example' })), undefined)
    assert.equal(await trusted.verify(await token({}, { signWith: otherKey })), undefined)
    assert.equal(await trusted.verify(await token({}, { exp: '-1m' })), undefined)
    assert.equal(await trusted.verify(await token({ cnf: { 'x5t#S256': 'abc' } })), undefined)
    assert.equal(await trusted.verify('not.a.jwt'), undefined)
  })
})
