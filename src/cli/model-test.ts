// `gatehouse model test FILE.fga.yaml…`: runs OpenFGA model test files against an in-memory
// Gatehouse (no server, no database file), so suites written for `fga model test` check that
// Gatehouse answers as OpenFGA would. Each test gets a fresh store holding the model and the
// global plus its own tuples; every assertion is one Check, ListObjects or ListUsers call.
import { resolve } from 'node:path'
import type { Gatehouse } from '../app/index.ts'
import { isAppError } from '../lib/index.ts'
import { Exit, type CliIO } from './io.ts'
import { readModelTestFile, TestFileError, type ModelTestCase, type ModelTestSuite } from './model-test-file.ts'
import { applyTuples } from './tuple-import.ts'

interface Tally { passed: number; total: number }
interface Totals { tests: Tally; check: Tally; listObjects: Tally; listUsers: Tally }

interface CaseResult {
  counts: { check: Tally; listObjects: Tally; listUsers: Tally }
  /** One line per failed assertion (or the setup problem). */
  failures: string[]
}

const tally = (): Tally => ({ passed: 0, total: 0 })
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort()
const show = (xs: string[]) => `[${xs.join(', ')}]`
const withContext = (c: Record<string, unknown> | undefined) => (c === undefined ? '' : `, context ${JSON.stringify(c)}`)

/** `object:id`, `type:id#relation` or `type:*`, as test files write users. */
function userText(u: { object?: { type: string; id: string }; userset?: { type: string; id: string; relation: string }; wildcard?: { type: string } }): string {
  if (u.object) return `${u.object.type}:${u.object.id}`
  if (u.userset) return `${u.userset.type}:${u.userset.id}#${u.userset.relation}`
  return `${u.wildcard?.type}:*`
}

function compareLists(expected: string[], got: string[]): string | undefined {
  const want = sorted(expected)
  const have = sorted(got)
  const missing = want.filter((x) => !have.includes(x))
  const extra = have.filter((x) => !want.includes(x))
  if (missing.length === 0 && extra.length === 0) return undefined
  return `expected ${show(want)}, got ${show(have)}${missing.length ? `; missing ${show(missing)}` : ''}${extra.length ? `; unexpected ${show(extra)}` : ''}`
}

const reason = (err: unknown) => (isAppError(err) ? `${err.code}: ${err.message}` : (err as Error).message ?? String(err))

async function runCase(gatehouse: Gatehouse, suite: ModelTestSuite, test: ModelTestCase): Promise<CaseResult> {
  const result: CaseResult = { counts: { check: tally(), listObjects: tally(), listUsers: tally() }, failures: [] }
  const { id: store } = await gatehouse.createStore({ name: 'model-test' }) as { id: string }
  try {
    let modelId: string
    try {
      modelId = ((await gatehouse.writeAuthorizationModel(store, suite.model)) as { authorization_model_id: string }).authorization_model_id
      if (test.tuples.length > 0) {
        const written = await applyTuples(gatehouse, store, test.tuples, 'write', gatehouse.config.maxTuplesPerWrite)
        if (written.failed > 0) throw new Error(`tuples refused: ${written.failures.map((f) => `${f.tuple.object}#${f.tuple.relation}@${f.tuple.user}: ${f.reason}`).join('; ')}`)
      }
    } catch (err) {
      result.failures.push(`setup failed: ${reason(err)}`)
      return result
    }
    const scope = { authorization_model_id: modelId }

    for (const c of test.check) {
      for (const user of c.users) for (const object of c.objects) for (const [relation, expected] of c.assertions) {
        result.counts.check.total++
        const label = `check ${user} ${relation} ${object}${withContext(c.context)}`
        try {
          const { allowed } = await gatehouse.check(store, { ...scope, tuple_key: { user, relation, object }, ...(c.context ? { context: c.context } : {}) }) as { allowed: boolean }
          if (allowed === expected) result.counts.check.passed++
          else result.failures.push(`${label}: expected ${expected}, got ${allowed}`)
        } catch (err) {
          result.failures.push(`${label}: expected ${expected}, got error ${reason(err)}`)
        }
      }
    }
    for (const c of test.listObjects) {
      for (const [relation, expected] of c.assertions) {
        result.counts.listObjects.total++
        const label = `list_objects ${c.user} ${relation} ${c.type}${withContext(c.context)}`
        try {
          const { objects } = await gatehouse.listObjects(store, { ...scope, user: c.user, relation, type: c.type, ...(c.context ? { context: c.context } : {}) }) as { objects: string[] }
          const problem = compareLists(expected, objects)
          if (problem === undefined) result.counts.listObjects.passed++
          else result.failures.push(`${label}: ${problem}`)
        } catch (err) {
          result.failures.push(`${label}: error ${reason(err)}`)
        }
      }
    }
    for (const c of test.listUsers) {
      for (const [relation, expected] of c.assertions) {
        result.counts.listUsers.total++
        const filters = c.userFilter.map((f) => (f.relation ? `${f.type}#${f.relation}` : f.type)).join(',')
        const label = `list_users ${c.object} ${relation} ${filters}${withContext(c.context)}`
        const [type, id] = [c.object.slice(0, c.object.indexOf(':')), c.object.slice(c.object.indexOf(':') + 1)]
        try {
          const { users } = await gatehouse.listUsers(store, { ...scope, object: { type, id }, relation, user_filters: c.userFilter, ...(c.context ? { context: c.context } : {}) }) as { users: Parameters<typeof userText>[0][] }
          const problem = compareLists(expected, users.map(userText))
          if (problem === undefined) result.counts.listUsers.passed++
          else result.failures.push(`${label}: ${problem}`)
        } catch (err) {
          result.failures.push(`${label}: error ${reason(err)}`)
        }
      }
    }
  } finally {
    await gatehouse.deleteStore(store).catch(() => {})
  }
  return result
}

function counts(r: CaseResult['counts']): string {
  const parts: string[] = []
  if (r.check.total) parts.push(`checks ${r.check.passed}/${r.check.total}`)
  if (r.listObjects.total) parts.push(`list_objects ${r.listObjects.passed}/${r.listObjects.total}`)
  if (r.listUsers.total) parts.push(`list_users ${r.listUsers.passed}/${r.listUsers.total}`)
  return parts.join(', ') || 'no assertions'
}

async function runSuite(file: string, suite: ModelTestSuite, totals: Totals, io: CliIO): Promise<void> {
  const { openGatehouse } = await import('../app/index.ts')
  const gatehouse = await openGatehouse({ databaseUrl: 'sqlite::memory:', logLevel: 'silent' })
  io.stdout.write(`${file}${suite.name ? ` (${suite.name})` : ''}\n`)
  try {
    for (const test of suite.tests) {
      const r = await runCase(gatehouse, suite, test)
      const ok = r.failures.length === 0
      totals.tests.total++
      if (ok) totals.tests.passed++
      for (const k of ['check', 'listObjects', 'listUsers'] as const) {
        totals[k].passed += r.counts[k].passed
        totals[k].total += r.counts[k].total
      }
      io.stdout.write(`  ${ok ? 'PASS' : 'FAIL'} ${test.name} (${counts(r.counts)})\n`)
      for (const f of r.failures) io.stdout.write(`       ✗ ${f}\n`)
    }
  } finally {
    await gatehouse.close()
  }
}

/** Runs every file; a file that cannot be read counts as one failed test. Exit 1 on any failure. */
export async function runModelTests(files: string[], io: CliIO): Promise<number> {
  const totals: Totals = { tests: tally(), check: tally(), listObjects: tally(), listUsers: tally() }
  let broken = 0
  for (const file of files) {
    let suite: ModelTestSuite
    try {
      suite = readModelTestFile(resolve(io.cwd, file), file)
    } catch (err) {
      if (!(err instanceof TestFileError)) throw err
      io.stderr.write(`${file}: ${err.message}\n`)
      broken++
      continue
    }
    await runSuite(file, suite, totals, io)
  }
  const t = totals
  const line = [`tests ${t.tests.passed}/${t.tests.total} passing`, counts({ check: t.check, listObjects: t.listObjects, listUsers: t.listUsers })]
  if (broken > 0) line.push(`${broken} file(s) could not be read`)
  io.stdout.write(`${line.join('; ')}\n`)
  return broken === 0 && t.tests.passed === t.tests.total ? Exit.ok : Exit.failed
}
