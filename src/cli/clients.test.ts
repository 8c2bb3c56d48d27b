import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCaptured } from '../../test/support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-clients-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const env = {
  GATEHOUSE_DATABASE_URL: `sqlite://${join(dir, 'g.db')}`,
  GATEHOUSE_LOG_LEVEL: 'silent',
  GATEHOUSE_BOOTSTRAP_PASSWORD: 'a-long-bootstrap-password',
}

const run = (argv: string[], extra: Record<string, string> = {}) => runCaptured(argv, { ...env, ...extra }, dir)

describe('gatehouse clients / bootstrap', () => {
  it('creates, lists, gets, rotates and deletes a client on the configured database', async () => {
    writeFileSync(join(dir, 'svc.yaml'), 'id: svc\ntype: confidential\ngrantTypes: [client_credentials]\n')
    const created = await run(['clients', 'create', '--file', 'svc.yaml'])
    assert.equal(created.code, 0, created.stderr)
    assert.equal(created.json.client.source, 'cli')
    const secret = created.json.secret as string
    assert.ok(secret.length >= 32)

    const listed = await run(['clients', 'list'])
    assert.deepEqual(listed.json.items.map((c: { id: string }) => c.id), ['svc'])
    assert.deepEqual(listed.json.clients, listed.json.items, 'the old key, for one release')
    const got = await run(['clients', 'get', 'svc'])
    assert.equal(got.json.client.id, 'svc')
    assert.ok(!got.stdout.includes(secret))

    const rotated = await run(['clients', 'rotate-secret', 'svc'])
    assert.equal(rotated.code, 0)
    assert.notEqual(rotated.json.secret, secret)

    assert.equal((await run(['clients', 'delete', 'svc'])).code, 0)
    const gone = await run(['clients', 'get', 'svc'])
    assert.equal(gone.code, 1)
    assert.match(gone.stderr, /client svc not found/)
  })

  it('exits 1 with the reason on bad metadata and 2 on bad usage', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ id: 'bad', type: 'public', redirectUris: ['javascript:x'] }))
    const bad = await run(['clients', 'create', '-f', 'bad.json'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /redirectUris\[0\]/)
    assert.equal((await run(['clients', 'create'])).code, 2)
    assert.equal((await run(['clients', 'frob'])).code, 2)
    assert.equal((await run(['clients', 'get'])).code, 2)
  })

  it('bootstrap applies the file and creates the admin; a second run changes nothing', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'file-secret-0123456789abcdefghijklmnop\n')
    writeFileSync(join(dir, 'boot.yaml'), [
      'clients:',
      '  - id: web',
      '    type: confidential',
      '    redirectUris: ["https://app.example.com/cb"]',
      '    secretFile: secret.txt',
      '',
    ].join('\n'))
    const extra = { GATEHOUSE_BOOTSTRAP_FILE: join(dir, 'boot.yaml') }
    const first = await run(['bootstrap'], extra)
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual(first.json.clients, { created: 1, updated: 0, deleted: 0, unchanged: 0 })
    assert.deepEqual(first.json.admin, { username: 'admin', created: true })
    const second = await run(['bootstrap'], extra)
    assert.deepEqual(second.json.clients, { created: 0, updated: 0, deleted: 0, unchanged: 1 })
    assert.equal(second.json.admin.created, false)

    writeFileSync(join(dir, 'boot.yaml'), 'clients:\n  - id: web\n    type: confidential\n    redirectUris: ["https://app.example.com/cb"]\n')
    const missing = await run(['bootstrap'], extra)
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /boot\.yaml/)
    assert.match(missing.stderr, /clients\[0\]: client web is confidential: give secret or secretFile/)
  })

  it('accepts scopes of a resource server the bootstrap file declares, as the server does', async () => {
    writeFileSync(join(dir, 'rs.yaml'), 'resourceServers:\n  - indicator: https://orders.example.test\n    scopes: [orders:read]\n')
    writeFileSync(join(dir, 'orders.yaml'), 'id: orders-reader\ntype: confidential\ngrantTypes: [client_credentials]\nscopes: [orders:read]\n')
    const created = await run(['clients', 'create', '--file', 'orders.yaml'], { GATEHOUSE_BOOTSTRAP_FILE: join(dir, 'rs.yaml') })
    assert.equal(created.code, 0, created.stderr)
    const refused = await run(['clients', 'create', '--file', 'orders.yaml'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /orders:read/)
  })
})

describe('gatehouse accounts', () => {
  it('resets a lost admin password: the old one stops working, the new one is shown once', async () => {
    const first = await run(['bootstrap'])
    assert.equal(first.code, 0, first.stderr)
    const reset = await run(['accounts', 'set-password', 'admin'])
    assert.equal(reset.code, 0, reset.stderr)
    const password = /Password for "admin": (\S+)/.exec(reset.stderr)?.[1]
    assert.ok(password && password.length >= 12)
    assert.ok(!reset.stdout.includes(password))
    const { openLocalAccountAdmin } = await import('../app/index.ts')
    const { loadConfig } = await import('../config/index.ts')
    const admin = await openLocalAccountAdmin(loadConfig({ env }).config)
    try {
      await assert.rejects(admin.accounts.verify('admin', 'a-long-bootstrap-password'), { code: 'invalid_credentials' })
      assert.equal((await admin.accounts.verify('admin', password)).username, 'admin')
    } finally {
      await admin.close()
    }
    const chosen = await run(['accounts', 'set-password', 'admin'], { GATEHOUSE_NEW_PASSWORD: 'short' })
    assert.equal(chosen.code, 2)
    assert.equal((await run(['accounts', 'set-password', 'nobody'], { GATEHOUSE_NEW_PASSWORD: 'another-long-password' })).code, 2)
    const disabled = await run(['accounts', 'disable', 'admin'])
    assert.equal(disabled.code, 0)
    assert.deepEqual((await run(['accounts', 'list'])).json.accounts, [{ username: 'admin', disabled: true, email: null, groups: [] }])
  })
})
