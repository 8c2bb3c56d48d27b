// `npm run bench -- NAME [options]`: runs bench/NAME.ts. Benchmarks print throughput and p50/p99
// next to a baseline measured in the same run; they are not tests and assert nothing about time,
// but a bench whose timed answers are wrong fails (exit 1).
//
// `npm run bench [-- --full]`: every bench, one after another, each in its own process (quick
// sizes unless --full), then one table of every figure with its baseline, ratio and target.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { FIGURES_FILE_ENV, printFigures, targetMet, type Figure } from './lib/figures.ts'

const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort()

/** Arguments for the quick run of each bench (default --quick); shorter rows than a bench's own default. */
const QUICK_ARGS: Record<string, string[]> = {
  check: ['--quick', '--duration', '3', '--slices', '3'],
  'forward-auth': ['--quick', '--slices', '3'],
  memory: ['--quick', '--bursts', '2', '--pause', '2'],
}
/** Arguments for --full: each bench's own full defaults. */
const FULL_ARGS: Record<string, string[]> = {}

const name = process.argv[2]
if (name === undefined || name === '--full') {
  await runAll(name === '--full')
} else if (!available.includes(name)) {
  console.error(`usage: npm run bench [-- --full]   every bench, one table\n       npm run bench -- NAME [options]\navailable: ${available.join(', ')}`)
  process.exit(name === '--help' || name === '-h' ? 0 : 1)
} else {
  await import(`./${name}.ts`)
}

async function runAll(full: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-all-'))
  const file = join(dir, 'figures.jsonl')
  const failed: string[] = []
  const started = Date.now()
  try {
    for (const bench of available) {
      const args = full ? FULL_ARGS[bench] ?? [] : QUICK_ARGS[bench] ?? ['--quick']
      console.log(`\n=== ${bench} ${args.join(' ')}`)
      const t0 = Date.now()
      const result = spawnSync(process.execPath, [join(import.meta.dirname, 'run.ts'), bench, ...args], {
        stdio: 'inherit', env: { ...process.env, [FIGURES_FILE_ENV]: file },
      })
      console.log(`=== ${bench}: ${result.status === 0 ? 'done' : `FAILED (exit ${result.status ?? result.signal})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      if (result.status !== 0) failed.push(bench)
    }
    let figures: Figure[] = []
    try {
      figures = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Figure)
    } catch { /* no bench reported */ }
    const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.versions.node}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`
    printFigures(`All benches (${full ? 'full' : 'quick'} sizes, ${((Date.now() - started) / 60000).toFixed(1)} min; ${machine})`, figures)
    const targets = figures.filter((f) => f.target)
    console.log(`\n${targets.filter((f) => targetMet(f)).length} of ${targets.length} targets met` +
      (failed.length > 0 ? `; FAILED (wrong answers or errors): ${failed.join(', ')}` : '; every bench verified its answers'))
    if (failed.length > 0) process.exitCode = 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
