// A newcomer's first steps, checked from a clone in an empty directory (nothing beside it, no
// ../shared): `npm ci`, a quick part of `npm test` — OpenFGA's external matrix skipped with its
// reason, not failed — and the README's `npm start` up to a healthy /readyz.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { repoRoot } from '../support/gatehouse.ts'
import { freePort } from '../support/process.ts'

const isClone = existsSync(join(repoRoot, '.git')) && spawnSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).status === 0
const skip = isClone ? undefined : 'not a git checkout: nothing to clone'

describe('a fresh clone in an empty directory (slow: npm ci)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-clone-'))
  const clone = join(dir, 'gatehouse')
  // The environment a newcomer has: no CI flag, nothing pointing at the external matrix.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'NODE_TEST_CONTEXT' && !k.startsWith('GATEHOUSE_') && !k.startsWith('npm_')))
  after(() => rmSync(dir, { recursive: true, force: true }))

  const run = (cmd: string, args: string[], timeout = 300_000) => {
    const r = spawnSync(cmd, args, { cwd: clone, env, encoding: 'utf8', timeout })
    return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` }
  }

  it('installs, passes a quick part of the tests with the external matrix skipped, and starts healthy', async () => {
    assert.equal(spawnSync('git', ['clone', '--quiet', repoRoot, clone], { encoding: 'utf8' }).status, 0)
    const install = run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'])
    assert.equal(install.code, 0, install.out)

    const tests = run('npx', ['node', '--test', 'test/architecture.test.ts', 'src/authz/conformance.test.ts', 'src/config/config.test.ts'])
    assert.equal(tests.code, 0, tests.out)
    assert.match(tests.out, /OpenFGA's conformance matrix is not at .*: an external suite/)
    assert.match(tests.out, /^ℹ fail 0$/m)

    const port = await freePort()
    const server = spawn('npm', ['start'], { cwd: clone, env: { ...env, GATEHOUSE_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    server.stdout!.on('data', (d) => { output += String(d) })
    server.stderr!.on('data', (d) => { output += String(d) })
    try {
      let ready = false
      for (let i = 0; i < 300 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)
        if (!ready) await new Promise((r) => setTimeout(r, 200))
      }
      assert.ok(ready, output)
      // What the README promises the first start prints.
      assert.match(output, /listening on http:\/\/127\.0\.0\.1:\d+/)
      assert.match(output, /Bootstrap admin created: username "admin", password: \S+/)
      assert.ok(existsSync(join(clone, 'data', 'gatehouse.db')))
    } finally {
      process.kill(-server.pid!, 'SIGTERM')
      await new Promise((r) => server.once('exit', r))
    }
  })
})
