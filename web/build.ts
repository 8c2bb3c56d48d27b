// Builds the admin console into web/dist: one script and one stylesheet, named by their content
// hash, and the index.html that loads them (no inline code: the console's CSP forbids it). The
// output is committed, so `npm install && npm start` serves the console without a build step;
// `npm run build:web -- --check` fails when web/dist is not what the sources build.

import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { BASE_STYLE, DESIGN_TOKENS } from '../src/identity/page-style.ts'

const here = import.meta.dirname
const dist = join(here, 'dist')

const hash = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex').slice(0, 10).toUpperCase()

export async function buildConsole(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: [join(here, 'src/main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    outfile: 'console.js',
    logLevel: 'silent',
  })
  const js = result.outputFiles[0]!.text
  const css = DESIGN_TOKENS + BASE_STYLE + readFileSync(join(here, 'src/console.css'), 'utf8').replace(/\/\*[^*]*\*\//g, '').replace(/\n/g, '')
  const jsName = `console-${hash(js)}.js`
  const cssName = `console-${hash(css)}.css`
  const index = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<title>Gatehouse console</title><link rel="icon" href="data:,">' +
    `<link rel="stylesheet" href="/admin/assets/${cssName}"><script type="module" src="/admin/assets/${jsName}"></script></head>` +
    '<body><div id="app"></div><noscript><p>The Gatehouse console needs JavaScript.</p></noscript></body></html>\n'
  return new Map([['index.html', index], [`assets/${jsName}`, js], [`assets/${cssName}`, css]])
}

function listDist(): string[] {
  try {
    return [...readdirSync(dist).filter((f) => f !== 'assets'), ...readdirSync(join(dist, 'assets')).map((f) => `assets/${f}`)].sort()
  } catch {
    return []
  }
}

/** Differences between web/dist and a fresh build, as lines; empty when up to date. */
export async function staleFiles(): Promise<string[]> {
  const built = await buildConsole()
  const problems: string[] = []
  const present = listDist()
  for (const [name, content] of built) {
    if (!present.includes(name)) problems.push(`missing ${name}`)
    else if (readFileSync(join(dist, name), 'utf8') !== content) problems.push(`differs ${name}`)
  }
  for (const name of present) if (!built.has(name)) problems.push(`left over ${name}`)
  return problems
}

if (import.meta.main) {
  if (process.argv.includes('--check')) {
    const problems = await staleFiles()
    if (problems.length > 0) {
      console.error(`web/dist is out of date (run npm run build:web):\n  ${problems.join('\n  ')}`)
      process.exit(1)
    }
  } else {
    const built = await buildConsole()
    rmSync(dist, { recursive: true, force: true })
    mkdirSync(join(dist, 'assets'), { recursive: true })
    for (const [name, content] of built) writeFileSync(join(dist, name), content)
    console.log(`web/dist: ${[...built.keys()].join(', ')}`)
  }
}
