// The fenced code blocks of the Markdown documentation, with the marker written just before a
// block that this repository's docs test does not run as it stands:
//   <!-- not-run: why -->                 cannot run here (a real Google, an Incus host, sudo…)
//   <!-- tested-by: test/….test.ts -->    run by that test instead
//   <!-- settings-only: why -->           YAML checked against the settings schema only (it names
//                                         files that cannot exist here)
//   <!-- continues-above -->              YAML checked together with the YAML block before it
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export type MarkerKind = 'not-run' | 'tested-by' | 'settings-only' | 'continues-above'

export interface DocBlock {
  /** Path relative to the repository root. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  code: string
  marker?: { kind: MarkerKind; text: string }
}

const MARKER = /^<!--\s*(not-run|tested-by|settings-only|continues-above)\s*(?::\s*(.*?))?\s*-->$/
const FENCE = /^```(\S*)\s*$/

/** Every fenced block of `file` (relative to `root`), in document order. */
export function blocksOf(root: string, file: string): DocBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const out: DocBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (open === null) continue
    let end = i + 1
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++
    let before = i - 1
    while (before >= 0 && lines[before]!.trim() === '') before--
    const marked = before >= 0 ? MARKER.exec(lines[before]!.trim()) : null
    out.push({
      file, line: i + 1, lang: open[1]!, code: lines.slice(i + 1, end).join('\n'),
      ...(marked ? { marker: { kind: marked[1] as MarkerKind, text: marked[2] ?? '' } } : {}),
    })
    i = end
  }
  return out
}

/** README.md, then docs/*.md in name order (the order examples build on each other). */
export function documentationFiles(root: string): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
}

/** A short, stable name for a block: its file and first line of code. */
export function blockName(b: DocBlock): string {
  return `${b.file}: ${b.code.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 70) ?? ''}`
}

/**
 * The JSON objects in `text`, however they are run together (curl prints no newline). Strings
 * are skipped when counting braces; a segment that does not parse is ignored.
 */
export function jsonObjectsIn(text: string): unknown[] {
  const out: unknown[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{') continue
    let depth = 0
    let inString = false
    for (let j = i; j < text.length; j++) {
      const c = text[j]
      if (inString) {
        if (c === '\\') j++
        else if (c === '"') inString = false
      } else if (c === '"') inString = true
      else if (c === '{') depth++
      else if (c === '}' && --depth === 0) {
        try {
          out.push(JSON.parse(text.slice(i, j + 1)))
          i = j
        } catch { /* not JSON: look further */ }
        break
      }
    }
  }
  return out
}

/** Whether `actual` holds everything `expected` says (objects by key, arrays and scalars exactly). */
export function contains(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return actual === expected
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => contains(actual[i], e))
  if (actual === null || typeof actual !== 'object') return false
  return Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v))
}

/**
 * `$NAME` written inside single quotes in a shell block: the shell passes it on literally, so
 * `-H 'authorization: Bearer $KEY'` sends the text $KEY. Answers the offending quoted strings.
 */
export function singleQuotedVariables(code: string): string[] {
  const out: string[] = []
  let inDouble = false
  for (let i = 0; i < code.length; i++) {
    const c = code[i]
    if (c === '\\' && !inDouble) { i++; continue }
    if (c === '"') inDouble = !inDouble
    else if (c === '#' && !inDouble && (i === 0 || /\s/.test(code[i - 1]!))) {
      // A comment runs to the end of the line.
      while (i < code.length && code[i] !== '\n') i++
    } else if (c === "'" && !inDouble) {
      const end = code.indexOf("'", i + 1)
      if (end < 0) break
      const quoted = code.slice(i, end + 1)
      if (/\$[A-Za-z_{]/.test(quoted)) out.push(quoted)
      i = end
    }
  }
  return out
}
