// `npm run bench -- start [--runs N] [--quick]`: start-to-ready of a server process on SQLite, from
// spawning `node src/main.ts serve` to the first 200 from /readyz: a first start on an empty data
// directory (schema, signing keys, the admin) and a restart of it. The baseline is bare node:http
// from spawn to its first answer, in the same rounds. Each start's own CPU time (all its threads,
// from /proc) is printed beside its wall time: on a busy machine it is the steadier figure.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from './lib/servers.ts'
import { median } from './lib/stats.ts'
import { reportFigures } from './lib/figures.ts'

const { values: opts } = parseArgs({ args: process.argv.slice(3), options: { runs: { type: 'string' }, quick: { type: 'boolean' } } })
const RUNS = Number(opts.runs ?? (opts.quick ? 3 : 7))
const root = join(import.meta.dirname, '..')

interface Start { wallMs: number; cpuMs: number }

/** CPU time of a process so far (user + system, every thread), or NaN off Linux. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

/** Spawns `args`, polls `url` every 5 ms until `ok`, returns the time and the child's CPU, then stops it. */
async function timeStart(args: string[], env: Record<string, string>, url: string, ok: (res: Response) => Promise<boolean>): Promise<Start> {
  const t0 = performance.now()
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (d) => { err += String(d) })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}): ${err}`)
      const res = await fetch(url).catch(() => undefined)
      if (res?.ok) {
        const wallMs = performance.now() - t0
        const cpuMs = cpuMsOf(child.pid!)
        if (!(await ok(res))) throw new Error(`wrong answer from ${url}`)
        return { wallMs, cpuMs }
      }
      await res?.arrayBuffer()
      if (performance.now() - t0 > 60_000) throw new Error(`not ready after 60 s: ${err}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

async function bare(): Promise<Start> {
  const port = await freePort()
  return timeStart([join(import.meta.dirname, 'lib/bare-server.ts')], { BARE_PORT: String(port) }, `http://127.0.0.1:${port}/`,
    async (res) => (await res.json() as { allowed?: boolean }).allowed === true)
}

async function gatehouse(dir: string): Promise<Start> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  return timeStart(['src/main.ts', 'serve'], { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), GATEHOUSE_LOG_LEVEL: 'warn' },
    `${url}/readyz`, async (res) => {
      await res.arrayBuffer()
      // Ready means serving: discovery names the configured issuer and the keys are published.
      const discovery = await (await fetch(`${url}/.well-known/openid-configuration`)).json() as { issuer?: string }
      const jwks = await (await fetch(`${url}/jwks`)).json() as { keys?: unknown[] }
      return discovery.issuer === url && (jwks.keys?.length ?? 0) >= 2
    })
}

const rows: Record<'bare' | 'first' | 'restart', Start[]> = { bare: [], first: [], restart: [] }
const dirs: string[] = []
try {
  // One untimed start first: it fills Node's compile cache, as the first start on a machine does.
  const warm = mkdtempSync(join(tmpdir(), 'gatehouse-bench-start-'))
  dirs.push(warm)
  await gatehouse(warm)
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-start-'))
    dirs.push(dir)
    rows.bare.push(await bare())
    rows.first.push(await gatehouse(dir))
    rows.restart.push(await gatehouse(dir))
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}

const fmt = (xs: Start[]) => `${median(xs.map((x) => x.wallMs)).toFixed(0).padStart(6)} ms wall  ${median(xs.map((x) => x.cpuMs)).toFixed(0).padStart(6)} ms CPU` +
  `   (wall ${Math.min(...xs.map((x) => x.wallMs)).toFixed(0)}–${Math.max(...xs.map((x) => x.wallMs)).toFixed(0)} ms)`
console.log(`\nStart-to-ready, SQLite, medians of ${RUNS} interleaved rounds`)
console.log(`  bare node:http, spawn to first answer       ${fmt(rows.bare)}`)
console.log(`  first start, empty data directory           ${fmt(rows.first)}`)
console.log(`  restart of that store                       ${fmt(rows.restart)}`)

const baseline = { name: 'bare node:http, spawn to first answer', value: median(rows.bare.map((x) => x.wallMs)) }
reportFigures([
  { bench: 'start', name: 'start-to-ready, first start (empty store)', value: median(rows.first.map((x) => x.wallMs)), unit: 'ms', baseline, target: { of: 'value', atMost: 1000 } },
  { bench: 'start', name: 'start-to-ready, restart', value: median(rows.restart.map((x) => x.wallMs)), unit: 'ms', baseline, target: { of: 'value', atMost: 1000 } },
  { bench: 'start', name: 'CPU of a first start', value: median(rows.first.map((x) => x.cpuMs)), unit: 'ms', baseline: { name: 'bare node:http', value: median(rows.bare.map((x) => x.cpuMs)) } },
])
