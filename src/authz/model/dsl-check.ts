// Model DSL as an editor needs it: every problem with the line and column it concerns (1-based),
// whether the transformer's parser finds it (syntax) or our type-check does (the same check
// WriteAuthorizationModel runs). The transformer's own validator is asked only for positions of
// a model we already refuse: it can throw on valid models, so it never decides validity.
import { syntax } from './syntax.ts'
import type { AuthorizationModelJson } from '../../store/types.ts'
import { isAuthzError } from '../errors.ts'
import { normalizeModel } from './json.ts'
import { compileModel } from './validate.ts'

export interface ModelProblem {
  /** 1-based; absent when the problem concerns the model as a whole. */
  line?: number
  column?: number
  message: string
}

export interface DslCheck {
  /** The JSON model, when the DSL is valid. */
  model?: AuthorizationModelJson
  problems: ModelProblem[]
}

interface PositionedError {
  line?: { start: number }
  column?: { start: number }
  msg?: string
  message?: string
}

function positioned(errors: unknown): ModelProblem[] {
  if (!Array.isArray(errors)) return []
  return (errors as PositionedError[]).map((e) => ({
    ...(e.line ? { line: e.line.start + 1 } : {}),
    ...(e.column ? { column: e.column.start + 1 } : {}),
    message: String(e.msg ?? e.message ?? 'invalid model'),
  }))
}

/** Where a type-check message points: the `define` of a named `type#relation`, else the `type` line. */
function locate(dsl: string, message: string): Pick<ModelProblem, 'line' | 'column'> {
  const lines = dsl.split('\n')
  const names = [...message.matchAll(/'([^'\s]+)'/g)].map((m) => m[1]!)
  const findType = (type: string) => lines.findIndex((l) => new RegExp(`^\\s*type\\s+${escape(type)}\\s*$`).test(l))
  for (const name of names) {
    const [type, relation] = name.split('#')
    if (relation === undefined) continue
    const at = findType(type!)
    if (at < 0) continue
    for (let i = at + 1; i < lines.length && !/^\s*(type|condition)\s/.test(lines[i]!); i++) {
      const col = lines[i]!.search(new RegExp(`define\\s+${escape(relation)}\\s*:`))
      if (col >= 0) return { line: i + 1, column: col + 1 }
    }
  }
  for (const name of names) {
    const at = findType(name)
    if (at >= 0) return { line: at + 1, column: lines[at]!.indexOf('type') + 1 }
    const define = lines.findIndex((l) => new RegExp(`define\\s+${escape(name)}\\s*:`).test(l))
    if (define >= 0) return { line: define + 1, column: lines[define]!.indexOf('define') + 1 }
  }
  return {}
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Parses and type-checks model DSL; `problems` is empty exactly when the server would accept it. */
export function checkModelDsl(dsl: string): DslCheck {
  let json: AuthorizationModelJson
  try {
    json = syntax().transformer.transformDSLToJSONObject(dsl) as unknown as AuthorizationModelJson
  } catch (err) {
    const problems = positioned((err as { errors?: unknown }).errors)
    return { problems: problems.length > 0 ? problems : [{ message: err instanceof Error ? err.message : String(err) }] }
  }
  try {
    compileModel('00000000000000000000000000', normalizeModel(json))
    return { model: json, problems: [] }
  } catch (err) {
    if (!isAuthzError(err)) throw err
    let problems: ModelProblem[] = []
    try {
      syntax().validator.validateDSL(dsl)
    } catch (verr) {
      problems = positioned((verr as { errors?: unknown }).errors).filter((p) => p.line !== undefined)
    }
    // Ours is the verdict; the transformer's positioned findings, when it has any, say where.
    return { problems: problems.length > 0 ? problems : [{ ...locate(dsl, err.message), message: err.message }] }
  }
}
