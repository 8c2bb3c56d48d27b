import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { openGatehouse } from '../app/index.ts'
import { modelFromDsl } from '../authz/index.ts'
import { isAppError } from '../lib/index.ts'
import { Exit, type CliIO } from './io.ts'

/**
 * Validates a model the way the server would accept it: DSL is converted with modelFromDsl, then
 * the model is written to a throwaway in-memory store, so every rule the engine enforces on
 * WriteAuthorizationModel applies here too.
 */
export async function validateModelFile(file: string, io: CliIO): Promise<number> {
  const path = resolve(io.cwd, file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    io.stderr.write(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}\n`)
    return Exit.failed
  }

  let model: unknown
  const isJson = file.endsWith('.json') || (!file.endsWith('.fga') && text.trimStart().startsWith('{'))
  try {
    model = isJson ? JSON.parse(text) : modelFromDsl(text)
  } catch (err) {
    return report(io, file, isJson ? [`not valid JSON: ${(err as Error).message}`] : problemsOf(err))
  }

  const gatehouse = await openGatehouse({ databaseUrl: 'sqlite::memory:', logLevel: 'silent' })
  try {
    const { id } = (await gatehouse.createStore({ name: 'model-validate' })) as { id: string }
    await gatehouse.writeAuthorizationModel(id, model as never)
  } catch (err) {
    if (!isAppError(err)) throw err
    return report(io, file, problemsOf(err))
  } finally {
    await gatehouse.close()
  }

  const m = model as { type_definitions?: unknown[]; conditions?: Record<string, unknown> }
  const types = m.type_definitions?.length ?? 0
  const conditions = Object.keys(m.conditions ?? {}).length
  io.stdout.write(`${file}: valid (${types} type${types === 1 ? '' : 's'}, ${conditions} condition${conditions === 1 ? '' : 's'})\n`)
  return Exit.ok
}

function report(io: CliIO, file: string, problems: string[]): number {
  io.stderr.write(`${file}: invalid model (${problems.length} problem${problems.length === 1 ? '' : 's'})\n`)
  for (const p of problems) io.stderr.write(`  - ${p}\n`)
  return Exit.failed
}

interface LocatedError {
  msg?: string
  message?: string
  line?: { start: number }
  column?: { start: number }
}

/** Lists every problem an error carries: DSL errors come as a list with 0-based positions. */
export function problemsOf(err: unknown): string[] {
  const seen = new Set<unknown>()
  const walk = (e: unknown): string[] => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return []
    seen.add(e)
    const record = e as { errors?: unknown; cause?: unknown; details?: { errors?: unknown } }
    const list = Array.isArray(record.errors) ? record.errors : Array.isArray(record.details?.errors) ? record.details.errors : undefined
    if (list !== undefined && list.length > 0) return list.map(describe)
    return walk(record.cause)
  }
  const found = walk(err)
  return found.length > 0 ? found : splitMessage(describe(err))
}

/** Without structured errors, a multi-error message ("N errors occurred: * a * b") is split per error. */
function splitMessage(message: string): string[] {
  const parts = message.split(/;?\s*\n?\t?\*\s+/).map((p) => p.trim()).filter((p) => p !== '')
  if (parts.length <= 1) return [message]
  return parts.slice(1)
}

function describe(e: unknown): string {
  if (typeof e === 'string') return e
  const located = e as LocatedError
  const text = located.msg ?? located.message ?? String(e)
  if (located.line === undefined) return text
  const column = located.column === undefined ? '' : `, column ${located.column.start + 1}`
  return `line ${located.line.start + 1}${column}: ${text}`
}
