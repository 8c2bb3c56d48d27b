import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { loadConfig, type GatehouseConfig } from '../config/index.ts'
import { createTrustedIssuers, type AccessTokenHolder } from '../identity/index.ts'
import { externalSubject, isAppError } from '../lib/index.ts'
import { SYSTEM_PRINCIPAL, type Principal } from '../tenancy/index.ts'
import { certificateThumbprint, createCallerResolver, trustedIssuerGroupPrefix } from './tenancy-callers.ts'

const CORP = 'https://idp.corp.example'
const KEY = 'operator-key-0123456789'

function configWith(overrides: Record<string, unknown>): GatehouseConfig {
  return loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', ...overrides } }).config
}

const upstream = (id: string, issuer: string) => ({ id, kind: 'oidc', issuer, clientId: 'gatehouse', clientSecret: 'secret-0123456789' })

function rejectsWith(code: string) {
  return (err: unknown) => isAppError(err) && err.status === 401 && err.code === code
}

function selfSignedCertificate(dir: string, name: string): X509Certificate {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`),
    '-out', join(dir, `${name}.crt`), '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' })
  return new X509Certificate(readFileSync(join(dir, `${name}.crt`)))
}

describe('trusted issuer group qualification', () => {
  it('uses the configured id, else the upstream with the same issuer, else the host name', () => {
    const config = configWith({ upstreams: [upstream('okta', `${CORP}/`)] })
    assert.equal(trustedIssuerGroupPrefix({ issuer: CORP, audiences: ['a'], groupsClaim: 'groups', id: 'corp' }, config.upstreams), 'corp')
    assert.equal(trustedIssuerGroupPrefix({ issuer: CORP, audiences: ['a'], groupsClaim: 'groups' }, config.upstreams), 'okta')
    assert.equal(trustedIssuerGroupPrefix({ issuer: 'https://login.other.example/tenant', audiences: ['a'], groupsClaim: 'groups' }, config.upstreams), 'login.other.example')
  })
})

describe('tenancy caller resolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-callers-'))
  let mine: X509Certificate
  let other: X509Certificate
  let privateKey: CryptoKey
  const tokens = new Map<string, AccessTokenHolder>()
  const asked: Array<[string, string]> = []
  const tenancy = {
    principalFor: async (subject: string, kind: 'user' | 'service'): Promise<Principal> => {
      asked.push([subject, kind])
      return { kind, subject, upstreamGroups: ['okta:stored'] }
    },
  }
  let resolve: ReturnType<typeof createCallerResolver>

  before(async () => {
    mine = selfSignedCertificate(dir, 'mine')
    other = selfSignedCertificate(dir, 'other')
    const pair = await generateKeyPair('ES256')
    privateKey = pair.privateKey
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }
    const config = configWith({ presharedKeys: [KEY], trustedIssuers: [{ issuer: CORP, audiences: ['gatehouse'], id: 'corp', jwksUri: `${CORP}/keys` }] })
    const trusted = createTrustedIssuers({ issuers: config.trustedIssuers, fetch: async () => Response.json({ keys: [jwk] }) })
    resolve = createCallerResolver({ config: () => config, tenancy, signedIn: { accessToken: async (t) => tokens.get(t) }, trusted })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const sign = (claims: Record<string, unknown>, aud = 'gatehouse') => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(CORP).setAudience(aud).setSubject('megan-7').setIssuedAt().setExpirationTime('5m').sign(privateKey)

  it('takes a preshared key for the operator, and refuses a missing or wrong credential', async () => {
    assert.equal(await resolve(`Bearer ${KEY}`), SYSTEM_PRINCIPAL)
    assert.equal(await resolve(`bearer  ${KEY} `), SYSTEM_PRINCIPAL)
    for (const header of [undefined, '', 'Bearer', `Basic ${KEY}`, `Bearer ${KEY}x`, 'Bearer a b']) {
      await assert.rejects(resolve(header), rejectsWith('unauthenticated'), String(header))
    }
  })

  it('treats every caller without a header as the operator while no key is configured, but still checks tokens', async () => {
    const open = createCallerResolver({ config: () => configWith({}), tenancy, signedIn: { accessToken: async () => undefined }, trusted: { verify: async () => undefined } })
    assert.equal(await open(undefined), SYSTEM_PRINCIPAL)
    await assert.rejects(open('Bearer whatever'), rejectsWith('unauthenticated'))
  })

  it('resolves access tokens to the stored principal of their user or service client', async () => {
    tokens.set('user-token', { kind: 'user', subject: 'local:alice', clientId: 'spa', otherBinding: false })
    tokens.set('robot-token', { kind: 'service', subject: 'service:robot', clientId: 'robot', otherBinding: false })
    assert.deepEqual(await resolve('Bearer user-token'), { kind: 'user', subject: 'local:alice', upstreamGroups: ['okta:stored'] })
    assert.deepEqual((await resolve('Bearer robot-token')).subject, 'service:robot')
    assert.deepEqual(asked.slice(-2), [['local:alice', 'user'], ['service:robot', 'service']])
  })

  it('accepts a certificate-bound token only with its certificate, and never a DPoP-bound one', async () => {
    tokens.set('bound', { kind: 'service', subject: 'service:mtls', clientId: 'mtls', certificateThumbprint: certificateThumbprint(mine), otherBinding: false })
    await assert.rejects(resolve('Bearer bound'), rejectsWith('certificate_bound_token'))
    await assert.rejects(resolve('Bearer bound', other), rejectsWith('certificate_bound_token'))
    assert.equal((await resolve('Bearer bound', mine)).subject, 'service:mtls')
    tokens.set('dpop', { kind: 'user', subject: 'local:alice', clientId: 'spa', otherBinding: true })
    await assert.rejects(resolve('Bearer dpop'), rejectsWith('unauthenticated'))
  })

  it('takes a trusted issuer\'s token from its claims alone, with its groups qualified by the issuer\'s id', async () => {
    const before = asked.length
    const principal = await resolve(`Bearer ${await sign({ groups: ['sre', 'dba', 'sre'] })}`)
    assert.deepEqual(principal, { kind: 'user', subject: externalSubject(CORP, 'megan-7'), upstreamGroups: ['corp:sre', 'corp:dba'] })
    assert.equal(asked.length, before, 'no stored state is consulted')
    await assert.rejects(resolve(`Bearer ${await sign({ groups: ['sre'] }, 'someone-else')}`), rejectsWith('unauthenticated'))
    await assert.rejects(resolve(`Bearer ${await sign({ cnf: { 'x5t#S256': certificateThumbprint(mine) } })}`), rejectsWith('unauthenticated'))
  })
})
