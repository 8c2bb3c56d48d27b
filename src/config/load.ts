import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml'
import { ConfigError } from './errors.ts'
import {
  CONFIG_FILE_ENV,
  CONFIG_KEY_NAMES,
  envVarFor,
  specOf,
  type ConfigKey,
  type GatehouseConfig,
  type GatehouseConfigInput,
  type KeyKind,
  type ResolvedBase,
} from './schema.ts'

export type ValueSource = 'default' | 'file' | 'environment' | 'option'

export interface LoadedConfig {
  config: GatehouseConfig
  /** Where each key's value came from (shown by `config print`). */
  sources: Record<ConfigKey, ValueSource>
  /** Absolute path of the YAML file that was read, if any. */
  configFile: string | undefined
}

export interface LoadConfigOptions {
  /** Environment to read GATEHOUSE_* from; pass {} to ignore the environment. */
  env?: Record<string, string | undefined>
  /** YAML file (`--config`); falls back to GATEHOUSE_CONFIG from `env`. */
  configFile?: string
  /** Highest precedence, already typed (embedding and tests). */
  overrides?: GatehouseConfigInput
  /** Base for a relative config file path. */
  cwd?: string
}

interface Candidate {
  value: unknown
  source: ValueSource
  /** Where the raw text came from, for messages: the env var or the file. */
  origin: string
}

/** Defaults < YAML file < environment < overrides. Throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const problems: string[] = []
  const candidates = new Map<ConfigKey, Candidate>()

  const fileArg = options.configFile ?? nonEmpty(env[CONFIG_FILE_ENV])
  const configFile = fileArg === undefined ? undefined : resolve(options.cwd ?? process.cwd(), fileArg)
  if (configFile !== undefined) readFileSource(configFile, candidates, problems)

  for (const name of CONFIG_KEY_NAMES) {
    const envName = envVarFor(name)
    const raw = nonEmpty(env[envName])
    if (raw === undefined) continue
    const parsed = parseText(specOf(name).kind, raw)
    if (!parsed.ok) {
      problems.push(`${describeKey(name)}: ${parsed.problem}${specOf(name).secret ? '' : ` (got ${JSON.stringify(raw)} from ${envName})`}`)
      continue
    }
    candidates.set(name, { value: parsed.value, source: 'environment', origin: envName })
  }

  problems.push(...unknownVariables(env))

  for (const [name, value] of Object.entries(options.overrides ?? {})) {
    if (!(CONFIG_KEY_NAMES as string[]).includes(name)) {
      problems.push(`unknown configuration key "${name}"`)
      continue
    }
    if (value !== undefined) candidates.set(name as ConfigKey, { value, source: 'option', origin: 'options' })
  }

  const resolved: Record<string, unknown> = {}
  const sources = {} as Record<ConfigKey, ValueSource>
  // Keys with computed defaults read the others, so they are resolved last.
  const ordered = [...CONFIG_KEY_NAMES].sort((a, b) => Number(isComputed(a)) - Number(isComputed(b)))
  for (const name of ordered) {
    const spec = specOf(name)
    const candidate = candidates.get(name)
    let value: unknown
    if (candidate !== undefined) {
      value = candidate.value
    } else if (typeof spec.default === 'function') {
      if (!('presharedKeys' in resolved) || !('dataDir' in resolved) || !('port' in resolved)) continue
      value = (spec.default as (c: ResolvedBase) => unknown)(resolved as unknown as ResolvedBase)
    } else {
      value = spec.default
    }
    const result = spec.schema.safeParse(value)
    if (!result.success) {
      const message = result.error.issues.map(issueText).join('; ')
      const got = candidate === undefined ? '' : spec.secret ? ` (from ${candidate.origin})` : ` (got ${JSON.stringify(value)} from ${candidate.origin})`
      problems.push(`${describeKey(name)}: ${message}${got}`)
      continue
    }
    resolved[name] = result.data
    sources[name] = candidate?.source ?? 'default'
  }

  if (problems.length > 0) throw new ConfigError(problems)
  return { config: Object.freeze(resolved) as unknown as GatehouseConfig, sources, configFile }
}

/** A schema problem with where it is inside the value: `[0].clientSecret: is required`. */
function issueText(issue: { path: PropertyKey[]; message: string }): string {
  const message = /^Invalid input: expected \w+, received undefined$/.test(issue.message) ? 'is required' : issue.message
  if (issue.path.length === 0) return message
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
  return `${where}: ${message}`
}

function isComputed(name: ConfigKey): boolean {
  return typeof specOf(name).default === 'function'
}

export function describeKey(name: ConfigKey): string {
  return `${name} (${envVarFor(name)})`
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function readFileSource(path: string, candidates: Map<ConfigKey, Candidate>, problems: string[]): void {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message
    problems.push(`cannot read config file ${path} (--config or ${CONFIG_FILE_ENV}): ${reason}`)
    return
  }
  let data: unknown
  const lines = new LineCounter()
  let document: ReturnType<typeof parseDocument>
  try {
    document = parseDocument(text, { lineCounter: lines })
    if (document.errors.length > 0) throw document.errors[0]
    data = document.toJS()
  } catch (err) {
    problems.push(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`)
    return
  }
  // Each key's line, so a problem names file:line.
  const lineOf = (key: string): string => {
    const pair = isMap(document.contents) ? document.contents.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined
    const offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined
    return offset === undefined ? '' : `:${lines.linePos(offset).line}`
  }
  if (data === null || data === undefined) return
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push(`config file ${path} must be a mapping of key: value`)
    return
  }
  for (const [name, raw] of Object.entries(data as Record<string, unknown>)) {
    if (!(CONFIG_KEY_NAMES as string[]).includes(name)) {
      problems.push(`unknown key "${name}" in config file ${path}${suggest(name)}`)
      continue
    }
    if (raw === null || raw === undefined) continue
    const key = name as ConfigKey
    const spec = specOf(key)
    let value: unknown = raw
    // YAML gives numbers and booleans natively; a quoted value is parsed like the env var would be.
    if (typeof raw === 'string' && spec.kind !== 'string' && spec.kind !== 'enum') {
      const parsed = parseText(spec.kind, raw)
      if (!parsed.ok) {
        problems.push(`${describeKey(key)}: ${parsed.problem} (in config file ${path}${lineOf(name)})`)
        continue
      }
      value = parsed.value
    }
    candidates.set(key, { value, source: 'file', origin: `config file ${path}${lineOf(name)}` })
  }
}

function suggest(name: string): string {
  const lower = name.toLowerCase().replace(/[_-]/g, '')
  const match = CONFIG_KEY_NAMES.find((k) => k.toLowerCase() === lower || envVarFor(k) === name)
  return match === undefined ? '' : ` (did you mean "${match}"?)`
}

type TextResult = { ok: true; value: unknown } | { ok: false; problem: string }

/** Turns env var text into the key's type. */
export function parseText(kind: KeyKind, raw: string): TextResult {
  const text = raw.trim()
  switch (kind) {
    case 'integer': {
      const normalized = text.replace(/_/g, '')
      if (!/^-?\d+$/.test(normalized)) return { ok: false, problem: 'must be a whole number' }
      return { ok: true, value: Number(normalized) }
    }
    case 'boolean': {
      const lower = text.toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(lower)) return { ok: true, value: true }
      if (['false', '0', 'no', 'off'].includes(lower)) return { ok: true, value: false }
      return { ok: false, problem: 'must be true or false' }
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown }
      } catch {
        return { ok: false, problem: 'must be JSON' }
      }
    case 'list':
      return { ok: true, value: text.split(',').map((s) => s.trim()).filter((s) => s !== '') }
    case 'string':
    case 'enum':
      return { ok: true, value: text }
  }
}

/** GATEHOUSE_* variables that are not settings but are read elsewhere (the CLI, the test suites). */
const OTHER_VARIABLES = new Set(['GATEHOUSE_NEW_PASSWORD', 'GATEHOUSE_CONFORMANCE_DIR'])

/**
 * A misspelled variable would otherwise be ignored silently (GATEHOUSE_PROT, a port that never
 * applies): every GATEHOUSE_* name must be a setting, and the message names the closest one.
 */
function unknownVariables(env: Record<string, string | undefined>): string[] {
  const known = new Set([...CONFIG_KEY_NAMES.map(envVarFor), CONFIG_FILE_ENV])
  const problems: string[] = []
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('GATEHOUSE_') || known.has(name) || OTHER_VARIABLES.has(name) || name.startsWith('GATEHOUSE_TEST_')) continue
    const closest = [...known].map((k) => [k, editDistance(name, k)] as const).sort((a, b) => a[1] - b[1])[0]
    const hint = closest !== undefined && closest[1] <= Math.max(3, Math.floor(name.length / 3)) ? `; did you mean ${closest[0]}?` : ''
    problems.push(`${name} is not a setting${hint} (every setting is listed in docs/configuration.md)`)
  }
  return problems
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
