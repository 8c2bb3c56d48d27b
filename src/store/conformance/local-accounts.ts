// Local accounts: case-insensitive usernames, duplicate rejection, updates, listing, and the
// failed-login window shared by every handle on the database.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { StoreErrorCodes } from '../errors.ts'
import type { LocalAccountRecord } from '../types.ts'
import { ManualClock, rejectsWith, useFixture, type StoreFactory } from './harness.ts'

export function localAccountsCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  const h = useFixture(factory, { clock, connections: 10 })
  const accounts = () => h.store.localAccounts

  it('creates an account and finds it in any case, keeping the spelling given', async () => {
    const created = await accounts().create({ username: 'Admin', passwordHash: 'scrypt$a' })
    assert.deepEqual(created, {
      username: 'Admin', passwordHash: 'scrypt$a', disabled: false, email: null, groups: [], createdAt: clock.now(), updatedAt: clock.now(), lastLoginAt: null,
    })
    for (const spelling of ['Admin', 'admin', 'ADMIN', 'aDmIn']) assert.deepEqual(await accounts().get(spelling), created)
    assert.equal(await accounts().get('admin2'), null)
    assert.equal((await accounts().create({ username: 'Ärger', passwordHash: 'h', disabled: true })).disabled, true)
    assert.equal((await accounts().get('äRGER'))?.username, 'Ärger')
  })

  it('refuses a username taken in another case with already_exists (409)', async () => {
    const err = await rejectsWith(accounts().create({ username: 'ADMIN', passwordHash: 'scrypt$b' }), StoreErrorCodes.alreadyExists)
    assert.equal((err as { status?: number }).status, 409)
    assert.equal((await accounts().get('admin'))?.passwordHash, 'scrypt$a')
  })

  it('updates password, disabled flag and last login; false for an unknown user', async () => {
    const changedAt = clock.advance(10)
    assert.equal(await accounts().setPassword('ADMIN', 'scrypt$new'), true)
    assert.equal(await accounts().setDisabled('admin', true), true)
    const loginAt = clock.advance(5)
    assert.equal(await accounts().touchLogin('Admin', loginAt), true)
    const account = await accounts().get('admin')
    assert.deepEqual(
      { hash: account?.passwordHash, disabled: account?.disabled, updatedAt: account?.updatedAt, lastLoginAt: account?.lastLoginAt },
      { hash: 'scrypt$new', disabled: true, updatedAt: changedAt, lastLoginAt: loginAt },
    )
    assert.equal(await accounts().setDisabled('admin', false), true)
    assert.equal((await accounts().get('admin'))?.disabled, false)
    assert.equal(await accounts().setPassword('nobody', 'x'), false)
    assert.equal(await accounts().setDisabled('nobody', true), false)
    assert.equal(await accounts().touchLogin('nobody', clock.now()), false)
  })

  it('keeps an email and groups given at creation, and replaces them', async () => {
    const created = await accounts().create({ username: 'Profiled', passwordHash: 'h', email: 'ops@example.com', groups: ['ops', 'kube:admins', 'Ops'] })
    assert.deepEqual({ email: created.email, groups: created.groups }, { email: 'ops@example.com', groups: ['ops', 'kube:admins', 'Ops'] })
    assert.deepEqual((await accounts().get('profiled'))?.groups, ['ops', 'kube:admins', 'Ops'])
    const changedAt = clock.advance(3)
    assert.equal(await accounts().setProfile('PROFILED', { email: null, groups: ['argocd-admins'] }), true)
    const after = await accounts().get('profiled')
    assert.deepEqual({ email: after?.email, groups: after?.groups, updatedAt: after?.updatedAt }, { email: null, groups: ['argocd-admins'], updatedAt: changedAt })
    assert.equal(await accounts().setProfile('nobody', { email: null, groups: [] }), false)
    // PostgreSQL cannot store U+0000; SQLite refuses it too, so both accept the same.
    await assert.rejects(accounts().setProfile('profiled', { email: 'a\u0000b', groups: [] }), (err: unknown) => (err as { code?: string }).code === 'validation_error')
    // The listing below counts every account.
    assert.equal(await accounts().delete('profiled'), true)
  })

  it('lists accounts by username across pages and deletes them', async () => {
    for (const name of ['list-C', 'list-a', 'List-B']) await accounts().create({ username: name, passwordHash: 'h' })
    const seen: LocalAccountRecord[] = []
    let token = ''
    do {
      const page = await accounts().list({ pageSize: 2, continuationToken: token })
      seen.push(...page.items)
      token = page.continuationToken
    } while (token !== '')
    assert.deepEqual(seen.map((a) => a.username).filter((n) => n.toLowerCase().startsWith('list-')), ['list-a', 'List-B', 'list-C'])
    assert.equal(seen.length, 5)
    assert.equal(await accounts().delete('LIST-A'), true)
    assert.equal(await accounts().get('list-a'), null)
    assert.equal(await accounts().delete('list-a'), false)
  })

  it('counts failed attempts within the window, case-insensitively, known user or not', async () => {
    const start = clock.advance(100)
    const counts: number[] = []
    for (const name of ['Mallory', 'mallory', 'MALLORY']) {
      counts.push(await accounts().recordFailedAttempt(name, clock.now(), 60))
      clock.advance(10)
    }
    assert.deepEqual(counts, [1, 2, 3])
    assert.equal(await accounts().recordFailedAttempt('someone-else', clock.now(), 60), 1)
    // The window started at the first failure; one at start + 60 s opens a new window.
    clock.advance(60 - 30 - 1)
    assert.equal(await accounts().recordFailedAttempt('mallory', clock.now(), 60), 4)
    assert.equal(await accounts().recordFailedAttempt('mallory', new Date(start.getTime() + 60_000), 60), 1)
    assert.equal(await accounts().recordFailedAttempt('mallory', new Date(start.getTime() + 61_000), 60), 2)
  })

  it('reads the count of the live window without counting', async () => {
    const start = clock.advance(100)
    assert.equal(await accounts().countAttempts('peeked', clock.now(), 60), 0)
    await accounts().recordFailedAttempt('Peeked', clock.now(), 60)
    await accounts().recordFailedAttempt('peeked', clock.now(), 60)
    assert.equal(await accounts().countAttempts('PEEKED', clock.now(), 60), 2)
    assert.equal(await accounts().countAttempts('peeked', clock.now(), 60), 2, 'reading does not count')
    assert.equal(await accounts().countAttempts('peeked', new Date(start.getTime() + 60_000), 60), 0, 'the window has ended')
  })

  it('resets attempts on demand', async () => {
    await accounts().recordFailedAttempt('reset-me', clock.now(), 300)
    await accounts().recordFailedAttempt('reset-me', clock.now(), 300)
    await accounts().resetAttempts('RESET-ME')
    assert.equal(await accounts().recordFailedAttempt('reset-me', clock.now(), 300), 1)
    await accounts().resetAttempts('never-failed')
  })

  it('counts concurrent failures exactly once each', async () => {
    const counts = await Promise.all(Array.from({ length: 20 }, () => accounts().recordFailedAttempt('burst', clock.now(), 300)))
    assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it('prunes attempt windows that started before a given time', async () => {
    const cutoff = clock.advance(1000)
    await accounts().recordFailedAttempt('fresh', cutoff, 300)
    assert.ok((await accounts().pruneAttempts(cutoff)) >= 3, 'older windows are gone')
    assert.equal(await accounts().pruneAttempts(cutoff), 0)
    assert.equal(await accounts().recordFailedAttempt('fresh', cutoff, 300), 2, 'the window at the cutoff is kept')
    assert.equal(await accounts().recordFailedAttempt('mallory', cutoff, 300), 1)
  })
}
