// The namespaced claim as tenancy fills it: organizations with the user's group ids, read when the
// claims are asked for, and left out for a user in none (the claim then reads as before tenancy).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LocalAccountsRepo } from '../store/index.ts'
import type { MembershipClaim } from '../tenancy/index.ts'
import { createFindAccount, organizationClaims } from './accounts.ts'

const NS = 'https://gatehouse.dev/claims'

const repo = {
  get: async (username: string) => ({ username, passwordHash: 'x', disabled: false, createdAt: new Date(), updatedAt: new Date() }),
} as unknown as LocalAccountsRepo

describe('organization claims', () => {
  it('puts the memberships tenancy answers now into the namespaced claim of a local user', async () => {
    const memberships = new Map<string, MembershipClaim>([['local:ada', { organizations: [{ id: 'o-1', name: 'acme', groups: ['g-1', 'g-2'] }] }]])
    const asked: Array<[string, string]> = []
    const findAccount = createFindAccount({
      localAccounts: repo, claimNamespace: NS,
      extenders: [organizationClaims(async (subject, kind) => { asked.push([subject, kind]); return memberships.get(subject) ?? { organizations: [] } })],
    })
    const account = await findAccount(undefined as never, 'local:ada')
    const claims = await account!.claims('userinfo', 'openid', {}, [])
    assert.deepEqual(claims[NS], { acctype: 'user', organizations: [{ id: 'o-1', name: 'acme', groups: ['g-1', 'g-2'] }] })
    assert.deepEqual(asked, [['local:ada', 'user']])

    // Read per request: a membership removed after sign-in is gone from the next answer.
    memberships.delete('local:ada')
    assert.deepEqual((await account!.claims('userinfo', 'openid', {}, []))[NS], { acctype: 'user' })
  })

  it('answers nothing for system subjects and leaves acctype to the finder', async () => {
    const extend = organizationClaims(async () => ({ organizations: [{ id: 'o', name: 'x', groups: [] }] }))
    assert.deepEqual(await extend('system', 'system'), {})
    const findAccount = createFindAccount({ localAccounts: repo, claimNamespace: NS, extenders: [async () => ({ acctype: 'forged' }), extend] })
    const claims = await (await findAccount(undefined as never, 'local:bob'))!.claims('id_token', 'openid', {}, [])
    assert.equal((claims[NS] as { acctype: string }).acctype, 'user')
  })

  it('knows no account the tenancy no longer admits, so its session has to sign in again', async () => {
    const admitted = new Set(['local:ada'])
    const findAccount = createFindAccount({ localAccounts: repo, claimNamespace: NS, admitted: async (subject) => admitted.has(subject) })
    assert.equal((await findAccount(undefined as never, 'local:ada'))?.accountId, 'local:ada')
    admitted.delete('local:ada')
    assert.equal(await findAccount(undefined as never, 'local:ada'), undefined)
  })
})
