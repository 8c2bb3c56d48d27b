// Tuple files in the formats the `fga` CLI reads (`fga tuple write --file`, `tuple_file` in model
// tests), so files made for OpenFGA import unchanged: a YAML or JSON array of
// { user, relation, object, condition? }, JSON Lines, or CSV with the header
// user_type,user_id,user_relation,relation,object_type,object_id,condition_name,condition_context.
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { UsageError } from './io.ts'

export interface FileTuple {
  user: string
  relation: string
  object: string
  condition?: { name: string; context?: Record<string, unknown> }
}

const CSV_COLUMNS = ['user_type', 'user_id', 'user_relation', 'relation', 'object_type', 'object_id', 'condition_name', 'condition_context'] as const
type CsvColumn = (typeof CSV_COLUMNS)[number]
const REQUIRED: CsvColumn[] = ['user_type', 'user_id', 'relation', 'object_type', 'object_id']

/** Reads a tuple file by its extension; a problem is a UsageError naming the file and the entry. */
export function readTupleFile(path: string, shown = path): FileTuple[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  return parseTuples(text, extname(path).toLowerCase(), shown)
}

export function parseTuples(text: string, extension: string, shown: string): FileTuple[] {
  let raw: unknown[]
  switch (extension) {
    case '.json':
    case '.yaml':
    case '.yml': {
      let doc: unknown
      try {
        doc = parseYaml(text)
      } catch (err) {
        throw new UsageError(`${shown}: not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`)
      }
      if (!Array.isArray(doc)) throw new UsageError(`${shown}: expected a list of tuples ({user, relation, object})`)
      raw = doc
      break
    }
    case '.jsonl':
      raw = text.split('\n').map((line, i) => [line.trim(), i] as const).filter(([line]) => line !== '').map(([line, i]) => {
        try {
          return JSON.parse(line) as unknown
        } catch (err) {
          throw new UsageError(`${shown}: line ${i + 1} is not valid JSON: ${(err as Error).message}`)
        }
      })
      break
    case '.csv':
      return csvTuples(text, shown)
    default:
      throw new UsageError(`${shown}: unsupported tuple file format "${extension || '(none)'}" (use .yaml, .json, .jsonl or .csv)`)
  }
  if (raw.length === 0) throw new UsageError(`${shown}: the file holds no tuples`)
  return raw.map((t, i) => tupleOf(t, `${shown}: tuple ${i + 1}`))
}

/** Checks one entry's shape; the engine checks it against the model when it is written. */
export function tupleOf(value: unknown, where: string): FileTuple {
  const t = value as Record<string, unknown> | null
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new UsageError(`${where}: expected an object with user, relation and object`)
  for (const key of ['user', 'relation', 'object'] as const) {
    if (typeof t[key] !== 'string' || t[key] === '') throw new UsageError(`${where}: "${key}" must be a non-empty string`)
  }
  const tuple: FileTuple = { user: t.user as string, relation: t.relation as string, object: t.object as string }
  const condition = t.condition as { name?: unknown; context?: unknown } | undefined | null
  if (condition !== undefined && condition !== null) {
    if (typeof condition !== 'object' || typeof condition.name !== 'string' || condition.name === '') throw new UsageError(`${where}: "condition" needs a name`)
    if (condition.context !== undefined && condition.context !== null && (typeof condition.context !== 'object' || Array.isArray(condition.context))) {
      throw new UsageError(`${where}: "condition.context" must be an object`)
    }
    tuple.condition = { name: condition.name, ...(condition.context ? { context: condition.context as Record<string, unknown> } : {}) }
  }
  return tuple
}

function csvTuples(text: string, shown: string): FileTuple[] {
  const rows = parseCsv(text, shown).filter((r) => !(r.length === 1 && r[0]!.trim() === ''))
  const header = rows.shift()
  if (header === undefined) throw new UsageError(`${shown}: the file has no header`)
  const index = new Map<CsvColumn, number>()
  header.forEach((name, i) => {
    const column = name.trim() as CsvColumn
    if (!CSV_COLUMNS.includes(column)) throw new UsageError(`${shown}: unknown column "${name.trim()}" (columns: ${CSV_COLUMNS.join(',')})`)
    index.set(column, i)
  })
  for (const column of REQUIRED) if (!index.has(column)) throw new UsageError(`${shown}: missing the "${column}" column`)
  if (index.has('condition_context') && !index.has('condition_name')) throw new UsageError(`${shown}: "condition_context" needs a "condition_name" column`)
  if (rows.length === 0) throw new UsageError(`${shown}: the file holds no tuples`)
  return rows.map((row, i) => {
    const cell = (c: CsvColumn) => (index.has(c) ? (row[index.get(c)!] ?? '').trim() : '')
    const where = `${shown}: row ${i + 2}`
    const userRelation = cell('user_relation')
    const tuple: FileTuple = {
      user: `${cell('user_type')}:${cell('user_id')}${userRelation === '' ? '' : `#${userRelation}`}`,
      relation: cell('relation'),
      object: `${cell('object_type')}:${cell('object_id')}`,
    }
    const name = cell('condition_name')
    if (name !== '') {
      const contextText = cell('condition_context')
      let context: unknown
      try {
        context = contextText === '' ? undefined : JSON.parse(contextText)
      } catch (err) {
        throw new UsageError(`${where}: condition_context is not valid JSON: ${(err as Error).message}`)
      }
      tuple.condition = { name, ...(context === undefined ? {} : { context: context as Record<string, unknown> }) }
    }
    return tupleOf(tuple, where)
  })
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks (condition contexts do). */
export function parseCsv(text: string, shown: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++ }
      else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === ',') { row.push(field); field = '' }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field); rows.push(row); row = []; field = ''
    } else field += ch
  }
  if (quoted) throw new UsageError(`${shown}: a quoted field is not closed`)
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row) }
  return rows
}

/** The tuples as CSV in the same columns, so `tuples read --format csv` output imports again. */
export function toCsv(tuples: FileTuple[]): string {
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s)
  const lines = [CSV_COLUMNS.join(',')]
  for (const t of tuples) {
    const [userType, rest] = splitOnce(t.user, ':')
    const [userId, userRelation] = splitOnce(rest, '#')
    const [objectType, objectId] = splitOnce(t.object, ':')
    const context = t.condition?.context ? JSON.stringify(t.condition.context) : ''
    lines.push([userType, userId, userRelation, t.relation, objectType, objectId, t.condition?.name ?? '', context].map(quote).join(','))
  }
  return `${lines.join('\n')}\n`
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]
}
