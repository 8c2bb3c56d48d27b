// The layering of DESIGN.md, enforced: which module may import which, where drivers and Fastify
// may appear, that other modules are reached through their index.ts, and that modules form no
// cycle. Reads import statements only; runs nothing.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'

const root = resolve(import.meta.dirname, '..')
const src = join(root, 'src')

/** Lower layers first; a module may import only modules listed before it (and itself). */
const LAYERS = ['lib', 'config', 'store', 'authz', 'tenancy', 'identity', 'forwardauth']
/** Modules outside the chain and what they may import. */
const EXTRA: Record<string, string[]> = {
  provisioning: ['lib', 'config', 'store'],
  http: [...LAYERS, 'provisioning'],
  app: ['*'],
  cli: ['*'],
}
const DRIVERS = ['pg', 'node:sqlite', 'kysely']

interface Import { file: string; spec: string; typeOnly: boolean }

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : []
  })
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8')
  const out: Import[] = []
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm
  for (const m of text.matchAll(re)) out.push({ file, spec: m[3] ?? m[4], typeOnly: Boolean(m[2]) })
  return out
}

/** Top-level module of a file under src/ ('main.ts' and 'index.ts' count as the package root). */
function moduleOf(file: string): string {
  const rel = relative(src, file).split('/')
  return rel.length === 1 ? '(root)' : rel[0]
}

function allowed(from: string, to: string): boolean {
  if (from === to || from === '(root)') return true
  const extra = EXTRA[from]
  if (extra) return extra.includes('*') || extra.includes(to)
  const i = LAYERS.indexOf(from)
  const j = LAYERS.indexOf(to)
  return i >= 0 && j >= 0 && j < i
}

const files = walk(src).filter((f) => !f.endsWith('.test.ts'))
const edges = files.flatMap(importsOf).map((imp) => {
  const target = imp.spec.startsWith('.') ? resolve(dirname(imp.file), imp.spec) : null
  return { ...imp, target, from: moduleOf(imp.file), to: target && target.startsWith(src) ? moduleOf(target) : null }
})

describe('architecture', () => {
  it('has modules to check', () => {
    assert.ok(files.length > 10, 'expected source files under src/')
  })

  it('modules import only the layers below them', () => {
    const bad = edges.filter((e) => e.to && !allowed(e.from, e.to))
      .map((e) => `${relative(root, e.file)} imports ${e.spec} (${e.from} → ${e.to})`)
    assert.deepEqual(bad, [])
  })

  it('SQL drivers appear only in src/store, Fastify only in src/http', () => {
    const bad = edges.filter((e) => {
      const inStore = e.from === 'store'
      const inHttp = e.from === 'http'
      if (DRIVERS.some((d) => e.spec === d || e.spec.startsWith(d + '/'))) return !inStore
      if (e.spec === 'fastify' || e.spec.startsWith('@fastify/')) return !inHttp
      return false
    }).map((e) => `${relative(root, e.file)} imports ${e.spec}`)
    assert.deepEqual(bad, [])
  })

  it('other modules are reached through their index.ts (app may wire backends directly)', () => {
    const bad = edges.filter((e) => {
      if (!e.to || !e.target || e.to === e.from || e.from === 'app' || e.from === '(root)') return false
      const rel = relative(join(src, e.to), e.target)
      if (rel === 'index.ts') return false
      // The engine may import the store's contract and error codes (types and one error class).
      if (e.from === 'authz' && e.to === 'store' && (rel === 'types.ts' || rel === 'errors.ts')) return false
      return true
    }).map((e) => `${relative(root, e.file)} imports ${e.spec}`)
    assert.deepEqual(bad, [])
  })

  it('only src/app constructs the store backends', () => {
    const bad = edges.filter((e) => e.target && /src\/store\/(sqlite|postgres)(\/|$)/.test(e.target) &&
      e.from !== 'app' && e.from !== 'store')
      .map((e) => `${relative(root, e.file)} imports ${e.spec}`)
    assert.deepEqual(bad, [])
  })

  it('modules form no import cycle', () => {
    const graph = new Map<string, Set<string>>()
    for (const e of edges) {
      if (!e.to || e.to === e.from || e.typeOnly) continue
      if (!graph.has(e.from)) graph.set(e.from, new Set())
      graph.get(e.from)!.add(e.to)
    }
    const state = new Map<string, 'open' | 'done'>()
    const cycles: string[] = []
    const visit = (n: string, path: string[]) => {
      if (state.get(n) === 'done') return
      if (state.get(n) === 'open') { cycles.push([...path.slice(path.indexOf(n)), n].join(' → ')); return }
      state.set(n, 'open')
      for (const m of graph.get(n) ?? []) visit(m, [...path, n])
      state.set(n, 'done')
    }
    for (const n of graph.keys()) visit(n, [])
    assert.deepEqual(cycles, [])
  })

  it('each module index.ts starts with a two-line header (purpose; what it may import)', () => {
    const bad = readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((d) => {
      let text: string
      try { text = readFileSync(join(src, d.name, 'index.ts'), 'utf8') } catch { return [`src/${d.name} has no index.ts`] }
      const [a, b] = text.split('\n')
      return a?.startsWith('//') && b?.startsWith('//') && /import/i.test(b) ? [] : [`src/${d.name}/index.ts`]
    })
    assert.deepEqual(bad, [])
  })
})

describe('the console (web/)', () => {
  const web = join(root, 'web', 'src')
  const webFiles = readdirSync(web, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name)).map((e) => join(e.parentPath, e.name))

  it('talks to the HTTP API only: from src/ it imports types, never code', () => {
    const bad = webFiles.flatMap((file) => {
      const text = readFileSync(file, 'utf8')
      return [...text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)]
        .filter((m) => resolve(dirname(file), m[3]!).startsWith(src) && !m[2])
        .map((m) => `${relative(root, file)} imports ${m[3]}`)
    })
    assert.deepEqual(bad, [])
  })

  it('is never imported by the server', () => {
    const bad = edges.filter((e) => e.target?.startsWith(join(root, 'web'))).map((e) => `${relative(root, e.file)} imports ${e.spec}`)
    assert.deepEqual(bad, [])
  })
})
