// The figures a benchmark reports as data, so `npm run bench` can put every bench's figures in one
// table. A bench calls reportFigures() once at its end: run alone it prints them; run by
// bench/run.ts (which sets BENCH_FIGURES_FILE) it also writes them there as JSON.
import { appendFileSync } from 'node:fs'

/** A floor or a ceiling, on the figure's value or on its ratio to the baseline (value / baseline). */
export interface Target {
  of: 'value' | 'ratio'
  atLeast?: number
  atMost?: number
}

export interface Figure {
  /** The bench that measured it (its file name under bench/). */
  bench: string
  name: string
  value: number
  /** '/s' for rates, 'µs', 'ms', 'MB', 's'. */
  unit: string
  /** What the same run measured to compare with, in the same unit. */
  baseline?: { name: string; value: number }
  target?: Target
}

export const FIGURES_FILE_ENV = 'BENCH_FIGURES_FILE'

/** value / baseline, or undefined without a baseline. */
export function ratioOf(f: Figure): number | undefined {
  return f.baseline && f.baseline.value !== 0 ? f.value / f.baseline.value : undefined
}

/** Whether the figure meets its target; undefined when it has none. */
export function targetMet(f: Figure): boolean | undefined {
  if (!f.target) return undefined
  const x = f.target.of === 'ratio' ? ratioOf(f) : f.value
  if (x === undefined || Number.isNaN(x)) return false
  return (f.target.atLeast === undefined || x >= f.target.atLeast) && (f.target.atMost === undefined || x <= f.target.atMost)
}

export function formatValue(value: number, unit: string): string {
  if (Number.isNaN(value)) return '–'
  if (unit === '/s') return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M/s` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k/s` : `${value.toFixed(0)}/s`
  if (unit === 'µs' && value >= 1000) return `${(value / 1000).toFixed(2)} ms`
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`
}

function formatTarget(t: Target | undefined, unit: string): string {
  if (!t) return ''
  const show = (n: number) => (t.of === 'ratio' ? `${(n * 100).toFixed(0)} %` : formatValue(n, unit))
  const parts = [t.atLeast !== undefined ? `≥ ${show(t.atLeast)}` : '', t.atMost !== undefined ? `≤ ${show(t.atMost)}` : ''].filter(Boolean)
  return `${t.of === 'ratio' ? 'ratio ' : ''}${parts.join(', ')}`
}

/** One table: figure, value, baseline, ratio, target, met. */
export function printFigures(title: string, figures: Figure[]): void {
  const head = ['bench', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'met']
  const lines = figures.map((f) => {
    const ratio = ratioOf(f)
    const met = targetMet(f)
    return [
      f.bench, f.name, formatValue(f.value, f.unit),
      f.baseline ? `${formatValue(f.baseline.value, f.unit)} ${f.baseline.name}` : '',
      ratio === undefined ? '' : `${(ratio * 100).toFixed(0)} %`,
      formatTarget(f.target, f.unit), met === undefined ? '' : met ? 'met' : 'NOT MET',
    ]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  console.log(`\n${title}`)
  console.log(fmt(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const l of lines) console.log(fmt(l))
}

/** A bench's last step: its figures as a table, and as data for bench/run.ts when it asked. */
export function reportFigures(figures: Figure[]): void {
  printFigures(`figures (${figures[0]?.bench ?? 'bench'})`, figures)
  const file = process.env[FIGURES_FILE_ENV]
  if (file) appendFileSync(file, figures.map((f) => JSON.stringify(f)).join('\n') + '\n')
}

/**
 * Throws when an HTTP load got answers it should not have: a bench whose timed answers are wrong
 * measured something else, so it fails rather than reports.
 */
export function assertAnswered(rows: { label: string; non2xx: number; errors: number; wrong?: number }[]): void {
  const bad = rows.filter((r) => r.non2xx > 0 || r.errors > 0 || (r.wrong ?? 0) > 0)
  if (bad.length > 0) {
    throw new Error(`wrong answers while timing: ${bad.map((r) => `${r.label}: ${r.non2xx} non-2xx, ${r.wrong ?? 0} wrong, ${r.errors} errors`).join('; ')}`)
  }
}

/** Rate figures for the rows of a printed table that have a baseline (`vs`: label → baseline label). */
export function rateFigures(bench: string, rows: { label: string; rate: number }[], vs: Record<string, string>): Figure[] {
  const byLabel = new Map(rows.map((r) => [r.label, r]))
  return rows.flatMap((r) => {
    const base = vs[r.label] === undefined ? undefined : byLabel.get(vs[r.label]!)
    return base ? [{ bench, name: r.label, value: r.rate, unit: '/s', baseline: { name: base.label, value: base.rate } }] : []
  })
}
