import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AppError, isAppError, type Clock } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createLocalAccounts, type LocalAccountsOptions } from './local-accounts.ts'
import type { ScryptParams } from './secrets.ts'

const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1, saltBytes: 16, keyBytes: 32 }

function code(expected: string, status?: number) {
  return (err: unknown) => isAppError(err) && err.code === expected && (status === undefined || err.status === status)
}

describe('local accounts', () => {
  let store: Store
  let t = Date.parse('2030-01-01T00:00:00Z')
  const clock: Clock = { now: () => new Date(t) }
  const slept: number[] = []
  const make = (extra: Partial<LocalAccountsOptions> = {}) => createLocalAccounts({
    repo: store.localAccounts, hashParams: FAST, clock,
    throttle: { maxAttempts: 3, maxAddressFailures: 50, slowDownAfter: 4, windowSeconds: 60, sleep: async (ms) => { slept.push(ms) } },
    ...extra,
  })

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
  })
  after(() => store.close())

  it('logs in with the right password and refuses a wrong one', async () => {
    const accounts = make()
    const created = await accounts.create({ username: 'Alice', password: 'a long enough password' })
    assert.equal(created.username, 'Alice')
    assert.equal('passwordHash' in created, false)
    const stored = await store.localAccounts.get('alice')
    assert.match(stored!.passwordHash, /^scrypt\$1024\$8\$1\$/)

    const ok = await accounts.verify('alice', 'a long enough password')
    assert.equal(ok.username, 'Alice')
    assert.ok(ok.lastLoginAt)
    await assert.rejects(accounts.verify('alice', 'not the password'), code('invalid_credentials', 401))
  })

  it('answers an unknown user exactly like a wrong password', async () => {
    const accounts = make()
    await assert.rejects(accounts.verify('nobody', 'whatever password'), code('invalid_credentials', 401))
  })

  it('refuses short passwords and bad usernames', async () => {
    const accounts = make()
    await assert.rejects(accounts.create({ username: 'bob', password: 'short' }), code('validation_error', 400))
    await assert.rejects(accounts.create({ username: ' ', password: 'a long enough password' }), code('validation_error'))
    await assert.rejects(accounts.create({ username: 'a\nb', password: 'a long enough password' }), code('validation_error'))
  })

  it('throttles an address after N rapid failures for a username, even with the right password, until the window ends', async () => {
    const accounts = make()
    await accounts.create({ username: 'carol', password: 'carol password 1' })
    for (let i = 0; i < 3; i++) await assert.rejects(accounts.verify('carol', 'wrong password'), code('invalid_credentials'))
    await assert.rejects(accounts.verify('carol', 'carol password 1'), (err) =>
      code('rate_limited', 429)(err) && isAppError(err) && err.details?.retryAfterSeconds === 60)
    t += 61_000
    assert.equal((await accounts.verify('carol', 'carol password 1')).username, 'carol')
  })

  it('keeps the owner signing in from their own address while another address is throttled for the account', async () => {
    const accounts = make()
    await accounts.create({ username: 'owner', password: 'owner password 1' })
    for (let i = 0; i < 3; i++) await assert.rejects(accounts.verify('owner', 'guess ' + i, { address: '203.0.113.9' }), code('invalid_credentials'))
    await assert.rejects(accounts.verify('owner', 'owner password 1', { address: '203.0.113.9' }), code('rate_limited', 429))
    assert.equal((await accounts.verify('owner', 'owner password 1', { address: '198.51.100.7' })).username, 'owner')
    t += 61_000
  })

  it('refuses an address that posts wrong passwords for many usernames', async () => {
    const accounts = make({ throttle: { maxAddressFailures: 8, windowSeconds: 60 } })
    for (let i = 0; i < 8; i++) await assert.rejects(accounts.verify(`user-${i}`, 'guess', { address: '203.0.113.10' }), code('invalid_credentials'))
    await assert.rejects(accounts.verify('user-9', 'guess', { address: '203.0.113.10' }), code('rate_limited', 429))
    await assert.rejects(accounts.verify('user-9', 'guess', { address: '203.0.113.11' }), code('invalid_credentials'))
    t += 61_000
  })

  it('slows down, and never refuses, guessing for one username spread over many addresses', async () => {
    const accounts = make()
    await accounts.create({ username: 'spread', password: 'spread password 1' })
    slept.length = 0
    for (let i = 0; i < 8; i++) await assert.rejects(accounts.verify('spread', 'guess', { address: `192.0.2.${i}` }), code('invalid_credentials'))
    assert.deepEqual(slept, [250, 500, 750], 'delays grow beyond the fourth wrong password')
    assert.equal((await accounts.verify('spread', 'spread password 1', { address: '192.0.2.200' })).username, 'spread')
    assert.equal(slept.at(-1), 1000)
    t += 61_000
  })

  it('clears the count after a successful login', async () => {
    const accounts = make()
    await accounts.create({ username: 'dan', password: 'dan password 12' })
    for (let i = 0; i < 2; i++) await assert.rejects(accounts.verify('dan', 'wrong password'))
    await accounts.verify('dan', 'dan password 12')
    for (let i = 0; i < 2; i++) await assert.rejects(accounts.verify('dan', 'wrong password'), code('invalid_credentials'))
    await accounts.verify('DAN', 'dan password 12')
  })

  it('throttles unknown usernames too', async () => {
    const accounts = make()
    for (let i = 0; i < 3; i++) await assert.rejects(accounts.verify('ghost', 'some password'), code('invalid_credentials'))
    await assert.rejects(accounts.verify('ghost', 'some password'), code('rate_limited', 429))
  })

  it('refuses a disabled account, and reveals that only to someone with the password', async () => {
    const accounts = make()
    await accounts.create({ username: 'erin', password: 'erin password 12' })
    assert.equal(await accounts.setDisabled('erin', true), true)
    await assert.rejects(accounts.verify('erin', 'wrong password'), code('invalid_credentials'))
    await assert.rejects(accounts.verify('erin', 'erin password 12'), code('account_disabled', 403))
    await accounts.setDisabled('erin', false)
    await accounts.verify('erin', 'erin password 12')
  })

  it('refuses every local login when local accounts are switched off', async () => {
    const accounts = make({ enabled: false })
    assert.equal(accounts.enabled, false)
    await assert.rejects(accounts.verify('alice', 'a long enough password'), code('local_login_disabled', 403))
  })

  it('upgrades an old hash after a successful login', async () => {
    const weak = make()
    await weak.create({ username: 'frank', password: 'frank password 1' })
    const stronger = make({ hashParams: { ...FAST, N: 2 ** 11 } })
    await stronger.verify('frank', 'frank password 1')
    assert.match((await store.localAccounts.get('frank'))!.passwordHash, /^scrypt\$2048\$/)
    await stronger.verify('frank', 'frank password 1')
  })

  it('bootstraps the admin once, returning a generated password only when it made one', async () => {
    const accounts = make()
    const first = await accounts.bootstrapAdmin({ username: 'admin' })
    assert.equal(first.created, true)
    assert.equal(typeof first.generatedPassword, 'string')
    assert.ok(first.generatedPassword!.length >= 20)
    await accounts.verify('admin', first.generatedPassword!)

    const second = await accounts.bootstrapAdmin({ username: 'admin' })
    assert.deepEqual(second, { created: false, username: 'admin' })

    const given = await accounts.bootstrapAdmin({ username: 'root', password: 'from an env variable' })
    assert.deepEqual(given, { created: true, username: 'root' })
    await accounts.verify('root', 'from an env variable')
  })

  it('hashes a generated admin password cheaply and rehashes it for passwords at the first sign-in', async () => {
    // The default parameters, not FAST: what a real start stores.
    const accounts = make({ hashParams: undefined })
    const { generatedPassword } = await accounts.bootstrapAdmin({ username: 'first-admin' })
    assert.match((await store.localAccounts.get('first-admin'))!.passwordHash, /^scrypt\$4096\$8\$1\$/)
    await accounts.verify('first-admin', generatedPassword!)
    assert.match((await store.localAccounts.get('first-admin'))!.passwordHash, /^scrypt\$131072\$8\$1\$/)
    await accounts.verify('first-admin', generatedPassword!)

    await accounts.bootstrapAdmin({ username: 'chosen-admin', password: 'a password someone chose' })
    assert.match((await store.localAccounts.get('chosen-admin'))!.passwordHash, /^scrypt\$131072\$8\$1\$/)
  })

  it('creates the admin once when several replicas bootstrap at once', async () => {
    const accounts = make()
    const results = await Promise.all(Array.from({ length: 4 }, () => accounts.bootstrapAdmin({ username: 'ops' })))
    const created = results.filter((r) => r.created)
    assert.equal(created.length, 1)
    assert.equal(results.filter((r) => r.generatedPassword !== undefined).length, 1)
    await accounts.verify('ops', created[0].generatedPassword!)
  })

  it('asks checkNewUsername before creating an account, but never for the bootstrap admin', async () => {
    const asked: string[] = []
    const accounts = make({
      checkNewUsername: (name) => {
        asked.push(name)
        if (name.toLowerCase() === 'default') throw new AppError('reserved_name', `user name "${name}" is reserved`, { status: 400 })
      },
    })
    await assert.rejects(accounts.create({ username: 'Default', password: 'a long enough password' }), code('reserved_name'))
    assert.equal(await store.localAccounts.get('default'), null, 'nothing was written')
    await accounts.create({ username: 'grace', password: 'a long enough password' })
    const admin = await accounts.bootstrapAdmin({ username: 'Default', password: 'the admin password' })
    assert.equal(admin.created, true, 'the configured admin keeps its name even when it is reserved')
    assert.deepEqual(asked, ['Default', 'grace'])
  })
})
