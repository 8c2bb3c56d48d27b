import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { isConfigError, loadConfig, type GatehouseConfig } from '../config/index.ts'
import { createTrustedIssuers, type AccessTokenHolder } from '../identity/index.ts'
import { externalSubject, isAppError } from '../lib/index.ts'
import { SYSTEM_PRINCIPAL, type Principal } from '../tenancy/index.ts'
import { createLogger } from './logger.ts'
import { startServer } from './server.ts'
import { certificateThumbprint, createCallerResolver, trustedIssuerGroupPrefixes } from './tenancy-callers.ts'

const CORP = 'https://idp.corp.example'
const KEY = 'operator-key-0123456789'

function configWith(overrides: Record<string, unknown>): GatehouseConfig {
  return loadConfig({ env: {}, overrides: { databaseUrl: 'sqlite::memory:', ...overrides } }).config
}

const upstream = (id: string, issuer: string) => ({ id, kind: 'oidc', issuer, clientId: 'gatehouse', clientSecret: 'secret-0123456789' })

function rejectsWith(code: string, status = 401) {
  return (err: unknown) => isAppError(err) && err.status === status && err.code === code
}

const READ = { write: false }
const WRITE = { write: true }

function selfSignedCertificate(dir: string, name: string): X509Certificate {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`),
    '-out', join(dir, `${name}.crt`), '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' })
  return new X509Certificate(readFileSync(join(dir, `${name}.crt`)))
}

describe('trusted issuer group qualification', () => {
  const trusted = (issuer: string, id?: string) => ({ issuer, audiences: ['a'], groupsClaim: 'groups', ...(id === undefined ? {} : { id }) })
  const SSO = 'https://sso.example.com/realms'
  /** The ConfigError's problems, or fails when the prefixes are accepted. */
  const refused = (list: ReturnType<typeof trusted>[], upstreams: ReturnType<typeof upstream>[] = []) => {
    try {
      trustedIssuerGroupPrefixes(list, configWith({ upstreams }).upstreams)
    } catch (err) {
      assert.ok(isConfigError(err), String(err))
      return err.problems
    }
    assert.fail('the prefixes were accepted')
  }

  it('uses the configured id, else the id of the upstream with exactly the same issuer', () => {
    const config = configWith({ upstreams: [upstream('okta', CORP), upstream('kc', `${SSO}/acme`)] })
    const prefixes = trustedIssuerGroupPrefixes([trusted(CORP, 'corp'), trusted(`${SSO}/acme`), trusted('https://login.other.example/tenant', 'other')], config.upstreams)
    assert.deepEqual([...prefixes], [[CORP, 'corp'], [`${SSO}/acme`, 'kc'], ['https://login.other.example/tenant', 'other']])
    assert.deepEqual([...trustedIssuerGroupPrefixes([trusted(CORP)], config.upstreams)], [[CORP, 'okta']])
  })

  it('gives no prefix to a trusted issuer with no id and no upstream of exactly its issuer', () => {
    // Two Keycloak realms on one host: a host-name default would give them one prefix. Without a
    // prefix their users count by subject only, never through groups.
    assert.deepEqual([...trustedIssuerGroupPrefixes([trusted(`${SSO}/acme`), trusted(`${SSO}/globex`)], [])], [])
    // Not the same issuer: another path on the same host, or a trailing slash.
    assert.deepEqual([...trustedIssuerGroupPrefixes([trusted(`${SSO}/globex`)], configWith({ upstreams: [upstream('acme', `${SSO}/acme`)] }).upstreams)], [])
    assert.deepEqual([...trustedIssuerGroupPrefixes([trusted(`${CORP}/`)], configWith({ upstreams: [upstream('okta', CORP)] }).upstreams)], [])
  })

  it('refuses to start when two trusted issuers get one prefix', () => {
    const [problem, ...rest] = refused([trusted(`${SSO}/acme`, 'sso'), trusted(`${SSO}/globex`, 'sso')])
    assert.deepEqual(rest, [])
    assert.match(problem!, /trustedIssuers\[0\] \(.*\/acme\) and trustedIssuers\[1\] \(.*\/globex\) both qualify their groups as `sso:`/)
    // The default of one may clash with the explicit id of another, too.
    assert.match(refused([trusted(`${SSO}/acme`), trusted(`${SSO}/globex`, 'kc')], [upstream('kc', `${SSO}/acme`)])[0]!, /both qualify their groups as `kc:`/)
  })

  it('refuses to start when a trusted issuer\'s prefix is the id of an upstream with another issuer', () => {
    const [problem] = refused([trusted(`${SSO}/globex`, 'acme')], [upstream('acme', `${SSO}/acme`)])
    assert.match(problem!, /^trustedIssuers\[0\] \(.*\/globex\) qualifies its groups as `acme:`, the id of upstream acme whose issuer is https:\/\/sso\.example\.com\/realms\/acme/)
  })

  it('resolves a prefix-less issuer\'s user without its groups', async () => {
    const resolve = createCallerResolver({
      config: () => configWith({ presharedKeys: ['k'.repeat(32)], trustedIssuers: [trusted(`${SSO}/acme`)] }), tenancy: { principalFor: async () => SYSTEM_PRINCIPAL },
      signedIn: { accessToken: async () => undefined },
      trusted: { verify: async () => ({ subject: 'ext:x', accountType: 'user', groups: ['admins'], claims: { iss: `${SSO}/acme` } }) },
    })
    assert.deepEqual(await resolve('Bearer a.b.c', { write: false }), { kind: 'user', subject: 'ext:x', upstreamGroups: [] })
  })
})

describe('trusted issuer group prefixes at server start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-prefixes-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const REALM = 'https://sso.example.com/realms/acme'
  const start = (overrides: Record<string, unknown>) => startServer(configWith({ port: 0, logLevel: 'silent', localLogin: false, ...overrides }), { banner: null, logger: createLogger('silent') })

  it('starts with a trusted issuer that has no id and no upstream of its issuer (forward-auth needs none)', async () => {
    const server = await start({ trustedIssuers: [{ issuer: REALM, audiences: ['gatehouse'] }] })
    await server.close()
  })

  it('takes the id of an upstream the bootstrap file declares with exactly the same issuer', async () => {
    const file = join(dir, 'bootstrap.yaml')
    writeFileSync(file, `upstreams:\n  - { id: acme-sso, kind: oidc, issuer: "${REALM}", clientId: gatehouse, clientSecret: secret-0123456789 }\n`)
    const server = await start({ bootstrapFile: file, trustedIssuers: [{ issuer: REALM, audiences: ['gatehouse'] }] })
    await server.close()
    // The same file, and a second trusted issuer claiming that upstream's id for another realm.
    await assert.rejects(start({ bootstrapFile: file, trustedIssuers: [{ issuer: REALM, audiences: ['gatehouse'] }, { issuer: 'https://sso.example.com/realms/globex', audiences: ['gatehouse'], id: 'acme-sso' }] }),
      (err: unknown) => isConfigError(err) && /both qualify their groups as `acme-sso:`/.test(err.message))
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
    assert.equal(await resolve(`Bearer ${KEY}`, WRITE), SYSTEM_PRINCIPAL)
    assert.equal(await resolve(`bearer  ${KEY} `, READ), SYSTEM_PRINCIPAL)
    for (const header of [undefined, '', 'Bearer', `Basic ${KEY}`, `Bearer ${KEY}x`, 'Bearer a b']) {
      await assert.rejects(resolve(header, READ), rejectsWith('unauthenticated'), String(header))
    }
  })

  it('treats every caller without a header as the operator while no key is configured, but still checks tokens', async () => {
    const open = createCallerResolver({ config: () => configWith({}), tenancy, signedIn: { accessToken: async () => undefined }, trusted: { verify: async () => undefined } })
    assert.equal(await open(undefined, WRITE), SYSTEM_PRINCIPAL)
    await assert.rejects(open('Bearer whatever', READ), rejectsWith('unauthenticated'))
  })

  it('resolves access tokens to the stored principal of their user or service client', async () => {
    tokens.set('user-token', { kind: 'user', subject: 'local:alice', clientId: 'spa', forAudience: true, otherBinding: false })
    tokens.set('robot-token', { kind: 'service', subject: 'service:robot', clientId: 'robot', forAudience: true, otherBinding: false })
    assert.deepEqual(await resolve('Bearer user-token', WRITE), { kind: 'user', subject: 'local:alice', upstreamGroups: ['okta:stored'] })
    assert.deepEqual((await resolve('Bearer robot-token', WRITE)).subject, 'service:robot')
    assert.deepEqual(asked.slice(-2), [['local:alice', 'user'], ['service:robot', 'service']])
  })

  it('lets opaque access tokens (of users and service clients) read, and refuses them for writes with 403', async () => {
    tokens.set('opaque-user', { kind: 'user', subject: 'local:alice', clientId: 'compute', forAudience: false, otherBinding: false })
    tokens.set('opaque-robot', { kind: 'service', subject: 'service:robot', clientId: 'robot', forAudience: false, otherBinding: false })
    for (const token of ['opaque-user', 'opaque-robot']) {
      assert.equal((await resolve(`Bearer ${token}`, READ)).kind, token === 'opaque-user' ? 'user' : 'service')
      await assert.rejects(resolve(`Bearer ${token}`, WRITE), (err: unknown) => rejectsWith('token_not_for_writes', 403)(err)
        && /GATEHOUSE_API_AUDIENCES \(none is configured\) with the resource indicator/.test((err as Error).message))
    }
    const withAudiences = createCallerResolver({ config: () => configWith({ apiAudiences: ['https://api.gatehouse.test'] }), tenancy, signedIn: { accessToken: async (t) => tokens.get(t) }, trusted: { verify: async () => undefined } })
    await assert.rejects(withAudiences('Bearer opaque-user', WRITE), (err: unknown) => rejectsWith('token_not_for_writes', 403)(err)
      && /GATEHOUSE_API_AUDIENCES \(https:\/\/api\.gatehouse\.test\)/.test((err as Error).message))
    // Checked only for a valid token: anything else is still 401.
    await assert.rejects(withAudiences('Bearer unknown', WRITE), rejectsWith('unauthenticated'))
  })

  it('accepts a certificate-bound token only with its certificate, and never a DPoP-bound one', async () => {
    tokens.set('bound', { kind: 'service', subject: 'service:mtls', clientId: 'mtls', forAudience: false, certificateThumbprint: certificateThumbprint(mine), otherBinding: false })
    await assert.rejects(resolve('Bearer bound', READ), rejectsWith('certificate_bound_token'))
    await assert.rejects(resolve('Bearer bound', { write: false, peerCertificate: other }), rejectsWith('certificate_bound_token'))
    assert.equal((await resolve('Bearer bound', { write: false, peerCertificate: mine })).subject, 'service:mtls')
    await assert.rejects(resolve('Bearer bound', { write: true, peerCertificate: mine }), rejectsWith('token_not_for_writes', 403))
    tokens.set('dpop', { kind: 'user', subject: 'local:alice', clientId: 'spa', forAudience: true, otherBinding: true })
    await assert.rejects(resolve('Bearer dpop', READ), rejectsWith('unauthenticated'))
  })

  it('takes a trusted issuer\'s token from its claims alone, for writes too, with its groups qualified by the issuer\'s id', async () => {
    const before = asked.length
    const principal = await resolve(`Bearer ${await sign({ groups: ['sre', 'dba', 'sre'] })}`, WRITE)
    assert.deepEqual(principal, { kind: 'user', subject: externalSubject(CORP, 'megan-7'), upstreamGroups: ['corp:sre', 'corp:dba'] })
    assert.equal(asked.length, before, 'no stored state is consulted')
    await assert.rejects(resolve(`Bearer ${await sign({ groups: ['sre'] }, 'someone-else')}`, READ), rejectsWith('unauthenticated'))
    await assert.rejects(resolve(`Bearer ${await sign({ cnf: { 'x5t#S256': certificateThumbprint(mine) } })}`, READ), rejectsWith('unauthenticated'))
  })
})
