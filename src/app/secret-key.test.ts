import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../config/index.ts'
import { resolveSecretKey } from './secret-key.ts'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('resolveSecretKey', () => {
  it('refuses PostgreSQL without a configured secret key, naming the env var', () => {
    const { config } = loadConfig({ env: {} })
    assert.throws(
      () => resolveSecretKey(config, { kind: 'postgres', connectionString: 'postgres://127.0.0.1/x' }),
      (err: unknown) => err instanceof ConfigError && /GATEHOUSE_SECRET_KEY.*required with PostgreSQL/.test(err.message),
    )
  })

  it('uses the configured key as given', () => {
    const { config } = loadConfig({ env: { GATEHOUSE_SECRET_KEY: 'c'.repeat(40) } })
    assert.deepEqual(resolveSecretKey(config, { kind: 'postgres', connectionString: 'postgres://127.0.0.1/x' }), { value: 'c'.repeat(40), origin: 'config' })
  })

  it('generates a key file once with SQLite (mode 0600) and reads it back afterwards', () => {
    const dataDir = join(dir, 'data')
    const { config } = loadConfig({ env: { GATEHOUSE_DATA_DIR: dataDir } })
    const target = { kind: 'sqlite' as const, path: join(dataDir, 'gatehouse.db') }
    const first = resolveSecretKey(config, target)
    assert.equal(first.origin, 'generated')
    assert.equal(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600)
    const second = resolveSecretKey(config, target)
    assert.equal(second.origin, 'file')
    assert.equal(second.value, first.value)
    assert.equal(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim(), first.value)
  })

  it('uses a throwaway key for an in-memory database and writes nothing', () => {
    const { config } = loadConfig({ env: { GATEHOUSE_DATA_DIR: join(dir, 'mem') } })
    assert.equal(resolveSecretKey(config, { kind: 'sqlite', path: ':memory:' }).origin, 'ephemeral')
    assert.throws(() => statSync(join(dir, 'mem', 'secret.key')))
  })
})
