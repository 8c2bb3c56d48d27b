// Gatehouse as a dependency: `npm pack` the repository, install the tarball into a fresh project
// and use it the way a consumer does — import it (JavaScript and types from dist/, since Node
// does not strip types under node_modules) and run the installed `gatehouse` command.
// SLOW: packing builds dist/ with tsc, and the install fetches the dependencies from the npm
// registry (or the local npm cache): expect tens of seconds on a fresh machine.
import assert from 'node:assert/strict'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'

const repoRoot = resolve(import.meta.dirname, '..', '..')
const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH/

/**
 * Environment for child npm and node processes: this Node 24 first on PATH, and none of the
 * npm_* variables an enclosing `npm test` sets (npm_config_local_prefix would point a nested
 * `npm install` back at the repository).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter)
  return env
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: timeoutMs })
}

function describeRun(res: SpawnSyncReturns<string>): string {
  return `exit ${res.status}${res.error ? ` (${res.error.message})` : ''}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`
}

const EMBED_SCRIPT = `import { modelFromDsl, openGatehouse, type Gatehouse } from 'gatehouse-server'

const gh: Gatehouse = await openGatehouse({ databaseUrl: 'sqlite::memory:' })
const { id: store } = await gh.createStore({ name: 'embedded' })
await gh.writeAuthorizationModel(store, modelFromDsl(\`model
  schema 1.1
type user
type document
  relations
    define viewer: [user]\`))
await gh.write(store, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'document:plan' }] } })
console.log(await gh.check(store, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:plan' } }))
await gh.close()

// Fails the type check if the package's types did not resolve (everything would be \`any\`).
// @ts-expect-error databaseUrl is a string
void (() => openGatehouse({ databaseUrl: 42 }))
`

describe('the packed package, installed into another project (slow: npm pack + npm install)', () => {
  let work: string
  let project: string
  let skipReason: string | undefined

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'gatehouse-package-'))
    const packDir = join(work, 'pack')
    mkdirSync(packDir)

    // prepack builds dist/ in the repository; the tarball holds what `files` lists.
    const pack = run('npm', ['pack', '--pack-destination', packDir, '--loglevel=error'], repoRoot, 180_000)
    assert.equal(pack.status, 0, `npm pack failed: ${describeRun(pack)}`)
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'))
    assert.equal(tarballs.length, 1, `expected one tarball in ${packDir}, got ${tarballs.join(', ')}`)

    project = join(work, 'consumer')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'gatehouse-consumer', private: true, type: 'module' }, null, 2))
    const install = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', join(packDir, tarballs[0])],
      project,
      300_000,
    )
    if (install.status !== 0 && NETWORK_ERROR.test(install.stderr) && process.env.CI !== 'true') {
      skipReason = 'the npm registry is unreachable (required when CI=true)'
      return
    }
    assert.equal(install.status, 0, `npm install of the tarball failed: ${describeRun(install)}`)
  })

  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it('ships the built JavaScript, declarations and migrations, not the TypeScript sources or tests', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    const installed = join(project, 'node_modules', 'gatehouse-server')
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/main.js', 'bin/gatehouse.mjs',
      'dist/store/sqlite/migrations/0001_initial.sql', 'dist/store/postgres/migrations/0001_initial.sql']) {
      assert.ok(existsSync(join(installed, file)), `${file} missing from the installed package`)
    }
    assert.ok(!existsSync(join(installed, 'src')), 'src/ should not be published')
    assert.ok(!existsSync(join(installed, 'test')), 'test/ should not be published')
    const tests = readdirSync(join(installed, 'dist'), { recursive: true }).filter((f) => String(f).includes('.test.'))
    assert.deepEqual(tests, [])
  })

  it('runs the embedding example with `import ... from "gatehouse-server"`', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    writeFileSync(join(project, 'embed.ts'), EMBED_SCRIPT)
    const res = run(process.execPath, ['embed.ts'], project)
    assert.equal(res.status, 0, describeRun(res))
    assert.match(res.stdout, /allowed: true/)
  })

  it('type-checks a consumer against the published declarations', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    writeFileSync(join(project, 'embed.ts'), EMBED_SCRIPT)
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true,
        allowImportingTsExtensions: true, skipLibCheck: true,
        // The consumer brings its own @types/node; borrow this repository's rather than download it.
        types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')],
      },
      files: ['embed.ts'],
    }, null, 2))
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
    const res = run(process.execPath, [tsc, '-p', 'tsconfig.json'], project)
    assert.equal(res.status, 0, describeRun(res))
  })

  it('runs the installed `gatehouse` command', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    const bin = join(project, 'node_modules', '.bin', 'gatehouse')
    const help = run(bin, ['--help'], project)
    assert.equal(help.status, 0, describeRun(help))
    assert.match(help.stdout, /^Usage: gatehouse /)
    assert.match(help.stdout, /serve\s+Run the HTTP server/)

    // `migrate` reads the SQL migrations shipped next to dist/, on a file database this time.
    const migrate = run(bin, ['migrate'], project)
    assert.equal(migrate.status, 0, describeRun(migrate))
    assert.match(migrate.stdout, /migrations applied/)
  })
})
