import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, describe, it } from 'node:test'
import { runCaptured } from '../../test/support/cli.ts'

const repoRoot = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const run = (argv: string[], env: Record<string, string> = {}) => runCaptured(argv, env, dir)

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text)
  return name
}

describe('gatehouse CLI', () => {
  it('prints help, and exits 2 on an unknown command or option', async () => {
    const help = await run(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /model validate FILE/)
    assert.equal((await run(['frobnicate'])).code, 2)
    assert.equal((await run(['serve', '--bogus'])).code, 2)
    assert.equal((await run([])).code, 2)
  })

  it('config check validates without starting: a summary, or the problem and exit 1', async () => {
    const ok = await run(['config', 'check'], { GATEHOUSE_DATABASE_URL: 'sqlite::memory:' })
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stdout, /^configuration is valid/)
    const bad = await run(['config', 'check'], { GATEHOUSE_PROVISIONING: JSON.stringify({ rules: [{ id: 'r', on: ['user.signed_in'], webhook: { target: 'none' } }] }) })
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /provisioning\.rules\[0\] \(r\)\.webhook\.target: no target none is declared/)
    const typo = await run(['config', 'check'], { GATEHOUSE_PROT: '1' })
    assert.notEqual(typo.code, 0)
    assert.match(typo.stderr, /did you mean GATEHOUSE_PORT/)
  })

  it('config check and serve refuse a cookie domain browsers would drop, before anything starts', async () => {
    for (const argv of [['config', 'check'], ['serve']]) {
      const res = await run(argv, { GATEHOUSE_DATABASE_URL: 'sqlite::memory:', GATEHOUSE_PORT: '0', GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: 'localtest' })
      assert.equal(res.code, 2, `${argv.join(' ')}: ${res.code} ${res.stderr}`)
      assert.match(res.stderr, /GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN.*localtest is a single label/)
    }
    const outside = await run(['config', 'check'], { GATEHOUSE_DATABASE_URL: 'sqlite::memory:', GATEHOUSE_FORWARD_AUTH_COOKIE_DOMAIN: 'example.com' })
    assert.notEqual(outside.code, 0)
    assert.match(outside.stderr, /must contain the issuer's host 127\.0\.0\.1/)
  })

  it('config print shows the effective config with secrets redacted', async () => {
    const res = await run(['config', 'print'], { GATEHOUSE_PRESHARED_KEYS: 'abc-very-secret', GATEHOUSE_PORT: '9999' })
    assert.equal(res.code, 0)
    assert.match(res.stdout, /port: 9999 +# GATEHOUSE_PORT, environment/)
    assert.doesNotMatch(res.stdout, /abc-very-secret/)
  })

  it('reads --config FILE', async () => {
    const cfg = file('c.yaml', 'port: 7777\n')
    const res = await run(['--config', cfg, 'config', 'print'])
    assert.match(res.stdout, /port: 7777 +# GATEHOUSE_PORT, file/)
  })

  it('exits 2 on bad configuration with a message naming key and env var, never a stack trace', async () => {
    const res = await run(['serve'], { GATEHOUSE_PORT: 'http' })
    assert.equal(res.code, 2)
    assert.match(res.stderr, /port \(GATEHOUSE_PORT\): must be a whole number/)
    assert.doesNotMatch(res.stderr, /\n\s+at /)
  })

  it('refuses to serve on a public address without a preshared key (exit 2)', async () => {
    const res = await run(['serve'], { GATEHOUSE_HOST: '0.0.0.0', GATEHOUSE_DATABASE_URL: 'sqlite::memory:' })
    assert.equal(res.code, 2)
    assert.match(res.stderr, /refusing to listen on 0\.0\.0\.0/)
    assert.match(res.stderr, /GATEHOUSE_ALLOW_UNAUTHENTICATED=true/)
  })

  it('config docs writes the reference to --out', async () => {
    const res = await run(['config', 'docs', '--out', 'configuration.md'])
    assert.equal(res.code, 0)
    assert.match(readFileSync(join(dir, 'configuration.md'), 'utf8'), /GATEHOUSE_LIST_OBJECTS_MAX_RESULTS/)
  })

  it('migrate creates and migrates the SQLite database', async () => {
    const res = await run(['migrate'], { GATEHOUSE_DATA_DIR: join(dir, 'migrated') })
    assert.equal(res.code, 0, res.stderr)
    assert.ok(existsSync(join(dir, 'migrated', 'gatehouse.db')))
    assert.match(res.stdout, /migrations applied: SQLite /)
  })
})

describe('gatehouse model validate', () => {
  const valid = `model
  schema 1.1
type user
type document
  relations
    define viewer: [user]
`

  it('exits 0 for a valid DSL model', async () => {
    const res = await run(['model', 'validate', file('ok.fga', valid)])
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout, /ok\.fga: valid \(2 types, 0 conditions\)/)
  })

  it('exits 0 for a valid JSON model', async () => {
    const model = { schema_version: '1.1', type_definitions: [{ type: 'user' }] }
    const res = await run(['model', 'validate', file('ok.json', JSON.stringify(model))])
    assert.equal(res.code, 0, res.stderr)
  })

  it('exits 1 and lists the problems of a DSL syntax error, with its line', async () => {
    const res = await run(['model', 'validate', file('syntax.fga', 'model\n  schema 1.1\ntype user\n  relations\n    define viewer [user]\n')])
    assert.equal(res.code, 1)
    assert.match(res.stderr, /syntax\.fga: invalid model/)
    assert.match(res.stderr, /  - .*line[ =]\d+, column[ =]\d+: missing ':'/)
  })

  it('exits 1 for a model that parses but is invalid', async () => {
    const res = await run(['model', 'validate', file('undefined.fga', 'model\n  schema 1.1\ntype document\n  relations\n    define viewer: editor\n')])
    assert.equal(res.code, 1)
    assert.match(res.stderr, /undefined\.fga: invalid model/)
  })

  it('exits 1 for broken JSON and for a missing file, 2 without FILE', async () => {
    assert.equal((await run(['model', 'validate', file('broken.json', '{"schema_version":')])).code, 1)
    const missing = await run(['model', 'validate', 'missing.fga'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /missing\.fga: cannot read: file not found/)
    assert.equal((await run(['model', 'validate'])).code, 2)
  })
})

describe('bin/gatehouse.mjs', () => {
  const bin = join(repoRoot, 'bin', 'gatehouse.mjs')

  it('runs under Node 24', () => {
    const res = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })
    assert.equal(res.status, 0, res.stderr)
    assert.match(res.stdout, /^gatehouse \d+\.\d+\.\d+/)
  })

  it('re-runs itself with the bundled Node when started by an older system node', (t) => {
    const system = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' })
    if (system.status !== 0 || Number(system.stdout.slice(1).split('.')[0]) >= 24) return t.skip('no older system node')
    const res = spawnSync('/usr/bin/node', [bin, 'config', 'print'], { encoding: 'utf8', env: { ...process.env, GATEHOUSE_PORT: '4321' } })
    assert.equal(res.status, 0, res.stderr)
    assert.match(res.stdout, /port: 4321/)
    const bad = spawnSync('/usr/bin/node', [bin, 'config', 'print'], { encoding: 'utf8', env: { ...process.env, GATEHOUSE_PORT: 'x' } })
    assert.equal(bad.status, 2)
  })
})
