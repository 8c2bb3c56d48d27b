// `gatehouse accounts create` against a SQLite file, with tenancy read from it: reserved names
// (folded, so "Default" is "default") and names of existing projects are refused with a clear
// message and a non-zero exit; the configured bootstrap admin keeps its reserved name.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { createTenancy, SYSTEM_PRINCIPAL } from '../tenancy/index.ts'
import { runCaptured } from '../../test/support/cli.ts'

const root = mkdtempSync(join(tmpdir(), 'gatehouse-cli-accounts-'))
after(() => rmSync(root, { recursive: true, force: true }))

const run = (argv: string[], env: Record<string, string>) =>
  runCaptured(argv, { GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_NEW_PASSWORD: 'a long enough password', ...env }, root)

/** An organization with a project, written the way the server would. */
async function seedProject(dataDir: string, project: string): Promise<void> {
  const store = await openSqliteStore({ path: join(dataDir, 'gatehouse.db') })
  try {
    await store.migrate()
    const tenancy = createTenancy({ store })
    await tenancy.start(false)
    await tenancy.organizations.create({ actor: SYSTEM_PRINCIPAL }, { name: 'acme' })
    await tenancy.projects.create({ actor: SYSTEM_PRINCIPAL }, 'acme', { name: project })
    tenancy.stop()
  } finally {
    await store.close()
  }
}

describe('gatehouse accounts create', () => {
  it('refuses a reserved name, however it is written', async () => {
    const env = { GATEHOUSE_DATA_DIR: mkdtempSync(join(root, 'data-')) }
    for (const name of ['Default', 'ROOT', 'ｄｅｆａｕｌｔ']) {
      const out = await run(['accounts', 'create', name], env)
      assert.equal(out.code, 1, `${name}: ${out.stdout}`)
      assert.match(out.stderr, new RegExp(`cannot create local account "${name}": the name is reserved \\(reservedNames, GATEHOUSE_RESERVED_NAMES\\)`))
    }
    const list = await run(['accounts', 'list'], env)
    assert.deepEqual(JSON.parse(list.stdout), { items: [], accounts: [] })
    // The list is configuration: a name taken off it becomes available.
    const allowed = await run(['accounts', 'create', 'Default'], { ...env, GATEHOUSE_RESERVED_NAMES: '["admin"]' })
    assert.equal(allowed.code, 0, allowed.stderr)
  })

  it('refuses the name of an existing project, and creates other names', async () => {
    const dataDir = mkdtempSync(join(root, 'data-'))
    await seedProject(dataDir, 'web')
    const env = { GATEHOUSE_DATA_DIR: dataDir }
    const refused = await run(['accounts', 'create', 'Web'], env)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /cannot create local account "Web": a project of that name exists/)
    const made = await run(['accounts', 'create', 'alice'], env)
    assert.equal(made.code, 0, made.stderr)
    assert.deepEqual(JSON.parse(made.stdout), { account: { username: 'alice', disabled: false, email: null, groups: [] } })
  })

  it('lets the configured bootstrap admin take its reserved name', async () => {
    const env = { GATEHOUSE_DATA_DIR: mkdtempSync(join(root, 'data-')), GATEHOUSE_BOOTSTRAP_ADMIN_USERNAME: 'root' }
    assert.equal((await run(['accounts', 'create', 'root'], env)).code, 0)
    assert.equal((await run(['accounts', 'create', 'admin'], env)).code, 1, 'admin is reserved when it is not the configured admin')
  })

  it('gives an account an email and groups at creation, and changes them with set', async () => {
    const env = { GATEHOUSE_DATA_DIR: mkdtempSync(join(root, 'data-')) }
    const made = await run(['accounts', 'create', 'ops', '--email', 'ops@example.com', '--group', 'kube-admins', '--group', 'argocd-admins'], env)
    assert.equal(made.code, 0, made.stderr)
    assert.deepEqual(JSON.parse(made.stdout).account.groups, ['kube-admins', 'argocd-admins'])
    const changed = await run(['accounts', 'set', 'OPS', '--group', 'viewers'], env)
    assert.equal(changed.code, 0, changed.stderr)
    assert.deepEqual(JSON.parse(changed.stdout), { account: { username: 'ops', email: 'ops@example.com', groups: ['viewers'] } })
    assert.equal((await run(['accounts', 'set', 'ops', '--no-email', '--no-groups'], env)).code, 0)
    const list = JSON.parse((await run(['accounts', 'list'], env)).stdout) as { accounts: Array<{ username: string; email: unknown; groups: unknown }> }
    assert.deepEqual(list.accounts.find((a) => a.username === 'ops'), { username: 'ops', disabled: false, email: null, groups: [] })
    const bad = await run(['accounts', 'set', 'ops', '--email', 'not an address'], env)
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /email must be an email address/)
    assert.equal((await run(['accounts', 'set', 'nobody', '--group', 'x'], env)).code, 2)
  })
})

describe('gatehouse accounts mfa', () => {
  it('lists an account\'s factors without secrets, resets them, and refuses unknown accounts and subcommands', async () => {
    const dataDir = mkdtempSync(join(root, 'data-'))
    const env = { GATEHOUSE_DATA_DIR: dataDir }
    assert.equal((await run(['accounts', 'create', 'ops'], env)).code, 0)
    const store = await openSqliteStore({ path: join(dataDir, 'gatehouse.db') })
    try {
      await store.localMfa.addFactor('ops', { id: 'f1', kind: 'totp', label: 'phone', secretCiphertext: 'v1.sealed-secret' }, ['h1', 'h2'])
      await store.localMfa.addFactor('ops', { id: 'f2', kind: 'webauthn', label: 'key', credentialId: 'cred', publicKey: 'public-key' })
    } finally {
      await store.close()
    }
    const listed = await run(['accounts', 'mfa', 'list', 'OPS'], env)
    assert.equal(listed.code, 0, listed.stderr)
    const out = JSON.parse(listed.stdout) as { username: string; factors: Array<Record<string, unknown>>; recoveryCodesLeft: number }
    assert.deepEqual({ username: out.username, kinds: out.factors.map((f) => [f.id, f.kind, f.label]), left: out.recoveryCodesLeft },
      { username: 'ops', kinds: [['f1', 'totp', 'phone'], ['f2', 'webauthn', 'key']], left: 2 })
    assert.doesNotMatch(listed.stdout, /sealed-secret|public-key|cred"/)
    const reset = await run(['accounts', 'mfa', 'reset', 'ops'], env)
    assert.equal(reset.code, 0, reset.stderr)
    assert.deepEqual(JSON.parse(reset.stdout), { reset: 'ops', factors: 2, recoveryCodes: 2 })
    assert.deepEqual(JSON.parse((await run(['accounts', 'mfa', 'list', 'ops'], env)).stdout).factors, [])
    assert.equal((await run(['accounts', 'mfa', 'list', 'nobody'], env)).code, 2)
    assert.equal((await run(['accounts', 'mfa', 'wipe', 'ops'], env)).code, 2)
    assert.equal((await run(['accounts', 'mfa', 'reset'], env)).code, 2)
  })
})
