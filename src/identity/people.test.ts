import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AuditEntryInput, Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createLocalAccounts } from './local-accounts.ts'
import { createPeople, type People } from './people.ts'
import { GENERATED_SECRET_PARAMS } from './secrets.ts'

describe('people', () => {
  let store: Store
  let people: People
  const audited: AuditEntryInput[] = []
  const revokedElsewhere: string[] = []

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    const accounts = createLocalAccounts({ repo: store.localAccounts, hashParams: GENERATED_SECRET_PARAMS })
    await accounts.create({ username: 'Ann', password: 'ann-password-0001', groups: ['ops'] })
    people = createPeople({
      repo: store.localAccounts, accounts, userRecords: store.userRecords, oidc: store.oidc,
      sessionSources: [{
        kind: 'forward_auth',
        list: async (subject) => (subject === 'local:ann' ? [{ id: 'fa-1', createdAt: 1, lastSeenAt: 2, endsAt: 3 }] : []),
        revoke: async (subject, id) => { revokedElsewhere.push(`${subject} ${id}`); return subject === 'local:ann' && id === 'fa-1' },
      }],
      organizations: async () => [{ id: 'o1', name: 'acme', groups: ['staff'] }],
      audit: { append: async (entry) => { audited.push(entry) } },
    })
  })
  after(() => store.close())

  it("ends an OpenID Connect session with its grants' tokens, and only that person's", async () => {
    await store.oidc.upsert('Session', 'sess-1', { kind: 'Session', accountId: 'local:ann', loginTs: 1_900_000_000, authorizations: { app: { grantId: 'g-1' } } }, 600, { subject: 'local:ann' })
    await store.oidc.upsert('RefreshToken', 'rt-1', { kind: 'RefreshToken', grantId: 'g-1' }, 600, { grantId: 'g-1' })
    await store.oidc.upsert('RefreshToken', 'rt-2', { kind: 'RefreshToken', grantId: 'g-2' }, 600, { grantId: 'g-2' })
    const sessions = await people.sessions('local:ann')
    assert.deepEqual(sessions.map((s) => [s.kind, s.clients]), [['oidc', ['app']], ['forward_auth', undefined]])
    const oidc = sessions[0]!
    assert.doesNotMatch(oidc.id, /sess-1/, 'the id is not the session id (the cookie value)')
    await assert.rejects(people.revokeSession('local:bob', oidc.id, { actor: 'local:admin' }), { code: 'session_not_found' })
    await people.revokeSession('local:ann', oidc.id, { actor: 'local:admin', sourceIp: '192.0.2.1' })
    assert.equal(await store.oidc.find('Session', 'sess-1'), undefined)
    assert.equal(await store.oidc.find('RefreshToken', 'rt-1'), undefined)
    assert.ok(await store.oidc.find('RefreshToken', 'rt-2'), 'another grant keeps its tokens')
    assert.deepEqual(audited.at(-1), {
      actor: 'local:admin', actorType: 'user', action: 'session.revoke', target: 'user:local:ann', outcome: 'success', sourceIp: '192.0.2.1',
      details: { session: oidc.id, kind: 'oidc' },
    })
  })

  it('ends a session another source keeps, and refuses bad subjects', async () => {
    await people.revokeSession('local:ann', 'fa-1', { actor: 'api' })
    assert.deepEqual(audited.at(-1)?.details, { session: 'fa-1', kind: 'forward_auth' })
    assert.equal(audited.at(-1)?.actorType, 'system')
    for (const subject of ['ann', 'local:', 'ext:', `local:${'x'.repeat(600)}`]) {
      await assert.rejects(people.get(subject), { code: 'invalid_subject' }, subject)
    }
  })

  it('shows a person with account, organizations and sessions', async () => {
    const person = await people.get('local:ann')
    assert.equal(person.account?.username, 'Ann')
    assert.deepEqual(person.account?.groups, ['ops'])
    assert.deepEqual(person.organizations, [{ id: 'o1', name: 'acme', groups: ['staff'] }])
    await assert.rejects(people.get('local:nobody'), { code: 'account_not_found' })
  })

  it('disables, enables and resets a password, audited without the password', async () => {
    assert.equal((await people.setDisabled('ann', true, { actor: 'api' })).disabled, true)
    assert.equal((await store.localAccounts.get('ann'))?.disabled, true)
    assert.equal((await people.setDisabled('ann', false, { actor: 'api' })).disabled, false)
    const { generatedPassword } = await people.resetPassword('ann', undefined, { actor: 'api' })
    assert.ok(generatedPassword && generatedPassword.length >= 20)
    assert.equal(JSON.stringify(audited).includes(generatedPassword), false)
    assert.deepEqual(audited.slice(-3).map((e) => e.action), ['account.disable', 'account.enable', 'account.password_reset'])
    await assert.rejects(people.resetPassword('ann', 'short', { actor: 'api' }), { code: 'validation_error' })
    await assert.rejects(people.setDisabled('nobody', true, { actor: 'api' }), { code: 'account_not_found' })
  })
})
