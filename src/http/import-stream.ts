// Request bodies of the import route read as they arrive, one tuple at a time, so memory stays
// bounded by one entry (and the engine's batch) whatever the body's size: JSON Lines, or one
// JSON array of tuple keys. Each entry is checked as every JSON body is (jsonBodyProblem); an
// entry that cannot be read becomes an `error` item, which the engine reports at its position.
import { jsonBodyProblem } from './json-body.ts'

export interface StreamItem {
  tuple?: unknown
  error?: string
  line?: number
}

function parsed(text: string, line: number, what: string): StreamItem {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { error: `${what} is not valid JSON: ${(err as Error).message}`, line }
  }
  const problem = plainTuple(value) ? undefined : jsonBodyProblem(value)
  return problem === undefined ? { tuple: value, line } : { error: problem, line }
}

/**
 * The common entry, `{user, relation, object}` with clean strings, checked without the generic
 * walk (which costs more than the rest of an entry's import); anything else takes the walk.
 */
function plainTuple(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  let n = 0
  for (const key in v) {
    const s = (v as Record<string, unknown>)[key]
    if ((key !== 'user' && key !== 'relation' && key !== 'object') || typeof s !== 'string' || s.includes('\u0000') || !s.isWellFormed()) return false
    n++
  }
  return n === 3
}

const tooLong = (line: number, max: number): StreamItem => ({ error: `an entry exceeds the limit of ${max} bytes`, line })

/** The body's chunks; a read that fails (the client went away mid-upload) ends them with the error. */
async function* chunksOf(body: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string | Error> {
  try {
    for await (const chunk of body) yield chunk
  } catch (err) {
    yield err instanceof Error ? err : new Error(String(err))
  }
}

const unreadable = (err: Error, line: number): StreamItem => ({ error: `the request body could not be read to its end (${err.message})`, line })

/** One tuple key per line; blank lines are skipped; `line` is the 1-based line number. */
export async function* jsonLinesItems(body: AsyncIterable<Buffer | string>, maxEntryBytes: number): AsyncGenerator<StreamItem> {
  const decoder = new TextDecoder('utf-8', { fatal: false })
  let pending = ''
  let line = 0
  for await (const chunk of chunksOf(body)) {
    if (chunk instanceof Error) {
      yield unreadable(chunk, line + 1)
      return
    }
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      line++
      if (text.trim() !== '') yield text.length > maxEntryBytes ? tooLong(line, maxEntryBytes) : parsed(text, line, 'the line')
    }
    if (pending.length > maxEntryBytes) {
      yield tooLong(line + 1, maxEntryBytes)
      return
    }
  }
  pending += decoder.decode()
  if (pending.trim() !== '') yield parsed(pending, line + 1, 'the line')
}

/**
 * A JSON array of tuple keys, cut into its elements without parsing the whole document: a
 * scanner tracks strings and nesting and hands each top-level element to JSON.parse. `line` is
 * where the element starts.
 */
export async function* jsonArrayItems(body: AsyncIterable<Buffer | string>, maxEntryBytes: number): AsyncGenerator<StreamItem> {
  const decoder = new TextDecoder('utf-8', { fatal: false })
  let state: 'before' | 'between' | 'element' | 'after' = 'before'
  let depth = 0
  let inString = false
  let escaped = false
  let element = ''
  let line = 1
  let startLine = 1
  const fail = (error: string): StreamItem => ({ error, line })

  for await (const chunk of chunksOf(body)) {
    if (chunk instanceof Error) {
      yield unreadable(chunk, line)
      return
    }
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let from = 0
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!
      if (ch === '\n') line++
      if (state === 'element') {
        if (inString) {
          if (escaped) escaped = false
          else if (ch === '\\') escaped = true
          else if (ch === '"') inString = false
          continue
        }
        if (ch === '"') inString = true
        else if (ch === '{' || ch === '[') depth++
        else if (ch === '}' || ch === ']' || ch === ',') {
          if (depth > 0 && ch !== ',') depth--
          else if (depth === 0) {
            element += text.slice(from, i)
            yield parsed(element, startLine, 'the entry')
            element = ''
            state = ch === ']' ? 'after' : 'between'
          }
        }
        continue
      }
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') continue
      if (state === 'before') {
        if (ch !== '[') { yield fail('the body must be a JSON array of tuple keys'); return }
        state = 'between'
      } else if (state === 'between') {
        if (ch === ']') { state = 'after'; continue }
        if (ch === ',') { yield fail('the array holds an empty entry'); return }
        state = 'element'
        startLine = line
        from = i
        depth = 0
        i-- // rescan this character as the element's first
      } else {
        yield fail('unexpected text after the array')
        return
      }
    }
    if (state === 'element') {
      element += text.slice(from)
      if (element.length > maxEntryBytes) { yield tooLong(startLine, maxEntryBytes); return }
    }
  }
  if ((state as string) !== 'after') yield fail(state === 'before' ? 'the body is empty: expected a JSON array of tuple keys' : 'the JSON array is not closed')
}
