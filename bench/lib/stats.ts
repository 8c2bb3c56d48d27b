// Latency summaries and the one table format every benchmark prints.

export interface Summary {
  label: string
  count: number
  /** operations per second */
  rate: number
  p50Us: number
  p99Us: number
}

/** Summarizes per-operation latencies (nanoseconds) measured over `elapsedNs` of wall time. */
export function summarize(label: string, latenciesNs: BigUint64Array | bigint[], elapsedNs: bigint): Summary {
  const sorted = Float64Array.from(latenciesNs as ArrayLike<bigint>, (v) => Number(v)).sort()
  return {
    label,
    count: sorted.length,
    rate: sorted.length / (Number(elapsedNs) / 1e9),
    p50Us: percentile(sorted, 0.5) / 1e3,
    p99Us: percentile(sorted, 0.99) / 1e3,
  }
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[idx]
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function fmtRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0)
}

function fmtUs(us: number): string {
  if (Number.isNaN(us)) return '–'
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`
}

/** Prints rows as a table; `baseline` rows are compared against by `vs` (label → baseline label). */
export function printTable(title: string, rows: Summary[], vs: Record<string, string> = {}): void {
  const byLabel = new Map(rows.map((r) => [r.label, r]))
  const lines = rows.map((r) => {
    const base = vs[r.label] ? byLabel.get(vs[r.label]) : undefined
    const ratio = base ? `${((r.rate / base.rate) * 100).toFixed(0)} % of ${base.label}` : ''
    return [r.label, String(r.count), `${fmtRate(r.rate)}/s`, fmtUs(r.p50Us), fmtUs(r.p99Us), ratio]
  })
  const head = ['case', 'ops', 'rate', 'p50', 'p99', 'vs baseline']
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  console.log(`\n${title}`)
  console.log(fmt(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const l of lines) console.log(fmt(l))
}

/** Runs `fn` once per item, timing each call; returns latencies and wall time. */
export async function timeEach<T>(items: T[], fn: (item: T) => unknown): Promise<{ latencies: BigUint64Array; elapsedNs: bigint }> {
  const latencies = new BigUint64Array(items.length)
  const start = process.hrtime.bigint()
  for (let i = 0; i < items.length; i++) {
    const t0 = process.hrtime.bigint()
    const r = fn(items[i])
    if (r instanceof Promise) await r
    latencies[i] = process.hrtime.bigint() - t0
  }
  return { latencies, elapsedNs: process.hrtime.bigint() - start }
}
