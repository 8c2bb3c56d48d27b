// Outbox delivery to a local webhook receiver on one store: (a) the baseline, the same number of
// signed POSTs sent straight with deliverWebhook at the worker's concurrency — the wire's cost
// without the outbox; (b) the worker draining a backlog of `user.signed_in` events; (c) events
// enqueued at a steady rate, one transaction each as a sign-in writes them, with the worker
// running — the latency from enqueue to done that a downstream system sees.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { provisioningSchema } from '../../src/config/index.ts'
import { buildTargets, createProvisioning, type ProvisioningUser } from '../../src/provisioning/index.ts'
import { eventJson, userEvent } from '../../src/provisioning/events.ts'
import { deliverWebhook, generateWebhookSecret } from '../../src/provisioning/webhook.ts'
import { systemClock } from '../../src/lib/index.ts'
import type { OutboxItem, Store } from '../../src/store/index.ts'
import { intBelow, seeded } from './random.ts'
import { summarize, type Summary } from './stats.ts'
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts'

export interface DeliveryBenchOptions {
  /** Events in the backlog (and straight POSTs in the baseline). */
  events: number
  users: number
  /** Events enqueued while the worker runs, and their rate per second. */
  paced: number
  pacedRate: number
  concurrency: number
  /** Baseline and backlog alternate this many times, each with events / rounds. */
  rounds: number
  /** A folder for the webhook secret file. */
  dir: string
}

export interface DeliveryBench {
  /** `cpuPerEvent`: µs of this process's CPU (worker and receiver, or client and receiver) per event, by row label. */
  rows(label: string, store: Store): Promise<{ rows: Summary[]; vs: Record<string, string>; cpuPerEvent: Record<string, number> }>
  close(): Promise<void>
}

const GROUPS = ['students', 'staff', 'gpu', 'research', 'alumni', 'lab-a', 'lab-b', 'ops']
const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined }

/** Generated users, the same on every run. */
export function benchUsers(n: number): ProvisioningUser[] {
  const rand = seeded(7)
  return Array.from({ length: n }, (_, i) => {
    const groups = GROUPS.filter(() => rand() < 0.3)
    return {
      subject: `ext:bench-${String(i).padStart(5, '0')}`, issuer: 'https://idp.bench.example', username: `user-${i}.bench${i}`,
      email: `user-${i}@bench.example`, name: `User ${i}`, groups, upstreamGroups: groups.map((g) => `corp:${g}`), organizations: [],
    }
  })
}

export async function startDeliveryBench(o: DeliveryBenchOptions): Promise<DeliveryBench> {
  const secret = generateWebhookSecret()
  const secretFile = join(o.dir, 'webhook.secret')
  writeFileSync(secretFile, `${secret}\n`)
  const receiver = await startWebhookReceiver(secret)
  const config = provisioningSchema.parse({
    targets: [{ id: 'hooks', kind: 'webhook', url: receiver.url, secretFile }],
    rules: [{ id: 'notify', on: ['user.signed_in'], webhook: { target: 'hooks' } }],
    delivery: { concurrency: o.concurrency },
  })
  const users = benchUsers(o.users)
  const rand = seeded(11)
  const nextUser = () => users[intBelow(rand, users.length)]

  return {
    async rows(label, store) {
      const targets = buildTargets(config, { baseDir: o.dir, localTuples: () => { throw new Error('no tuple rules here') } })
      const provisioning = createProvisioning({ config, store, targets, logger: quiet })
      const rows: Summary[] = []
      const cpuPerEvent: Record<string, number> = {}
      try {
        // Baseline and drain alternate in rounds, so load from elsewhere on the machine weighs on both alike.
        const chunk = Math.ceil(o.events / o.rounds)
        const straight = { latencies: [] as bigint[], ns: 0n, cpuUs: 0 }
        const drain = { ns: 0n, cpuUs: 0, rows: 0 }
        let drained: OutboxItem[] = []
        for (let round = 0; round < o.rounds; round++) {
          let cpu = process.cpuUsage()
          const posts = await straightPosts(receiver, secret, chunk, o.concurrency, nextUser)
          straight.cpuUs += cpuSince(cpu)
          straight.latencies.push(...posts.latencies)
          straight.ns += posts.elapsedNs

          // The backlog, enqueued a hundred events per transaction (not timed).
          const backlog = Array.from({ length: chunk }, () => provisioning.userItems('user.signed_in', nextUser()))
          for (let i = 0; i < backlog.length; i += 100) await store.outbox.enqueue(backlog.slice(i, i + 100).flat())
          receiver.reset()
          const after = drained.reduce((max, r) => Math.max(max, r.id), 0)
          cpu = process.cpuUsage()
          const start = process.hrtime.bigint()
          provisioning.start()
          await provisioning.drain()
          drain.ns += process.hrtime.bigint() - start
          drain.cpuUs += cpuSince(cpu)
          // Stopped, so the next round's backlog is not delivered while it is being enqueued.
          await provisioning.stop()
          drained = await finishedRows(store, after)
          verify(drained, receiver, chunk)
          drain.rows += drained.length
        }
        const base = summarize(`${label}: signed POSTs straight (deliverWebhook)`, straight.latencies, straight.ns)
        rows.push(base)
        // Every row waited in the backlog, so enqueue-to-done says nothing per event: no latency here.
        rows.push({ ...summarize(`${label}: outbox drain, backlogs of ${chunk}`, [], drain.ns), count: drain.rows, rate: drain.rows / (Number(drain.ns) / 1e9) })
        cpuPerEvent[base.label] = straight.cpuUs / straight.latencies.length
        cpuPerEvent[rows[1].label] = drain.cpuUs / drain.rows

        // Steady arrivals: one transaction per event, the worker woken after each commit.
        receiver.reset()
        const after = drained.reduce((max, r) => Math.max(max, r.id), 0)
        const pacedCpu = process.cpuUsage()
        const pacedStart = process.hrtime.bigint()
        provisioning.start()
        const tickMs = 10
        const perTick = Math.max(1, Math.round((o.pacedRate * tickMs) / 1000))
        for (let sent = 0; sent < o.paced;) {
          const tick = Date.now()
          for (let i = 0; i < perTick && sent < o.paced; i++, sent++) {
            await store.outbox.enqueue(provisioning.userItems('user.signed_in', nextUser()))
            provisioning.wake()
          }
          await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - tick))))
        }
        while ((await store.outbox.stats()).pending > 0) await new Promise((r) => setTimeout(r, 5))
        const pacedElapsed = process.hrtime.bigint() - pacedStart
        const pacedCpuUs = cpuSince(pacedCpu)
        const paced = await finishedRows(store, after)
        verify(paced, receiver, o.paced)
        const latencies = paced.map((r) => BigInt(r.finishedAt!.getTime() - r.createdAt.getTime()) * 1_000_000n)
        rows.push(summarize(`${label}: outbox, ~${o.pacedRate}/s arriving (enqueue → done)`, latencies, pacedElapsed))
        cpuPerEvent[rows[2].label] = pacedCpuUs / o.paced
        return { rows, vs: { [rows[1].label]: base.label }, cpuPerEvent }
      } finally {
        await provisioning.stop()
        targets.close()
      }
    },
    close: () => receiver.close(),
  }
}

/** The baseline: `count` signed webhook POSTs of event bodies, `concurrency` at a time. */
async function straightPosts(receiver: WebhookReceiver, secret: string, count: number, concurrency: number, nextUser: () => ProvisioningUser): Promise<{ latencies: bigint[]; elapsedNs: bigint }> {
  const target = { url: receiver.url, secrets: [secret], timeoutMs: 10_000 }
  const messages = Array.from({ length: count }, () => {
    const event = userEvent('user.signed_in', nextUser(), systemClock)
    return { id: event.id, body: JSON.stringify(eventJson(event)) }
  })
  receiver.reset()
  const latencies: bigint[] = new Array(count)
  let next = 0
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < messages.length; i = next++) {
      const t0 = process.hrtime.bigint()
      await deliverWebhook(target, { ...messages[i], timestamp: new Date() })
      latencies[i] = process.hrtime.bigint() - t0
    }
  }))
  const elapsedNs = process.hrtime.bigint() - start
  assert.deepEqual(receiver.problems, [], 'the receiver refused signatures')
  assert.equal(receiver.seen.size, messages.length, 'not every straight POST reached the receiver')
  return { latencies, elapsedNs }
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return used.user + used.system
}

/** Outbox rows with an id above `after`, oldest first. */
async function finishedRows(store: Store, after: number): Promise<OutboxItem[]> {
  const rows: OutboxItem[] = []
  let continuationToken = ''
  do {
    const page = await store.outbox.list({ limit: 500, ...(continuationToken ? { continuationToken } : {}) })
    for (const r of page.items) if (r.id > after) rows.push(r)
    continuationToken = page.items.some((r) => r.id <= after) ? '' : page.continuationToken
  } while (continuationToken)
  return rows.reverse()
}

/** Every row done in one attempt, and its event received once, signed. */
function verify(rows: OutboxItem[], receiver: WebhookReceiver, expected: number): void {
  assert.equal(rows.length, expected, 'outbox rows')
  const wrong = rows.filter((r) => r.state !== 'done' || r.attempts !== 1 || r.finishedAt === null)
  assert.deepEqual(wrong.slice(0, 3).map((r) => [r.id, r.state, r.attempts, r.lastError]), [], 'rows not delivered at the first attempt')
  assert.deepEqual(receiver.problems, [], 'the receiver refused signatures')
  for (const r of rows) assert.equal(receiver.seen.get(r.eventId), 1, `event ${r.eventId} received ${receiver.seen.get(r.eventId) ?? 0} times`)
  assert.equal(receiver.seen.size, expected, 'the receiver got events that are not in the outbox')
}
