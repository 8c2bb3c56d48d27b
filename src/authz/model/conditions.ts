// Conditions: compiling a model's CEL expressions and evaluating them with a request's context.
//
// CEL engine choice: @marcbachmann/cel-js. Compared with @bufbuild/cel (a beta port of cel-go,
// spec-conformant, but built on @bufbuild/protobuf, ~900 kB, custom types as proto messages),
// cel-js has no dependencies, type-checks against declared variables (so bad expressions are
// rejected when the model is written, as OpenFGA does), evaluates a parsed program in well under a
// microsecond, and supports everything OpenFGA's parameter types need: int/uint (BigInt), double,
// bool, string, bytes, duration, timestamp, map, list, plus custom types with receiver functions,
// which gives OpenFGA's `ipaddress` type and its `in_cidr(string)` method. Known difference from
// cel-go: timestamps carry milliseconds (JS Date), not nanoseconds.
import { setFlagsFromString } from 'node:v8'
import { Environment } from '@marcbachmann/cel-js'
import { IPAddress, inCidr, parseIPAddress } from './ipaddress.ts'
import type { ConditionJson } from './json.ts'
import { celTypeName, convertParam, decodeParamType, paramTypeText, type ParamType } from './params.ts'

export interface CompiledCondition {
  name: string
  expression: string
  params: Map<string, ParamType>
  program: (context: Record<string, unknown>) => unknown
}

export type ConditionOutcome =
  | { met: boolean; error?: undefined; params: Record<string, unknown> }
  | { met: false; error: string; params: Record<string, unknown> }

// CEL's `matches()` runs on JavaScript's backtracking RegExp, so a pattern like `^(a+)+$` over a
// caller-supplied string could block the event loop for minutes (OpenFGA uses linear-time RE2).
// This V8 switch moves any regular expression that backtracks excessively to V8's linear-time
// engine; ordinary patterns keep the fast engine.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')

let baseEnv: Environment | undefined

function base(): Environment {
  baseEnv ??= new Environment({ homogeneousAggregateLiterals: false })
    .registerType('ipaddress', IPAddress)
    .registerFunction({
      name: 'in_cidr', receiverType: 'ipaddress', returnType: 'bool',
      params: [{ name: 'cidr', type: 'string' }],
      handler: (ip: IPAddress, cidr: string) => inCidr(ip, cidr),
    })
    .registerFunction('ipaddress(string): ipaddress', (text: string) => {
      const ip = parseIPAddress(text)
      if (!ip) throw new Error(`ParseAddr("${text}"): unable to parse IP`)
      return ip
    })
  return baseEnv
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]
}

/** Compiles and type-checks a condition; throws Error with the reason when it is invalid. */
export function compileCondition(c: ConditionJson): CompiledCondition {
  const params = new Map<string, ParamType>()
  let env = base().clone()
  for (const [name, ref] of Object.entries(c.parameters)) {
    let t: ParamType
    try {
      t = decodeParamType(ref)
    } catch (err) {
      throw new Error(`failed to decode parameter type for parameter '${name}': ${firstLine(err)}`)
    }
    params.set(name, t)
    env = env.registerVariable(name, celTypeName(t))
  }
  let checked: { valid: boolean; type?: string; error?: Error }
  try {
    checked = env.check(c.expression)
  } catch (err) {
    throw new Error(firstLine(err))
  }
  if (!checked.valid) throw new Error(firstLine(checked.error))
  if (checked.type !== 'bool') {
    throw new Error(`expected a bool condition expression output, but got '${checked.type}'`)
  }
  const program = env.parse(c.expression)
  return { name: c.name, expression: c.expression, params, program }
}

const EMPTY: Record<string, unknown> = {}

/**
 * Evaluates a tuple's condition. Tuple-bound context wins over the request's for the same key
 * (OpenFGA merges request then tuple). A declared parameter missing from both is an error even
 * when the expression could short-circuit without it — OpenFGA reports missing parameters.
 */
export function evaluateCondition(
  cond: CompiledCondition,
  requestContext: Record<string, unknown> | undefined,
  tupleContext: Record<string, unknown> | undefined,
  tupleText: string,
): ConditionOutcome {
  const req = requestContext ?? EMPTY
  const tup = tupleContext ?? EMPTY
  const values: Record<string, unknown> = {}
  const shown: Record<string, unknown> = {}
  const missing: string[] = []
  for (const [name, t] of cond.params) {
    const raw = Object.hasOwn(tup, name) ? tup[name] : Object.hasOwn(req, name) ? req[name] : undefined
    if (raw === undefined) { missing.push(name); continue }
    shown[name] = raw
    try {
      values[name] = convertParam(t, raw)
    } catch (err) {
      return {
        met: false, params: shown,
        error: `failed to evaluate relationship condition '${cond.name}': failed to convert context parameter '${name}' (${paramTypeText(t)}): ${firstLine(err)}`,
      }
    }
  }
  if (missing.length > 0) {
    return {
      met: false, params: shown,
      error: `failed to evaluate relationship condition '${cond.name}': tuple '${tupleText}' is missing context parameters '${missing.sort().join(', ')}'`,
    }
  }
  let out: unknown
  try {
    out = cond.program(values)
  } catch (err) {
    return { met: false, params: shown, error: `failed to evaluate relationship condition '${cond.name}': ${firstLine(err)}` }
  }
  if (typeof out !== 'boolean') {
    return { met: false, params: shown, error: `failed to evaluate relationship condition '${cond.name}': expected a bool result` }
  }
  return { met: out, params: shown }
}
