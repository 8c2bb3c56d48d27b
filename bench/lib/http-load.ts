// HTTP load from this process against a server in another process: N keep-alive connections, each
// sending its next request as soon as the previous answer is complete (closed loop). A raw socket
// client keeps the load generator cheap and times each request with hrtime (µs, not whole ms).
import { connect, type Socket } from 'node:net'
import type { Summary } from './stats.ts'
import { summarize } from './stats.ts'

export interface LoadOptions {
  label: string
  url: string
  connections: number
  /** seconds */
  duration: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** Request bodies, used round-robin; omit for body-less requests. */
  bodies?: string[]
  /**
   * Checks one timed answer (after its latency is taken): `request` is the index into `bodies`,
   * `head` the status line and headers. A false answer counts as `wrong`.
   */
  verify?: (request: number, head: string, body: Buffer) => boolean
}

export interface LoadResult extends Summary {
  non2xx: number
  errors: number
  /** Answers `verify` refused (0 without verify). */
  wrong: number
}

interface RawLoad {
  latencies: bigint[]
  elapsedNs: bigint
  non2xx: number
  errors: number
  wrong: number
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const raw = await loadOnce(o)
  return { ...summarize(o.label, raw.latencies, raw.elapsedNs), non2xx: raw.non2xx, errors: raw.errors, wrong: raw.wrong }
}

/**
 * Runs several loads in turns of `duration / slices` seconds each, round-robin, and summarizes
 * each over all its turns. On a machine shared with other work the background load drifts over
 * seconds; interleaving gives a case and its baseline the same share of that drift, so their
 * ratio stays meaningful where back-to-back runs of `duration` seconds would not. `beforeTurn`
 * runs at the start of each turn: a baseline that is not an HTTP load (raw signing) takes its
 * turn there.
 */
export async function runInterleaved(loads: LoadOptions[], slices: number, beforeTurn?: (turn: number) => void | Promise<void>): Promise<LoadResult[]> {
  const totals = loads.map((): RawLoad => ({ latencies: [], elapsedNs: 0n, non2xx: 0, errors: 0, wrong: 0 }))
  for (let s = 0; s < slices; s++) {
    await beforeTurn?.(s)
    for (let i = 0; i < loads.length; i++) {
      const raw = await loadOnce({ ...loads[i], duration: loads[i].duration / slices })
      const t = totals[i]
      for (const l of raw.latencies) t.latencies.push(l)
      t.elapsedNs += raw.elapsedNs
      t.non2xx += raw.non2xx
      t.errors += raw.errors
      t.wrong += raw.wrong
    }
  }
  return loads.map((o, i) => ({ ...summarize(o.label, totals[i].latencies, totals[i].elapsedNs), non2xx: totals[i].non2xx, errors: totals[i].errors, wrong: totals[i].wrong }))
}

async function loadOnce(o: LoadOptions): Promise<RawLoad> {
  const url = new URL(o.url)
  const method = o.method ?? (o.bodies ? 'POST' : 'GET')
  const extra = Object.entries({ 'content-type': 'application/json', ...o.headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  const requests = (o.bodies ?? ['']).map((body) => Buffer.from(
    `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n${extra}` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`))
  const latencies: bigint[] = []
  let next = 0
  let non2xx = 0
  let errors = 0
  let wrong = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(o.duration * 1e9))

  const runConnection = () => new Promise<void>((resolve) => {
    const socket: Socket = connect(Number(url.port), url.hostname)
    socket.setNoDelay(true)
    let buf: Buffer = Buffer.alloc(0)
    let sentAt = 0n
    let sent = 0
    const send = () => {
      if (process.hrtime.bigint() >= end) { socket.end(); return resolve() }
      sentAt = process.hrtime.bigint()
      sent = next++ % requests.length
      socket.write(requests[sent])
    }
    socket.on('connect', send)
    socket.on('error', () => { errors++; resolve() })
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n')
        if (headEnd < 0) return
        const head = buf.subarray(0, headEnd).toString('latin1')
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
        if (buf.length < headEnd + 4 + length) return
        latencies.push(process.hrtime.bigint() - sentAt)
        if (head[9] !== '2') non2xx++
        else if (o.verify && !o.verify(sent, head, buf.subarray(headEnd + 4, headEnd + 4 + length))) wrong++
        buf = buf.subarray(headEnd + 4 + length)
        send()
      }
    })
  })

  await Promise.all(Array.from({ length: o.connections }, runConnection))
  return { latencies, elapsedNs: process.hrtime.bigint() - start, non2xx, errors, wrong }
}
