// Every runnable example of README.md and docs/*.md, run or validated as a reader would use it:
// shell blocks against a started Gatehouse (localhost:8080 rewritten to its address; variables a
// block sets reach the blocks after it, as in one terminal), JavaScript with Node against it,
// YAML through the loaders a start uses (bootstrap files applied to an empty in-memory database,
// settings through the schema). A block that cannot run here carries a marker saying why (see
// test/support/doc-blocks.ts), and the list below must name it: nothing stops running silently.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { parse as parseYaml } from 'yaml'
import { checkConfiguration } from '../src/app/index.ts'
import { loadConfig } from '../src/config/index.ts'
import { blockName, blocksOf, contains, documentationFiles, jsonObjectsIn, singleQuotedVariables, type DocBlock } from './support/doc-blocks.ts'
import { repoRoot, startGatehouse, type GatehouseProcess } from './support/gatehouse.ts'

/** Blocks marked not-run, by file and first line, with the start of the reason given there. */
const NOT_RUN: Record<string, string> = {
  'README.md: npm install && npm start': 'starts a server on port 8080',
  'README.md: npm test            # unit, store conformance (SQLite + PostgreSQL), O': 'the test suites',
  'docs/forward-auth.md: app.use((req, res, next) => {': 'needs Express',
  'docs/identity.md: curl -s -u "orders-worker:$SECRET" -d grant_type=client_credentials \\': 'needs the orders-worker client',
  "docs/identity.md: curl -s -d client_id=incus -d 'scope=openid offline_access email' -d a": 'a person enters the code',
  'docs/identity.md: curl -s -d grant_type=refresh_token -d client_id=incus -d refresh_toke': 'needs the refresh token',
  'docs/identity.md: incus config set oidc.issuer=https://id.example.com oidc.client.id=inc': 'needs a real Incus host',
  'docs/identity.md: mkdir pki && cd pki': 'a certificate authority',
  'docs/identity.md: curl -s -u "web:$WEB_SECRET" -d client_id=web -d response_type=code -d': 'needs the web client',
  'docs/identity.md: // dpop.mjs': 'needs the web client',
  "docs/identity.md: import { createRemoteJWKSet, jwtVerify } from 'jose'": 'a fragment of a receiver',
  'docs/identity.md: openssl pkcs12 -in svc-a.pfx -clcerts -nokeys -out svc-a.crt        # ': 'needs your',
  'docs/provisioning.md: # 1. A client certificate for Gatehouse (or split an existing .pfx: se': 'needs a real Incus host',
  'docs/tenancy.md: # With resourceServers: [{ indicator: https://id.example.com/api, scop': 'needs a deployment',
  'docs/tenancy.md: TOKEN=$(curl -s --cacert ca.crt --cert ci.crt --key ci.key https://id.': 'needs a deployment',
  'docs/tenancy.md: curl -s -H "Authorization: Bearer $ALICE_TOKEN" https://id.example.com': 'needs a deployment',
  'docs/tenancy.md: curl -s -X POST -H "Authorization: Bearer $PRESHARED_KEY" -H \'content-': 'needs a deployment',
  'docs/tenancy.md: curl -s -X POST https://id.example.com/stores/00000000000000000000SYST': 'needs a deployment',
  "docs/operations.md: # Node 24 is required. Where the distribution's Node is older (Debian ": "needs a production host",
  "docs/operations.md: GATEHOUSE_ISSUER=https://auth.example.com": "an environment file, not ",
  "docs/operations.md: # /usr/local/bin/gatehouse-admin \u2014 run as: sudo -u gatehouse gatehouse": "needs a production host",
  "docs/operations.md: docker build -f docs/operations/Dockerfile -t gatehouse .": "needs a Docker engine",
  "docs/operations.md: sudo -u gatehouse gatehouse-admin backup /var/backups/gatehouse/gateho": "needs a production host",
  "docs/operations.md: sudo systemctl stop gatehouse": "needs a production host",
  "docs/operations.md: pg_dump --format=custom --file=gatehouse-$(date +%F).dump 'postgres://": "needs a PostgreSQL deploy",
  "docs/provisioning-performance.md: npm run bench -- provisioning                      # both parts, SQLit": "a benchmark of a minute o",
}

const RUNNABLE = new Set(['sh', 'bash', 'yaml', 'js', 'ts'])
const SHELL = new Set(['sh', 'bash'])
/** Top-level keys only a bootstrap file has; anything else is a settings file. */
const BOOTSTRAP_ONLY = ['clients', 'applications', 'roles', 'organizations', 'globalBindings']
const DOCUMENTED_SERVER = /\b(localhost|127\.0\.0\.1):8080\b/g

const blocks = documentationFiles(repoRoot).flatMap((f) => blocksOf(repoRoot, f)).filter((b) => RUNNABLE.has(b.lang))
const at = (b: DocBlock) => `${b.file}:${b.line}`

/** Runs a program; resolves with its exit status and output (never rejects on a failure). */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += String(d) })
    child.stderr.on('data', (d) => { stderr += String(d) })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The `# {…}` answers a shell block shows after its commands: each must be in what it printed. */
function assertShownAnswers(b: DocBlock, stdout: string): void {
  const printed = jsonObjectsIn(stdout)
  for (const line of b.code.split('\n')) {
    const shown = /^#\s*(\{.*\})\s*$/.exec(line.trim())?.[1]
    if (shown === undefined) continue
    let expected: unknown
    try {
      expected = JSON.parse(shown)
    } catch {
      continue // an abridged answer (… in it) is for reading only
    }
    assert.ok(printed.some((p) => contains(p, expected)), `${at(b)} shows ${shown}, but printed:\n${stdout}`)
  }
}

describe('documentation examples', () => {
  it('marks only runnable blocks, and every block it does not run is listed here with its reason', (t) => {
    const notRun = blocks.filter((b) => b.marker?.kind === 'not-run')
    for (const b of notRun) t.diagnostic(`not run: ${at(b)} (${b.marker!.text})`)
    assert.deepEqual(notRun.map(blockName).sort(), Object.keys(NOT_RUN).sort())
    for (const b of notRun) {
      assert.ok(b.marker!.text.startsWith(NOT_RUN[blockName(b)]!), `${at(b)}: the reason "${b.marker!.text}" is not the one listed`)
    }
  })

  it('never single-quotes a variable in a shell block, run or not (it would never expand)', () => {
    for (const b of blocks.filter((x) => SHELL.has(x.lang))) {
      assert.deepEqual(singleQuotedVariables(b.code), [], `${at(b)}: use double quotes`)
    }
    assert.deepEqual(singleQuotedVariables(`curl -H 'authorization: Bearer $KEY' -d '{}'`), [`'authorization: Bearer $KEY'`])
  })

  it('names, for each block run elsewhere, a test that reads that page', () => {
    const elsewhere = blocks.filter((b) => b.marker?.kind === 'tested-by')
    assert.ok(elsewhere.length > 0)
    for (const b of elsewhere) {
      const test = b.marker!.text.split(/\s/)[0]!
      assert.ok(existsSync(join(repoRoot, test)), `${at(b)}: ${test} does not exist`)
      const page = b.file.split('/').pop()!
      assert.match(readFileSync(join(repoRoot, test), 'utf8'), new RegExp(page.replace('.', '\\.')), `${at(b)}: ${test} does not read ${page}`)
    }
  })
})

describe('documentation examples: YAML through the loaders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-yaml-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  let previous: DocBlock | undefined
  for (const b of blocks.filter((x) => x.lang === 'yaml')) {
    const before = previous
    previous = b
    if (b.marker?.kind === 'not-run' || b.marker?.kind === 'tested-by') continue
    it(`${at(b)} is a valid ${b.marker?.kind === 'settings-only' ? 'settings file (schema only)' : 'bootstrap or settings file'}`, async () => {
      const text = b.marker?.kind === 'continues-above' ? `${before!.code}\n${b.code}` : b.code
      const keys = Object.keys((parseYaml(text) ?? {}) as object)
      const bootstrap = keys.some((k) => BOOTSTRAP_ONLY.includes(k))
      const where = mkdtempSync(join(dir, 'block-'))
      const path = join(where, bootstrap ? 'bootstrap.yaml' : 'gatehouse.yaml')
      writeFileSync(path, text)
      // Secret files a reader keeps next to the file: any content of the right length.
      for (const [, name] of text.matchAll(/\b(?:secretFile|clientSecretFile):\s*([^\s,}#]+)/g)) {
        if (!name!.startsWith('/')) writeFileSync(join(where, name!), 'a-documentation-example-secret-0123456789\n')
      }
      const { config } = loadConfig({
        env: { GATEHOUSE_DATA_DIR: join(where, 'data'), GATEHOUSE_DATABASE_URL: 'sqlite::memory:', [bootstrap ? 'GATEHOUSE_BOOTSTRAP_FILE' : 'GATEHOUSE_CONFIG']: path },
      })
      if (b.marker?.kind !== 'settings-only') assert.match(await checkConfiguration(config), /^configuration is valid/)
    })
  }
})

describe('documentation examples: shell and JavaScript against a running Gatehouse', () => {
  let server: GatehouseProcess
  let dir: string
  let state: string
  let env: NodeJS.ProcessEnv
  let address: string
  before(async () => {
    server = await startGatehouse({ GATEHOUSE_BOOTSTRAP_PASSWORD: 'a documentation example password' })
    address = new URL(server.url).host
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-run-'))
    // `gatehouse` as an installed package provides it, on the server's database.
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'gatehouse'), `#!/bin/sh\nexec '${process.execPath}' '${join(repoRoot, 'src/main.ts')}' "$@"\n`)
    chmodSync(join(bin, 'gatehouse'), 0o755)
    // Programs import their packages from here, as from a project that installed them.
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'))
    state = join(dir, 'state.sh')
    // What a reader sets beforehand: the preshared key (none is configured, so any value passes).
    writeFileSync(state, 'KEY=any-value\n')
    env = { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`, GATEHOUSE_DATA_DIR: server.dataDir, GATEHOUSE_LOG_LEVEL: 'warn' }
  })
  after(async () => {
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  for (const b of blocks.filter((x) => x.lang !== 'yaml')) {
    if (b.marker !== undefined) continue
    if (SHELL.has(b.lang)) {
      it(`${at(b)} runs as written`, async () => {
        const script = [
          'set -euo pipefail',
          // Everything a block sets is kept for the blocks after it, as in one terminal.
          'set -a',
          `. '${state}'`,
          // An HTTP error fails the block instead of printing quietly.
          'curl() { command curl --fail-with-body --silent --show-error "$@"; }',
          b.code.replace(DOCUMENTED_SERVER, address),
          `export -p > '${state}'`,
        ].join('\n')
        const result = await run('bash', ['-c', script], { cwd: repoRoot, env })
        assert.equal(result.code, 0, `${at(b)} failed:\n${result.stdout}\n${result.stderr}\n--- server ---\n${server.output().slice(-3000)}`)
        assertShownAnswers(b, result.stdout)
      })
    } else {
      it(`${at(b)} runs with Node`, async () => {
        const program = join(dir, `example-${b.line}.${b.lang === 'ts' ? 'mts' : 'mjs'}`)
        writeFileSync(program, b.code
          .replace(DOCUMENTED_SERVER, address)
          // The published package's main export is this repository's src/index.ts.
          .replaceAll(`'gatehouse-server'`, `'${pathToFileURL(join(repoRoot, 'src/index.ts')).href}'`))
        const result = await run(process.execPath, [program], { cwd: dir, env })
        assert.equal(result.code, 0, `${at(b)} failed:\n${result.stdout}\n${result.stderr}`)
        // `console.log(x) // shown`: what the page says it prints.
        for (const [, shown] of b.code.matchAll(/console\.log\(.*\)\s*\/\/\s*(.+)$/gm)) {
          assert.ok(result.stdout.includes(shown!.trim()), `${at(b)} should print ${shown}, printed:\n${result.stdout}`)
        }
      })
    }
  }
})
