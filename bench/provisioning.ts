// `npm run bench -- provisioning [--quick] [--only delivery|sign-in] [--backend sqlite|postgres]
// [--events N] [--sign-ins N] [--profile DIR]`:
// (1) outbox delivery of `user.signed_in` events to a local webhook receiver (signatures checked,
// every event counted once) on a temporary SQLite file and on a throwaway PostgreSQL database,
// next to the same number of signed POSTs sent straight with deliverWebhook at the same
// concurrency; (2) full federated sign-ins through a Gatehouse server with and without rules
// that enqueue four actions per sign-in, interleaved in rounds. `--profile DIR` writes CPU
// profiles of this process (delivery) and of the servers (sign-in) there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openPostgresStore } from '../src/store/postgres/index.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import { createTestDatabase, postgresUnavailableReason } from '../test/support/postgres.ts'
import { startDeliveryBench } from './lib/outbox-delivery.ts'
import { benchSignIns } from './lib/sign-in-load.ts'
import { rateFigures, reportFigures, type Figure } from './lib/figures.ts'
import { printTable } from './lib/stats.ts'

const { values: opts } = parseArgs({
  args: process.argv.slice(3),
  options: {
    quick: { type: 'boolean', default: false }, only: { type: 'string' }, backend: { type: 'string' }, events: { type: 'string' },
    'sign-ins': { type: 'string' }, profile: { type: 'string' },
  },
})
const EVENTS = Number(opts.events ?? (opts.quick ? 1000 : 5000))
const SIGN_INS = Number(opts['sign-ins'] ?? (opts.quick ? 60 : 200))
const CONCURRENCY = 4
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-provisioning-'))

const figures: Figure[] = []
try {
  if (opts.only !== 'sign-in') await deliveryPart()
  if (opts.only !== 'delivery') await signInPart()
  reportFigures(figures)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

async function deliveryPart(): Promise<void> {
  const bench = await startDeliveryBench({
    events: EVENTS, users: Math.max(1, Math.round(EVENTS / 5)), paced: Math.round(EVENTS / 2), pacedRate: 500, concurrency: CONCURRENCY, rounds: 5, dir,
  })
  try {
    if (opts.backend !== 'postgres') {
      const sqlite = await openSqliteStore({ path: join(dir, 'outbox.db') })
      await sqlite.migrate()
      const a = await bench.rows('SQLite', sqlite).finally(() => sqlite.close())
      printTable(`Outbox delivery to a local webhook receiver, ${EVENTS} events, concurrency ${CONCURRENCY} (SQLite file)`, a.rows, a.vs)
      figures.push(...rateFigures('provisioning', a.rows, a.vs))
      printCpu(a.cpuPerEvent)
    }
    if (opts.backend === 'sqlite') return
    const unavailable = await postgresUnavailableReason()
    if (unavailable !== undefined) {
      console.log(`\nPostgreSQL skipped: ${unavailable}`)
      return
    }
    const db = await createTestDatabase()
    try {
      const pg = await openPostgresStore({ connectionString: db.url })
      await pg.migrate()
      const b = await bench.rows('PostgreSQL', pg).finally(() => pg.close())
      printTable(`Outbox delivery to a local webhook receiver, ${EVENTS} events, concurrency ${CONCURRENCY} (PostgreSQL)`, b.rows, b.vs)
      figures.push(...rateFigures('provisioning', b.rows, b.vs))
      printCpu(b.cpuPerEvent)
    } finally {
      await db.drop()
    }
  } finally {
    await bench.close()
  }
}

/** CPU time per event is steadier than rates on a shared machine. */
function printCpu(cpuPerEvent: Record<string, number>): void {
  console.log('CPU of this process (worker or client, and receiver) per event: ' +
    Object.entries(cpuPerEvent).map(([label, us]) => `${label.split(': ')[1]} ${us.toFixed(0)} µs`).join('; '))
}

async function signInPart(): Promise<void> {
  const result = await benchSignIns({ signIns: SIGN_INS, concurrency: CONCURRENCY, dir, ...(opts.profile ? { profileDir: opts.profile } : {}) })
  printTable(`Federated sign-ins through a Gatehouse server (SQLite), ${SIGN_INS} per server, concurrency ${CONCURRENCY}, interleaved rounds`, result.rows, result.vs)
  console.log(`with rules: ${result.slowerPercent >= 0 ? `${result.slowerPercent.toFixed(1)} % slower` : `${(-result.slowerPercent).toFixed(1)} % faster`} (sign-ins/s); ` +
    `${result.enqueued} outbox rows written, all delivered: webhooks received ${result.webhooks}, tuples in the store ${result.tuples}`)
  // Target: sign-ins with rules at most 10 % slower than without.
  figures.push(...rateFigures('provisioning', result.rows, result.vs).map((f) => ({ ...f, target: { of: 'ratio' as const, atLeast: 1 / 1.1 } })))
  const cpu = result.serverCpuMs
  console.log(`server CPU per sign-in (deliveries included): ${cpu.plain.toFixed(1)} ms without rules, ${cpu.rules.toFixed(1)} ms with rules (${((cpu.rules / cpu.plain - 1) * 100).toFixed(0)} % more)`)
}
