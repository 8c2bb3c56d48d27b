// The promise of docs/tenancy.md ("Claims and trusted external issuers"): the ACL computed from a
// trusted external issuer's token alone, with no stored user, equals the ACL of the same user
// signed in through Gatehouse. One oidc-provider in this process plays the organization's IdP
// (`corp`): it is a Gatehouse upstream AND a trusted issuer. Its signing key is plugged in by the
// test, so the test can mint that IdP's JWT access tokens (same `iss` and `sub` as its ID tokens,
// signed with a key its discovered JWKS serves) — oidc-provider's own access tokens for Gatehouse
// never reach the test. Tenancy is seeded by the operator over the HTTP API, on each backend.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import Provider from 'oidc-provider'
import * as oidc from 'openid-client'
import { externalSubject } from '../../src/lib/index.ts'
import { formAction } from '../support/browser.ts'
import { BACKENDS, backendSkip, serverPerSuite } from '../support/gatehouse.ts'
import { companyIdpOptions, listenLoopback, spaRelyingParty } from '../support/upstream.ts'
import { jsonApi } from '../support/json-api.ts'

const ISSUER = 'http://localhost:7453'
const RP = 'http://127.0.0.1:9'
const CALLBACK = `${RP}/callback`
const NAMESPACE = 'https://gatehouse.dev/claims'
const KEY = 'tenancy-claims-preshared-key-0123456789'
const AUDIENCE = 'gatehouse-api'

/** The IdP's users (by the login_hint Gatehouse forwards) and their groups there. */
const USERS: Record<string, string> = { 'alice@acme.test': 'alice' }
const GROUPS: Record<string, string[]> = { alice: ['platform-engineers', 'everyone'], bob: ['contractors'] }

// RS256: oidc-provider signs its ID tokens with RS256 by default, so this one key serves both.
const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
const KID = 'corp-1'

async function startUpstream(gatehouseCallback: string): Promise<{ issuer: string; server: Server }> {
  const { server, issuer } = await listenLoopback()
  const provider = new Provider(issuer, {
    ...companyIdpOptions(gatehouseCallback, async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@acme.test`, email_verified: true, name: sub, groups: GROUPS[sub] ?? [] }),
    })),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' }] },
  })
  const handler = provider.callback()
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return handler(req, res)
    void provider.interactionDetails(req, res)
      .then((details) => provider.interactionFinished(req, res, { login: { accountId: USERS[String(details.params.login_hint)]! } }, { mergeWithLastSubmission: false }))
      .catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
  })
  return { issuer, server }
}

const upstream = await startUpstream(`${ISSUER}/login/callback`)
after(() => new Promise<void>((resolve) => upstream.server.close(() => resolve())))

/** An access token of the IdP itself (RFC 9068 shape), for its user `sub` with their groups there. */
const corpToken = (sub: string) => new SignJWT({ groups: GROUPS[sub] ?? [], client_id: 'cli' })
  .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'at+jwt' })
  .setIssuer(upstream.issuer).setAudience(AUDIENCE).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(privateKey)


for (const backend of BACKENDS) {
  describe(`tenancy from claims equals tenancy after sign-in (${backend})`, { skip: await backendSkip(backend) }, () => {
    const server = serverPerSuite(backend, {
      GATEHOUSE_ISSUER: ISSUER,
      GATEHOUSE_PRESHARED_KEYS: KEY,
      GATEHOUSE_UPSTREAMS: JSON.stringify([{
        id: 'corp', kind: 'oidc', name: 'Acme IdP', issuer: upstream.issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret',
        scopes: ['openid', 'email', 'profile', 'groups'], groupsClaim: 'groups',
      }]),
      // No `id` and no `jwksUri`: the groups must be qualified with the id of the upstream with
      // the same issuer (corp), and the keys found through the IdP's own discovery document.
      GATEHOUSE_TRUSTED_ISSUERS: JSON.stringify([{ issuer: upstream.issuer, audiences: [AUDIENCE] }]),
    })
    const ids: Record<string, string> = {}
    const alice = externalSubject(upstream.issuer, 'alice')
    /** What ALICE's IdP token alone gets, before she ever signs in through Gatehouse. */
    const fromClaims: Record<string, any> = {}

    const { call, expect } = jsonApi(() => server.current()!.url)
    const created = async (path: string, body: unknown) => (await expect(call('POST', path, KEY, body), 201)).id as string
    /** ALICE's upstream-group syncs: one per sign-in through Gatehouse, none otherwise. */
    const syncs = async () => (await expect(call('GET', `/api/v1/audit?action=membership.sync&target=${encodeURIComponent(`user:${alice}`)}`, KEY), 200))
      .entries.map((e: { details: unknown }) => e.details)
    const names = (acl: { organization: { projects: Array<{ name: string }> } }) => acl.organization.projects.map((p) => p.name).sort()

    before(async () => {
      if (!server.current()) return
      await created('/api/v1/clients', { id: 'spa', type: 'public', redirectUris: [CALLBACK], grantTypes: ['authorization_code'], firstParty: true })
      await created('/api/v1/roles', { name: 'compute', scopes: {
        organization: { 'compute:flavors': ['read'] },
        project: { 'compute:instances': ['create', 'read', 'update', 'delete'] },
      } })
      await created('/api/v1/roles', { name: 'network-reader', scopes: { project: { 'network:subnets': ['read'] } } })
      ids.acme = await created('/api/v1/organizations', { name: 'acme' })
      ids.globex = await created('/api/v1/organizations', { name: 'globex' })
      // A: ALICE by explicit entry (her IdP `sub` and `iss`); B: by her IdP group, qualified corp:.
      ids.a = await created('/api/v1/organizations/acme/groups', { name: 'developers', members: [{ id: 'alice', issuer: upstream.issuer }], roleIds: ['user', 'compute'] })
      ids.b = await created('/api/v1/organizations/acme/groups', { name: 'platform', upstreamGroups: ['corp:platform-engineers'], roleIds: ['network-reader'] })
      const nobody = await created('/api/v1/organizations/acme/groups', { name: 'contractors', upstreamGroups: ['corp:contractors-eu'], roleIds: ['user'] })
      await created('/api/v1/organizations/acme/projects', { name: 'web', groupIds: [ids.a] })
      await created('/api/v1/organizations/acme/projects', { name: 'network', groupIds: [ids.b] })
      await created('/api/v1/organizations/acme/projects', { name: 'shop', groupIds: [ids.a, ids.b] })
      await created('/api/v1/organizations/acme/projects', { name: 'billing', groupIds: [nobody] })
      // globex names the same upstream group under another IdP's id: it must not let ALICE in.
      const devs = await created('/api/v1/organizations/globex/groups', { name: 'devs', upstreamGroups: ['okta:platform-engineers'], roleIds: ['user', 'compute'] })
      await created('/api/v1/organizations/globex/projects', { name: 'web', groupIds: [devs] })
    })

    it('answers ALICE\'s ACL from her IdP token alone, with no stored user', async (t) => {
      // Nothing was ever recorded for her: no sign-in, so no upstream-group sync.
      assert.deepEqual(await syncs(), [])

      const token = await corpToken('alice')
      fromClaims.acme = await expect(call('GET', '/api/v1/organizations/acme/acl', token), 200)
      assert.equal(fromClaims.acme.organization.id, ids.acme)
      assert.deepEqual(names(fromClaims.acme), ['network', 'shop', 'web'])
      const shop = fromClaims.acme.organization.projects.find((p: { name: string }) => p.name === 'shop')
      assert.deepEqual(shop.endpoints.map((e: { name: string }) => e.name), ['compute:instances', 'identity:projects', 'network:subnets'])
      assert.deepEqual(fromClaims.acme.organization.endpoints.map((e: { name: string }) => e.name), ['compute:flavors', 'identity:organizations'])

      await expect(call('GET', '/api/v1/organizations/globex/acl', token), 403, 'organization_forbidden')
      fromClaims.organizations = await expect(call('GET', '/api/v1/organizations', token), 200)
      assert.deepEqual(fromClaims.organizations.items.map((o: { name: string }) => o.name), ['acme'])
      fromClaims.all = await expect(call('GET', '/api/v1/acl', token), 200)
      assert.deepEqual(fromClaims.all, { organizations: [fromClaims.acme.organization] })
    })

    it('gives ALICE signed in through Gatehouse (the same IdP) exactly the same answers, and the claim names both groups', async (t) => {
      const rp = await spaRelyingParty(ISSUER, () => server.current().url, RP)
      const b = rp.browser()
      const flow = await rp.begin({ redirect_uri: CALLBACK, scope: 'openid email profile' })
      const page = await b.browse(flow.url)
      const done = await b.browse(formAction(page.html, '/upstream'), { method: 'POST', form: { email: 'alice@acme.test', provider: 'corp' } })
      assert.equal(done.location.origin, RP, `${done.status} ${done.html}`)
      const tokens = await flow.redeem(done.location)
      // One person on both paths: Gatehouse's subject is the ext: subject of the IdP's iss and sub.
      assert.equal(tokens.claims()!.sub, alice)
      const token = tokens.access_token
      assert.equal(token.split('.').length, 1, 'an opaque Gatehouse access token')

      assert.deepEqual(await expect(call('GET', '/api/v1/organizations/acme/acl', token), 200), fromClaims.acme)
      assert.deepEqual(await expect(call('GET', '/api/v1/acl', token), 200), fromClaims.all)
      assert.deepEqual(await expect(call('GET', '/api/v1/organizations', token), 200), fromClaims.organizations)
      await expect(call('GET', '/api/v1/organizations/globex/acl', token), 403, 'organization_forbidden')

      const userinfo = await oidc.fetchUserInfo(rp.spa, token, alice)
      assert.deepEqual(userinfo[NAMESPACE], { acctype: 'user', organizations: [{ id: ids.acme, name: 'acme', groups: [ids.a, ids.b].sort() }] })
      // Her stored record now exists (so the empty audit above was no vacuous check), and the
      // claims-only path must still agree with it.
      assert.deepEqual(await syncs(), [{ added: ['corp:everyone', 'corp:platform-engineers'], removed: [] }])
      assert.deepEqual(await expect(call('GET', '/api/v1/organizations/acme/acl', await corpToken('alice')), 200), fromClaims.acme)
    })

    it('refuses BOB, known only from his IdP token and in none of acme\'s groups', async (t) => {
      const token = await corpToken('bob')
      await expect(call('GET', '/api/v1/organizations/acme/acl', token), 403, 'organization_forbidden')
      assert.deepEqual(await expect(call('GET', '/api/v1/organizations', token), 200), { items: [] })
      assert.deepEqual(await expect(call('GET', '/api/v1/acl', token), 200), { organizations: [] })
    })
  })
}
