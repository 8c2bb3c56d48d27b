// Builds the published form of the package: JavaScript + declarations in dist/ (tsconfig.build.json),
// plus the non-TypeScript files src/ reads at run time (SQL migrations), at the same relative paths.
// Node does not strip types under node_modules, so an installed Gatehouse must run from dist/.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const src = join(root, 'src')
const dist = join(root, 'dist')

// Start clean so files deleted from src/ do not linger in the package.
rmSync(dist, { recursive: true, force: true })

const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' })

// Everything under src/ that is not TypeScript is a run-time asset (e.g. store/*/migrations/*.sql).
// The conformance suite is test support and is left out of the build, so skip its folder too.
const testOnly = join(src, 'store', 'conformance')
cpSync(src, dist, { recursive: true, filter: (from) => from !== testOnly && !from.endsWith('.ts') })
