// The sign-in hook tenancy hangs on the upstream leg: it sees the account and the provider id
// (group names get qualified with it), a refusal ends on the "No organization" page with no
// account snapshot and no handoff, and a failing hook fails the sign-in closed.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import Provider from 'oidc-provider'
import { Browser } from '../../../test/support/browser.ts'
import { companyIdpOptions, listenLoopback, serveSignedIn } from '../../../test/support/upstream.ts'
import { loadConfig } from '../../config/index.ts'
import type { Store } from '../../store/index.ts'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import { createFederation, externalSubject, NO_ORGANIZATION, qualifiedGroups, UPSTREAM_MODELS, type FederationOptions, type UpstreamAccount } from './federation.ts'
import { resolveUpstreams } from './providers.ts'

const GATEHOUSE = 'http://gatehouse.test'

describe('upstream sign-in hook', () => {
  let store: Store
  let server: Server
  let issuer: string

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    ;({ server, issuer } = await listenLoopback())
    const provider = new Provider(issuer, companyIdpOptions(`${GATEHOUSE}/login/callback`, async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@corp.test`, email_verified: true, groups: ['platform-engineers', 'everyone'] }),
    })))
    serveSignedIn(server, provider)
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await store.close()
  })

  function federation(onSignIn: FederationOptions['onSignIn']) {
    const upstreams = loadConfig({ env: { GATEHOUSE_UPSTREAMS: JSON.stringify([{
      id: 'corp', kind: 'oidc', issuer, clientId: 'gatehouse', clientSecret: 'upstream-secret', scopes: ['openid', 'email', 'groups'],
    }]) } }).config.upstreams
    return createFederation({ issuer: GATEHOUSE, providers: resolveUpstreams(upstreams), oidc: store.oidc, userRecords: store.userRecords, accountTtlSeconds: 600, onSignIn, onError: () => {} })
  }

  async function signIn(onSignIn: FederationOptions['onSignIn'], sourceIp?: string) {
    const fed = federation(onSignIn)
    const start = new URL(await fed.begin({ uid: 'interaction-1', providerId: 'corp' }))
    const landed = await new Browser({ base: issuer, stopAt: [GATEHOUSE] }).browse(start)
    assert.equal(landed.location.origin, GATEHOUSE, `${landed.status} ${landed.html}`)
    return { fed, result: await fed.complete(landed.location, sourceIp) }
  }

  it('hands the account, the provider id and the source address to the hook, then signs in', async () => {
    const seen: Array<{ account: UpstreamAccount; providerId: string; sourceIp?: string }> = []
    const { fed, result } = await signIn(async (account, providerId, { sourceIp }) => { seen.push({ account, providerId, sourceIp }); return { allowed: true } }, '203.0.113.9')
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.equal(seen.length, 1)
    assert.equal(seen[0]!.providerId, 'corp')
    assert.equal(seen[0]!.sourceIp, '203.0.113.9')
    assert.deepEqual(seen[0]!.account.groups, ['platform-engineers', 'everyone'])
    assert.deepEqual(qualifiedGroups(seen[0]!.providerId, seen[0]!.account.groups), ['corp:platform-engineers', 'corp:everyone'])
    assert.ok(await fed.account(seen[0]!.account.subject), 'the snapshot is there for findAccount')
  })

  it('ends a refused sign-in on the "No organization" page: no snapshot, no handoff for the client', async () => {
    const subject = externalSubject(issuer, 'pat')
    await store.oidc.destroy(UPSTREAM_MODELS.account, subject)
    let asked = ''
    const { fed, result } = await signIn(async (account) => { asked = account.subject; return { allowed: false } })
    assert.equal(asked, subject)
    assert.ok(!result.ok, JSON.stringify(result))
    assert.equal(result.status, 403)
    assert.equal(result.title, NO_ORGANIZATION.title)
    assert.match(result.message, /not a member of any organization on this platform/)
    assert.match(result.message, /Ask your organization's administrator/)
    assert.equal(await fed.account(subject), undefined)
  })

  it('fails closed when the hook throws (the store is down, say)', async () => {
    const { result } = await signIn(async () => { throw new Error('store unavailable') })
    assert.ok(!result.ok && result.status === 400 && result.title === 'Sign-in problem', JSON.stringify(result))
  })
})
