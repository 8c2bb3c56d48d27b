// `npm run bench -- import [--quick] [--backend sqlite|postgres] [--batch N] [--rounds N]`: bulk loading the check
// benchmark's data set (~200,000 tuples; --quick ~20,000) on SQLite (file, synchronous=FULL) and
// PostgreSQL, each into a fresh, migrated database:
//   - baseline: raw INSERTs of the same rows through the driver into the two tables any write
//     fills, tuples and changelog, in transactions of the same size, the fastest way each driver
//     offers (SQLite: prepared row statements reused; PostgreSQL: 200-row statements) — no
//     validation, no revision, no duplicate handling, no in-memory index;
//   - the engine's import in process (openGatehouse().importTuples): validation against the model,
//     changelog, revisions, in-memory index;
//   - POST /stores/{id}/import to a server process, the body streamed as JSON Lines;
//   - Write, 100 tuples per request, on the first 20,000 tuples (what loading cost before).
// Cases take turns over --rounds rounds (median). Every run's count of tuples and changelog
// entries is checked afterwards; a wrong count fails the bench. On a PostgreSQL server on this
// machine, each case also reports the CPU time its database backends spent per tuple (from
// /proc/<pid>/schedstat): unlike rates, it hardly moves with the machine's load.
import { DatabaseSync } from 'node:sqlite'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { modelFromDsl, openGatehouse } from '../src/index.ts'
import { createTestDatabase, postgresUnavailableReason } from '../test/support/postgres.ts'
import { FULL, generate, MODEL_DSL, type DatasetSize, type Tuple } from './check/dataset.ts'
import { reportFigures, type Figure } from './lib/figures.ts'
import { freePort, startGatehouseServer } from './lib/servers.ts'
import { median, printTable, type Summary } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: { quick: { type: 'boolean', default: false }, backend: { type: 'string' }, batch: { type: 'string', default: '5000' }, rounds: { type: 'string' } },
})
const ROUNDS = Number(opts.rounds ?? (opts.quick ? 3 : 1))
const size: DatasetSize = opts.quick
  ? { ...FULL, users: 1000, groupLevels: [40, 30, 20, 10], organizations: 10, projects: 1000, userGroupMemberships: 4000, checks: 0 }
  : { ...FULL, checks: 0 }
const BATCH = Number(opts.batch)
const WRITE_SAMPLE = 20_000
const TARGET = 50_000
const ROWS_PER_STATEMENT = 200

const tuples = generate(size).tuples
const model = modelFromDsl(MODEL_DSL)
const figures: Figure[] = []
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-import-'))

/** A tuple's row, as the store writes it to the tuples table and (with operation 'write') the changelog. */
function row(storeId: string, t: Tuple, ordinal: number): unknown[] {
  const colon = t.object.indexOf(':')
  return [storeId, t.object.slice(0, colon), t.object.slice(colon + 1), t.relation, t.user, null, null, Date.now(), 1, ordinal]
}

/** Two statements, the same rows: into tuples, and into the changelog (which the store must write too). */
function insertSql(rows: number, param: (n: number) => string): [string, string] {
  const values = (extra: string) => Array.from({ length: rows }, (_, r) => `(${Array.from({ length: 10 }, (_, c) => param(r * 10 + c + 1)).join(', ')}${extra})`).join(', ')
  const columns = 'store_id, object_type, object_id, relation, subject, condition_name, condition_context, created_at'
  return [
    `INSERT INTO tuples (${columns}, write_revision, write_ordinal) VALUES ${values('')}`,
    `INSERT INTO changelog (${columns}, revision, ordinal, operation) VALUES ${values(", 'write'")}`,
  ]
}

interface Backend {
  name: string
  /** How the raw baseline inserts. */
  rawMethod: string
  /** A fresh, migrated database; `close` removes it. */
  fresh(): Promise<{ url: string; close(): Promise<void> }>
  /** Raw multi-row INSERTs of `tuples` for `storeId` in transactions of BATCH rows; returns seconds. `timed` runs before its connection closes. */
  raw(url: string, storeId: string, timed: () => Promise<void>): Promise<number>
  count(url: string, storeId: string): Promise<{ tuples: number; changes: number }>
}

const sqlite: Backend = {
  name: 'SQLite',
  async fresh() {
    const file = join(dir, `sqlite-${Math.random().toString(36).slice(2)}.db`)
    return { url: `sqlite://${file}`, close: async () => { for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true }) } }
  },
  rawMethod: 'one prepared row statement per table, reused (faster than multi-row VALUES in node:sqlite)',
  async raw(url, storeId, timed) {
    const db = new DatabaseSync(url.slice('sqlite://'.length))
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON')
    const [tuplesSql, changesSql] = insertSql(1, (n) => `?${n}`).map((sql) => db.prepare(sql))
    const t0 = performance.now()
    for (let i = 0; i < tuples.length; i += BATCH) {
      db.exec('BEGIN IMMEDIATE')
      for (let j = i; j < Math.min(i + BATCH, tuples.length); j++) {
        const values = row(storeId, tuples[j]!, j) as never[]
        tuplesSql!.run(...values)
        changesSql!.run(...values)
      }
      db.exec('COMMIT')
    }
    const seconds = (performance.now() - t0) / 1000
    await timed()
    db.close()
    return seconds
  },
  async count(url, storeId) {
    const db = new DatabaseSync(url.slice('sqlite://'.length))
    const one = (sql: string) => Number((db.prepare(sql).get(storeId) as { n: number }).n)
    const out = { tuples: one('SELECT count(*) AS n FROM tuples WHERE store_id = ?'), changes: one('SELECT count(*) AS n FROM changelog WHERE store_id = ?') }
    db.close()
    return out
  },
}

const postgres: Backend = {
  name: 'PostgreSQL',
  rawMethod: `${ROWS_PER_STATEMENT}-row INSERT statements per table, prepared`,
  async fresh() {
    const db = await createTestDatabase()
    return { url: db.url, close: () => db.drop() }
  },
  async raw(url, storeId, timed) {
    const client = new pg.Client({ connectionString: url })
    client.on('error', () => {})
    await client.connect()
    const t0 = performance.now()
    for (let i = 0; i < tuples.length; i += BATCH) {
      await client.query('BEGIN')
      for (let j = i; j < Math.min(i + BATCH, tuples.length); j += ROWS_PER_STATEMENT) {
        const part = tuples.slice(j, Math.min(j + ROWS_PER_STATEMENT, i + BATCH, tuples.length))
        const values = part.flatMap((t, k) => row(storeId, t, j + k))
        const [tuplesSql, changesSql] = insertSql(part.length, (n) => `$${n}`)
        await client.query({ name: `raw-t-${part.length}`, text: tuplesSql, values })
        await client.query({ name: `raw-c-${part.length}`, text: changesSql, values })
      }
      await client.query('COMMIT')
    }
    const seconds = (performance.now() - t0) / 1000
    await timed()
    await client.end()
    return seconds
  },
  async count(url, storeId) {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const one = async (sql: string) => Number((await client.query(sql, [storeId])).rows[0].n)
    const out = { tuples: await one('SELECT count(*) AS n FROM tuples WHERE store_id = $1'), changes: await one('SELECT count(*) AS n FROM changelog WHERE store_id = $1') }
    await client.end()
    return out
  },
}

/** CPU milliseconds used so far by each PostgreSQL backend serving `url`'s database; undefined when the server's processes are not visible here. */
async function backendCpu(url: string): Promise<Map<number, number> | undefined> {
  if (!url.startsWith('postgres')) return undefined
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
    const out = new Map<number, number>()
    for (const { pid } of rows as { pid: number }[]) {
      try {
        out.set(pid, Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6)
      } catch {
        return undefined
      }
    }
    return out
  } finally {
    await client.end()
  }
}

/** CPU milliseconds a process has used (all its threads), from /proc; undefined elsewhere. */
function processCpu(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in clock ticks of 1/100 s
  } catch {
    return undefined
  }
}

/**
 * CPU of a case, sampled before it starts and right after its timed part: the database's backends
 * (those that quit in between are missed) and the process running Gatehouse (`pid`; this one
 * for the in-process cases).
 */
async function cpuMeter(url: string, pid = process.pid): Promise<{ timed(): Promise<void>; ms(): { db?: number; app?: number } }> {
  const before = await backendCpu(url)
  const appBefore = processCpu(pid)
  const spent: { db?: number; app?: number } = {}
  return {
    async timed() {
      const appAfter = processCpu(pid)
      if (appBefore !== undefined && appAfter !== undefined) spent.app = appAfter - appBefore
      const after = await backendCpu(url)
      if (before === undefined || after === undefined) return
      spent.db = 0
      for (const [backend, ms] of after) spent.db += ms - (before.get(backend) ?? 0)
    },
    ms: () => spent,
  }
}

/** A migrated database with one store holding the model; returns the store id. */
async function prepare(url: string): Promise<{ storeId: string; modelId: string }> {
  const gh = await openGatehouse({ databaseUrl: url, dataDir: dir })
  try {
    const { id } = await gh.createStore({ name: 'bench-import' })
    const { authorization_model_id: modelId } = await gh.writeAuthorizationModel(id, model)
    return { storeId: id, modelId }
  } finally {
    await gh.close()
  }
}

async function verify(b: Backend, url: string, storeId: string, expected: number, what: string, changelog: boolean): Promise<void> {
  const n = await b.count(url, storeId)
  if (n.tuples !== expected || (changelog && n.changes !== expected)) {
    throw new Error(`${b.name}, ${what}: ${n.tuples} tuples and ${n.changes} changes stored, expected ${expected}`)
  }
}

function rateRow(label: string, count: number, seconds: number): Summary {
  return { label, count, rate: count / seconds, p50Us: NaN, p99Us: NaN }
}

/** A case on a fresh database: it loads `count` tuples, checks they are all there, and answers the seconds it took and the database CPU (ms) when measured. */
interface Case {
  label: string
  count: number
  run(b: Backend, url: string): Promise<{ seconds: number; cpuMs: { db?: number; app?: number } }>
}

const CASES: Case[] = [
  {
    label: 'raw INSERTs, tuples + changelog',
    count: tuples.length,
    async run(b, url) {
      const { storeId } = await prepare(url)
      const cpu = await cpuMeter(url)
      const seconds = await b.raw(url, storeId, cpu.timed)
      await verify(b, url, storeId, tuples.length, 'raw INSERT', true)
      return { seconds, cpuMs: cpu.ms() }
    },
  },
  {
    label: 'import, in process',
    count: tuples.length,
    async run(b, url) {
      const { storeId, modelId } = await prepare(url)
      const gh = await openGatehouse({ databaseUrl: url, dataDir: dir })
      const cpu = await cpuMeter(url)
      const t0 = performance.now()
      const result = await gh.importTuples(storeId, tuples.map((tuple) => ({ tuple })), { authorizationModelId: modelId, batchSize: BATCH })
      const seconds = (performance.now() - t0) / 1000
      await cpu.timed()
      await gh.close()
      if (result.imported !== tuples.length) throw new Error(`${b.name}: imported ${result.imported} of ${tuples.length}`)
      await verify(b, url, storeId, tuples.length, 'import in process', true)
      return { seconds, cpuMs: cpu.ms() }
    },
  },
  {
    label: 'POST /stores/{id}/import (JSON Lines, server process)',
    count: tuples.length,
    async run(b, url) {
      const { storeId } = await prepare(url)
      const port = await freePort()
      const server = await startGatehouseServer(port, { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: 'bench-secret-key-not-secret-0123456789abcdef' })
      try {
        const encoder = new TextEncoder()
        let next = 0
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (next >= tuples.length) return controller.close()
            controller.enqueue(encoder.encode(tuples.slice(next, next + 1000).map((t) => JSON.stringify(t)).join('\n') + '\n'))
            next += 1000
          },
        })
        const cpu = await cpuMeter(url, server.child.pid)
        const t0 = performance.now()
        const res = await fetch(`${server.url}/stores/${storeId}/import?batch_size=${BATCH}`, {
          method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, duplex: 'half',
        } as RequestInit)
        const answer = (await res.json()) as { imported?: number }
        const seconds = (performance.now() - t0) / 1000
        await cpu.timed()
        if (res.status !== 200 || answer.imported !== tuples.length) throw new Error(`${b.name}: HTTP import answered ${res.status} ${JSON.stringify(answer)}`)
        await verify(b, url, storeId, tuples.length, 'HTTP import', true)
        return { seconds, cpuMs: cpu.ms() }
      } finally {
        await server.stop()
      }
    },
  },
  {
    // The path bulk loads took before, on a sample.
    label: `Write, 100 per request (first ${Math.min(WRITE_SAMPLE, tuples.length)} tuples)`,
    count: Math.min(WRITE_SAMPLE, tuples.length),
    async run(b, url) {
      const { storeId, modelId } = await prepare(url)
      const gh = await openGatehouse({ databaseUrl: url, dataDir: dir })
      const sample = tuples.slice(0, WRITE_SAMPLE)
      const cpu = await cpuMeter(url)
      const t0 = performance.now()
      for (let i = 0; i < sample.length; i += 100) await gh.write(storeId, { writes: { tuple_keys: sample.slice(i, i + 100) }, authorization_model_id: modelId })
      const seconds = (performance.now() - t0) / 1000
      await cpu.timed()
      await gh.close()
      await verify(b, url, storeId, sample.length, 'Write', true)
      return { seconds, cpuMs: cpu.ms() }
    },
  },
]

async function measure(b: Backend): Promise<void> {
  // Cases take turns, round after round, so a swing in the machine's load falls on all of them.
  const seconds = CASES.map((): number[] => [])
  const cpuUs = CASES.map(() => ({ db: [] as number[], app: [] as number[] }))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of CASES.entries()) {
      const db = await b.fresh()
      try {
        const outcome = await c.run(b, db.url)
        seconds[i]!.push(outcome.seconds)
        const { db: dbMs, app: appMs } = outcome.cpuMs
        if (dbMs !== undefined) cpuUs[i]!.db.push((dbMs * 1000) / c.count)
        if (appMs !== undefined) cpuUs[i]!.app.push((appMs * 1000) / c.count)
      } finally {
        await db.close()
      }
    }
  }
  const rows = CASES.map((c, i) => rateRow(c.label, c.count, median(seconds[i]!)))
  const [raw, inProcess, http, write] = rows as [Summary, Summary, Summary, Summary]
  printTable(`bulk load, ${b.name}: ${tuples.length} tuples, transactions of ${BATCH}; median of ${ROUNDS} rounds (rates are tuples/s; baseline: ${b.rawMethod})`, rows, {
    [inProcess.label]: raw.label, [http.label]: raw.label, [write.label]: raw.label,
  })
  const perTuple = (us: number[]) => (us.length === ROUNDS ? `${median(us).toFixed(1)} µs` : '–')
  console.log(`\nCPU per tuple (median; app: the process running Gatehouse, the bench's own for raw and in process; database: ${b.name === 'SQLite' ? 'in the app' : 'its backends'}):`)
  for (const [i, c] of CASES.entries()) console.log(`  ${c.label.split(' (')[0].padEnd(32)} app ${perTuple(cpuUs[i]!.app).padEnd(9)} database ${perTuple(cpuUs[i]!.db)}`)
  const vsRaw = { name: 'raw INSERTs', value: raw.rate }
  figures.push(
    { bench: 'import', name: `${b.name}, HTTP import`, value: http.rate, unit: '/s', baseline: vsRaw, target: { of: 'value', atLeast: TARGET } },
    { bench: 'import', name: `${b.name}, import in process`, value: inProcess.rate, unit: '/s', baseline: vsRaw, target: { of: 'value', atLeast: TARGET } },
    { bench: 'import', name: `${b.name}, Write 100/request`, value: write.rate, unit: '/s', baseline: vsRaw },
  )
}

try {
  console.log(`data set: ${tuples.length} tuples`)
  if (opts.backend !== 'postgres') await measure(sqlite)
  if (opts.backend !== 'sqlite') {
    const unavailable = await postgresUnavailableReason()
    if (unavailable === undefined) await measure(postgres)
    else console.log(`\nPostgreSQL skipped: ${unavailable}`)
  }
  reportFigures(figures)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
