// `npm run bench -- check [--quick] [--duration S] [--slices N] [--profile DIR]`: Check
// throughput and latency of (a) the in-process engine and (b) HTTP Check at 1 and 64
// connections, each next to its baseline from the same run — a naive Map evaluator, and bare
// node:http. Also cross-checks every answer against the naive evaluator, so a fast wrong engine
// cannot pass unnoticed. `--profile DIR` writes the server's CPU profile there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openGatehouse, modelFromDsl } from '../src/index.ts'
import { FULL, generate, MODEL_DSL, type DatasetSize } from './check/dataset.ts'
import { NaiveEvaluator } from './check/naive.ts'
import { assertAnswered, reportFigures, type Figure } from './lib/figures.ts'
import { runInterleaved, runLoad, type LoadResult } from './lib/http-load.ts'
import { freePort, startBareServer, startGatehouseServer } from './lib/servers.ts'
import { printTable, summarize, timeEach, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, duration: { type: 'string', default: '10' }, slices: { type: 'string', default: '5' }, profile: { type: 'string' } },
})
const size: DatasetSize = opts.quick
  ? { ...FULL, users: 1000, groupLevels: [40, 30, 20, 10], organizations: 10, projects: 1000, userGroupMemberships: 4000, checks: 2000 }
  : FULL
const duration = Number(opts.duration)
// Each row is measured in this many turns, interleaved with its baselines (see runInterleaved).
const slices = Number(opts.slices)

const t0 = Date.now()
const data = generate(size)
const model = modelFromDsl(MODEL_DSL)
console.log(`data set: ${data.tuples.length} tuples, ${data.checks.length} checks (generated in ${Date.now() - t0} ms)`)

// Baseline (a): the naive evaluator.
const naive = new NaiveEvaluator(model as never, data.tuples)
const expected = data.checks.map((c) => naive.check(c.object, c.relation, c.user))
const naiveRun = await timeEach(data.checks, (c) => naive.check(c.object, c.relation, c.user))
const allowedShare = expected.filter(Boolean).length / expected.length

// (a) The in-process engine on a SQLite file.
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const databaseUrl = `sqlite://${join(dir, 'bench.db')}`
const gh = await openGatehouse({ databaseUrl })
const { id: storeId } = await gh.createStore({ name: 'bench' })
const { authorization_model_id: modelId } = await gh.writeAuthorizationModel(storeId, model)
const loadStart = Date.now()
await gh.importTuples(storeId, data.tuples.map((tuple) => ({ tuple })), { authorizationModelId: modelId })
const loadMs = Date.now() - loadStart
console.log(`loaded through import in ${(loadMs / 1000).toFixed(1)} s (${Math.round(data.tuples.length / (loadMs / 1000))} tuples/s; npm run bench -- import measures it)`)

const bodies = data.checks.map((c) => ({ tuple_key: { object: c.object, relation: c.relation, user: c.user }, authorization_model_id: modelId }))
let mismatches = 0
const coldRun = await timeEach(bodies, async (b) => { await gh.check(storeId, b) })
for (let i = 0; i < bodies.length; i++) {
  const r = await gh.check(storeId, bodies[i])
  if (r.allowed !== expected[i]) mismatches++
}
const warmRun = await timeEach(bodies, (b) => gh.check(storeId, b))
const strongBodies = bodies.map((b) => ({ ...b, consistency: 'HIGHER_CONSISTENCY' }))
const strongRun = await timeEach(strongBodies, (b) => gh.check(storeId, b))
await gh.close()

const inProcess: Summary[] = [
  summarize('naive Map evaluator', naiveRun.latencies, naiveRun.elapsedNs),
  summarize('engine, first pass (index build)', coldRun.latencies, coldRun.elapsedNs),
  summarize('engine, warm', warmRun.latencies, warmRun.elapsedNs),
  summarize('engine, warm, HIGHER_CONSISTENCY', strongRun.latencies, strongRun.elapsedNs),
]
printTable(`in-process Check (SQLite; ${(allowedShare * 100).toFixed(0)} % allowed)`, inProcess, {
  'engine, warm': 'naive Map evaluator',
  'engine, warm, HIGHER_CONSISTENCY': 'naive Map evaluator',
})
if (mismatches) console.log(`\n!! ${mismatches} answers differ from the naive evaluator`)

// (b) HTTP Check against a Gatehouse server process on the same database.
const port = await freePort()
const server = await startGatehouseServer(port, {
  GATEHOUSE_DATABASE_URL: databaseUrl, GATEHOUSE_DATA_DIR: dir,
  ...(opts.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${opts.profile}` } : {}),
})
const bare = await startBareServer('{"allowed":true,"resolution":""}')
const bareFastify = await startBareServer('{"allowed":true,"resolution":""}', 'fastify')
const httpBodies = bodies.map((b) => JSON.stringify(b))
const checkUrl = `${server.url}/stores/${storeId}/check`
// Every timed HTTP answer is compared with the naive evaluator's.
const answers = expected.map((allowed) => Buffer.from(`"allowed":${allowed}`))
const rows: Summary[] = []
const vs: Record<string, string> = {}
try {
  await runLoad({ label: 'warm-up', url: checkUrl, connections: 16, duration: 3, bodies: httpBodies })
  for (const connections of [1, 64]) {
    const [base, framework, gate] = await runInterleaved([
      { label: `bare node:http, ${connections} conn`, url: bare.url, connections, duration, bodies: httpBodies },
      { label: `empty Fastify route, ${connections} conn`, url: `${bareFastify.url}/check`, connections, duration, bodies: httpBodies },
      { label: `Gatehouse check, ${connections} conn`, url: checkUrl, connections, duration, bodies: httpBodies, verify: (i, _head, body) => body.includes(answers[i]!) },
    ], slices)
    if (gate.non2xx || gate.errors) console.log(`!! ${gate.non2xx} non-2xx answers, ${gate.errors} errors`)
    rows.push(base, framework, gate)
    vs[gate.label] = base.label
    vs[framework.label] = base.label
  }
} finally {
  await server.stop()
  await bare.stop()
  await bareFastify.stop()
  rmSync(dir, { recursive: true, force: true })
}
printTable(`HTTP Check (${duration} s per row in ${slices} interleaved turns)`, rows, vs)
if (mismatches) throw new Error(`${mismatches} answers differ from the naive evaluator`)
assertAnswered(rows as LoadResult[])
const row = (label: string) => rows.find((r) => r.label === label)!
const figures: Figure[] = [
  { bench: 'check', name: 'in-process Check, warm', value: inProcess[2]!.rate, unit: '/s', baseline: { name: 'naive Map evaluator', value: inProcess[0]!.rate } },
]
for (const connections of [1, 64]) {
  const gate = row(`Gatehouse check, ${connections} conn`)
  const bareRow = row(`bare node:http, ${connections} conn`)
  figures.push({
    bench: 'check', name: `HTTP Check, ${connections} conn`, value: gate.rate, unit: '/s', baseline: { name: 'bare node:http', value: bareRow.rate },
    ...(connections === 64 ? { target: { of: 'ratio', atLeast: 0.6 } } : {}),
  })
  if (connections === 64) {
    figures.push({ bench: 'check', name: 'HTTP Check p99, 64 conn', value: gate.p99Us, unit: 'µs', baseline: { name: 'bare node:http p99', value: bareRow.p99Us }, target: { of: 'value', atMost: 5000 } })
  }
}
reportFigures(figures)
