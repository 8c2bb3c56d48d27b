#!/usr/bin/env node
// Launcher. Gatehouse needs Node >= 24. When started by an older Node (e.g. a distribution's),
// re-run the command with the Node 24 that `npm install` put in node_modules (the `node`
// devDependency). Plain JavaScript so any Node can parse it.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { constants } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'

const REQUIRED_MAJOR = 24
const major = Number(process.versions.node.split('.')[0])
const main = entryPoint()

if (major >= REQUIRED_MAJOR) {
  await import(pathToFileURL(main).href)
} else {
  const node = findBundledNode()
  if (node === undefined) {
    process.stderr.write(
      `gatehouse: needs Node.js >= ${REQUIRED_MAJOR} (this is ${process.version}). ` +
        'Run `npm install` in the gatehouse directory (it installs Node 24 as a dependency) or install Node 24.\n',
    )
    process.exit(1)
  }
  const child = spawn(node, [main, ...process.argv.slice(2)], { stdio: 'inherit' })
  // The child gets terminal signals itself; forward the ones sent to this process alone.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal)
    })
  }
  child.on('error', (err) => {
    process.stderr.write(`gatehouse: cannot start ${node}: ${err.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 1))
  })
}

// A checkout runs src/ as TypeScript. Node refuses to strip types under node_modules, so an
// installed package (which ships only dist/) runs the JavaScript that `npm pack` built.
function entryPoint() {
  const source = fileURLToPath(new URL('../src/main.ts', import.meta.url))
  const built = fileURLToPath(new URL('../dist/main.js', import.meta.url))
  const installed = fileURLToPath(import.meta.url).split(sep).includes('node_modules')
  if (existsSync(built) && (installed || !existsSync(source))) return built
  if (existsSync(source)) return source
  process.stderr.write(`gatehouse: neither ${source} nor ${built} exists; run \`npm run build\`.\n`)
  process.exit(1)
}

function findBundledNode() {
  const candidates = []
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json')
    candidates.push(join(dirname(pkg), 'bin', 'node'))
  } catch {
    // not resolvable from here; try the conventional location below
  }
  candidates.push(fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url)))
  for (const candidate of candidates) {
    for (const file of [candidate, candidate + '.exe']) if (existsSync(file)) return file
  }
  return undefined
}
