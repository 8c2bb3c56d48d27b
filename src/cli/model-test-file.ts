// OpenFGA's model test file (`.fga.yaml`, the store file `fga model test` runs), read into one
// normalised form: model from `model` or `model_file`; global tuples from `tuples`, `tuple_file`
// and `tuple_files`; per test its own tuples (added to the global ones), `check` with `user` or
// `users` × `object` or `objects`, `list_objects` and `list_users`. Files are named relative to
// the test file, as the `fga` CLI resolves them.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { readModelFile, parseModel } from './models.ts'
import { readTupleFile, tupleOf, type FileTuple } from './tuple-file.ts'

export class TestFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TestFileError'
  }
}

type Context = Record<string, unknown> | undefined

export interface CheckCase { users: string[]; objects: string[]; context: Context; assertions: [string, boolean][] }
export interface ListObjectsCase { user: string; type: string; context: Context; assertions: [string, string[]][] }
export interface ListUsersCase { object: string; userFilter: { type: string; relation?: string }[]; context: Context; assertions: [string, string[]][] }

export interface ModelTestCase {
  name: string
  description?: string
  tuples: FileTuple[]
  check: CheckCase[]
  listObjects: ListObjectsCase[]
  listUsers: ListUsersCase[]
}

export interface ModelTestSuite {
  name: string
  model: unknown
  tests: ModelTestCase[]
}

type Doc = Record<string, unknown>

const isDoc = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v)

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new TestFileError(`${where}: expected a list`)
  return value
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new TestFileError(`${where}: expected a non-empty string`)
  return value
}

function context(value: unknown, where: string): Context {
  if (value === undefined || value === null) return undefined
  if (!isDoc(value)) throw new TestFileError(`${where}.context: expected a map`)
  return value
}

/** `user` or `users` (likewise `object`/`objects`): exactly one of them. */
function oneOrMany(entry: Doc, one: string, many: string, where: string): string[] {
  const has = (k: string) => entry[k] !== undefined && entry[k] !== null
  if (has(one) === has(many)) throw new TestFileError(`${where}: give either "${one}" or "${many}"`)
  return has(one) ? [text(entry[one], `${where}.${one}`)] : list(entry[many], `${where}.${many}`).map((v, i) => text(v, `${where}.${many}[${i}]`))
}

function assertions<T>(value: unknown, where: string, item: (v: unknown, w: string) => T): [string, T][] {
  if (!isDoc(value) || Object.keys(value).length === 0) throw new TestFileError(`${where}.assertions: expected a map of relation to expected result`)
  return Object.entries(value).map(([relation, expected]) => [relation, item(expected, `${where}.assertions.${relation}`)])
}

const objectList = (v: unknown, w: string) => list(v, w).map((o, i) => text(o, `${w}[${i}]`))

function inlineTuples(value: unknown, where: string): FileTuple[] {
  return list(value, where).map((t, i) => {
    try {
      return tupleOf(t, `${where}[${i}]`)
    } catch (err) {
      throw new TestFileError((err as Error).message)
    }
  })
}

function fileTuples(base: string, name: unknown, where: string): FileTuple[] {
  const file = text(name, where)
  try {
    return readTupleFile(resolve(base, file), file)
  } catch (err) {
    throw new TestFileError(`${where}: ${(err as Error).message}`)
  }
}

function testCase(raw: unknown, index: number, base: string): ModelTestCase {
  const where = `tests[${index}]`
  if (!isDoc(raw)) throw new TestFileError(`${where}: expected a map`)
  const name = raw.name === undefined ? `test ${index + 1}` : text(raw.name, `${where}.name`)
  const at = `tests[${index}] (${name})`
  const tuples = [
    ...inlineTuples(raw.tuples, `${at}.tuples`),
    ...(raw.tuple_file === undefined ? [] : fileTuples(base, raw.tuple_file, `${at}.tuple_file`)),
  ]
  const check = list(raw.check, `${at}.check`).map((c, i): CheckCase => {
    const w = `${at}.check[${i}]`
    if (!isDoc(c)) throw new TestFileError(`${w}: expected a map`)
    return {
      users: oneOrMany(c, 'user', 'users', w), objects: oneOrMany(c, 'object', 'objects', w), context: context(c.context, w),
      assertions: assertions(c.assertions, w, (v, aw) => {
        if (typeof v !== 'boolean') throw new TestFileError(`${aw}: expected true or false`)
        return v
      }),
    }
  })
  const listObjects = list(raw.list_objects, `${at}.list_objects`).map((c, i): ListObjectsCase => {
    const w = `${at}.list_objects[${i}]`
    if (!isDoc(c)) throw new TestFileError(`${w}: expected a map`)
    return { user: text(c.user, `${w}.user`), type: text(c.type, `${w}.type`), context: context(c.context, w), assertions: assertions(c.assertions, w, objectList) }
  })
  const listUsers = list(raw.list_users, `${at}.list_users`).map((c, i): ListUsersCase => {
    const w = `${at}.list_users[${i}]`
    if (!isDoc(c)) throw new TestFileError(`${w}: expected a map`)
    const userFilter = list(c.user_filter, `${w}.user_filter`).map((f, j) => {
      if (!isDoc(f)) throw new TestFileError(`${w}.user_filter[${j}]: expected {type, relation?}`)
      return { type: text(f.type, `${w}.user_filter[${j}].type`), ...(f.relation === undefined ? {} : { relation: text(f.relation, `${w}.user_filter[${j}].relation`) }) }
    })
    if (userFilter.length === 0) throw new TestFileError(`${w}.user_filter: expected at least one {type}`)
    return {
      object: text(c.object, `${w}.object`), userFilter, context: context(c.context, w),
      assertions: assertions(c.assertions, w, (v, aw) => {
        if (!isDoc(v)) throw new TestFileError(`${aw}: expected {users: [...]}`)
        return objectList(v.users, `${aw}.users`)
      }),
    }
  })
  return { name, ...(typeof raw.description === 'string' && raw.description !== '' ? { description: raw.description } : {}), tuples, check, listObjects, listUsers }
}

/** Reads a test file; problems are TestFileErrors naming the place in the file. */
export function readModelTestFile(path: string, shown: string): ModelTestSuite {
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new TestFileError(code === 'ENOENT' ? 'file not found' : `not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!isDoc(doc)) throw new TestFileError('expected a map with model (or model_file) and tests')
  const base = dirname(path)
  let model: unknown
  try {
    if (typeof doc.model === 'string' && doc.model.trim() !== '') model = parseModel(doc.model, doc.model.trimStart().startsWith('{') ? 'json' : 'fga', 'model')
    else if (doc.model_file !== undefined) model = readModelFile(resolve(base, text(doc.model_file, 'model_file')), text(doc.model_file, 'model_file')).model
    else throw new TestFileError('needs "model" (inline DSL) or "model_file"')
  } catch (err) {
    if (err instanceof TestFileError) throw err
    throw new TestFileError(`model: ${(err as Error).message}`)
  }
  const globalTuples = [
    ...inlineTuples(doc.tuples, 'tuples'),
    ...(doc.tuple_file === undefined ? [] : fileTuples(base, doc.tuple_file, 'tuple_file')),
    ...list(doc.tuple_files, 'tuple_files').flatMap((f, i) => fileTuples(base, f, `tuple_files[${i}]`)),
  ]
  const tests = list(doc.tests, 'tests').map((t, i) => testCase(t, i, base))
  if (tests.length === 0) throw new TestFileError('no tests (a "tests" list is required)')
  // Global tuples apply to every test; a test's own come after them.
  for (const t of tests) t.tuples = [...globalTuples, ...t.tuples]
  return { name: typeof doc.name === 'string' ? doc.name : '', model, tests }
}
