// `npm run bench -- memory [--quick] [--bursts N] [--parallel N] [--pause S] [--node-args "..."] [--env K=V] [--db FILE]`:
// the server's memory under bursts of large queries. A Gatehouse server process runs on the check
// benchmark's data set (~200,000 tuples) plus two wide groups (40,000 members each, contributors on
// 5,000 projects each). Each burst fires `parallel` ListObjects (project#reader, half for ordinary
// users, half for wide-group members: up to 1,000 objects each) and `parallel` Expand (a wide
// group: 40,000 users) requests at once. After each burst, and after a pause, it prints the
// server's RSS, V8 heap and external memory as its /metrics reports them.
// `--db FILE` keeps the loaded SQLite file (and its data dir) between runs, loading it only when
// missing, so settings can be compared on the same data; `--node-args` and `--env` go to the server.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openGatehouse, modelFromDsl } from '../src/index.ts'
import { FULL, generate, MODEL_DSL, type DatasetSize, type Tuple } from './check/dataset.ts'
import { pick, seeded } from './lib/random.ts'
import { reportFigures } from './lib/figures.ts'
import { freePort, startGatehouseServer } from './lib/servers.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: {
    quick: { type: 'boolean', default: false },
    bursts: { type: 'string', default: '4' },
    parallel: { type: 'string', default: '40' },
    pause: { type: 'string', default: '10' },
    'node-args': { type: 'string', default: '' },
    db: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    'server-output': { type: 'string' },
  },
})
const size: DatasetSize = opts.quick
  ? { ...FULL, users: 1000, groupLevels: [40, 30, 20, 10], organizations: 10, projects: 1000, userGroupMemberships: 4000, checks: 0 }
  : { ...FULL, checks: 0 }
/** Wide groups: each has the same WIDE_MEMBERS users (ids of their own) and is a contributor on WIDE_PROJECTS projects. */
const WIDE_GROUPS = 2
const bursts = Number(opts.bursts)
const parallel = Number(opts.parallel)
const pauseMs = Number(opts.pause) * 1000

const WIDE_MEMBERS = opts.quick ? 4000 : 40_000
const WIDE_PROJECTS = Math.min(5000, size.projects)
const data = generate(size)
const tuples: Tuple[] = [...data.tuples]
for (let g = 0; g < WIDE_GROUPS; g++) {
  for (let u = 0; u < WIDE_MEMBERS; u++) tuples.push({ object: `group:wide${g}`, relation: 'member', user: `user:w${u}` })
  for (let p = 0; p < WIDE_PROJECTS; p++) tuples.push({ object: `project:p${(p * 2 + g) % size.projects}`, relation: 'contributor', user: `group:wide${g}#member` })
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-memory-'))
const dbFile = opts.db ? resolve(opts.db) : join(dir, 'bench.db')
const databaseUrl = `sqlite://${dbFile}`
let storeId: string
{
  const fresh = !existsSync(dbFile)
  const gh = await openGatehouse({ databaseUrl, dataDir: dirname(dbFile) })
  if (fresh) {
    const t0 = Date.now()
    const { id } = await gh.createStore({ name: 'bench-memory' })
    const { authorization_model_id: modelId } = await gh.writeAuthorizationModel(id, modelFromDsl(MODEL_DSL))
    // The wide groups repeat some project tuples at quick sizes: those are skipped.
    await gh.importTuples(id, tuples.map((tuple) => ({ tuple })), { authorizationModelId: modelId, onDuplicate: 'ignore' })
    console.log(`loaded ${tuples.length} tuples in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    storeId = id
  } else {
    storeId = (await gh.listStores()).stores.find((s: { name: string }) => s.name === 'bench-memory')!.id
    console.log(`reusing ${dbFile}`)
  }
  await gh.close()
}

const nodeArgs = opts['node-args'].split(' ').filter(Boolean)
const extraEnv = Object.fromEntries(opts.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
const port = await freePort()
const server = await startGatehouseServer(port, {
  GATEHOUSE_DATABASE_URL: databaseUrl,
  // The data dir holds the key that encrypts the stored signing keys: it goes with the database.
  GATEHOUSE_DATA_DIR: dirname(dbFile),
  ...extraEnv,
}, nodeArgs)
console.log(`server: node ${[...nodeArgs, 'src/main.ts serve'].join(' ')}${opts.env.length ? `, env: ${opts.env.join(' ')}` : ''}`)

interface Memory { rss: number; heap: number; heapTotal: number; external: number }

async function memory(): Promise<Memory> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const metric = (name: string) => {
    const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))
    return m ? Number(m[1]) / 2 ** 20 : NaN
  }
  return {
    rss: metric('process_resident_memory_bytes'),
    heap: metric('nodejs_heap_size_used_bytes'),
    heapTotal: metric('nodejs_heap_size_total_bytes'),
    external: metric('nodejs_external_memory_bytes'),
  }
}

const rand = seeded(7)
// Half the listed users are ordinary (in a few nested groups), half are members of the wide groups.
const users = [
  ...Array.from({ length: size.users }, (_, i) => `user:u${i}`).slice(0, WIDE_MEMBERS),
  ...Array.from({ length: WIDE_MEMBERS }, (_, i) => `user:w${i}`).slice(0, size.users),
]
const wideGroups = Array.from({ length: WIDE_GROUPS }, (_, g) => `group:wide${g}`)

interface Outcome { status: number; bytes: number; ms: number; code?: string }

async function post(path: string, body: unknown): Promise<Outcome> {
  const t0 = performance.now()
  const res = await fetch(`${server.url}/stores/${storeId}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const buf = await res.arrayBuffer()
  const out: Outcome = { status: res.status, bytes: buf.byteLength, ms: performance.now() - t0 }
  if (!res.ok) out.code = (JSON.parse(Buffer.from(buf).toString()) as { code?: string }).code
  return out
}

async function burst(): Promise<Outcome[]> {
  const requests: Promise<Outcome>[] = []
  for (let i = 0; i < parallel; i++) {
    requests.push(post('list-objects', { type: 'project', relation: 'reader', user: pick(rand, users) }))
    requests.push(post('expand', { tuple_key: { object: pick(rand, wideGroups), relation: 'member' } }))
  }
  return Promise.all(requests)
}

const mb = (n: number) => `${n.toFixed(0).padStart(6)} MB`
const row = (label: string, m: Memory, extra = '') =>
  console.log(`${label.padEnd(18)} rss ${mb(m.rss)}   heapUsed ${mb(m.heap)} of ${mb(m.heapTotal)}   external ${mb(m.external)}${extra}`)

// Expand of a 40,000-member group is refused by design (expandMaxLeaves); anything else is wrong.
const ANSWERS = new Set(['200', '400 exceeded_entity_limit'])
let peak = 0
let wrongAnswers = 0
try {
  // One request of each kind first, so the store's index is built before the baseline is read.
  await post('list-objects', { type: 'project', relation: 'reader', user: users[0] })
  await post('expand', { tuple_key: { object: wideGroups[0], relation: 'member' } })
  const warm = await memory()
  row('after warm-up', warm)
  for (let b = 1; b <= bursts; b++) {
    const t0 = performance.now()
    const outcomes = await burst()
    const ms = performance.now() - t0
    const statuses = new Map<string, number>()
    for (const o of outcomes) {
      const k = o.code ? `${o.status} ${o.code}` : String(o.status)
      statuses.set(k, (statuses.get(k) ?? 0) + 1)
    }
    for (const [k, n] of statuses) if (!ANSWERS.has(k)) wrongAnswers += n
    const bytes = outcomes.reduce((s, o) => s + o.bytes, 0)
    const summary = `   (${outcomes.length} requests in ${(ms / 1000).toFixed(1)} s, ${(bytes / 2 ** 20).toFixed(1)} MB of answers, ` +
      `${[...statuses].map(([k, n]) => `${n}× ${k}`).join(', ')})`
    const after = await memory()
    peak = Math.max(peak, after.rss)
    row(`after burst ${b}`, after, summary)
  }
  await new Promise((r) => setTimeout(r, pauseMs))
  const rested = await memory()
  row(`after ${opts.pause} s pause`, rested)
  if (wrongAnswers > 0) throw new Error(`${wrongAnswers} answers were neither 200 nor the expected 400 exceeded_entity_limit`)
  reportFigures([
    { bench: 'memory', name: `server RSS, peak over ${bursts} bursts`, value: peak, unit: 'MB', baseline: { name: 'after warm-up', value: warm.rss } },
    { bench: 'memory', name: `server RSS after ${opts.pause} s pause`, value: rested.rss, unit: 'MB', baseline: { name: 'after warm-up', value: warm.rss } },
  ])
} finally {
  const code = await server.stop()
  if (opts['server-output']) writeFileSync(opts['server-output'], server.output())
  else if (code) console.log(server.output())
  rmSync(dir, { recursive: true, force: true })
}
