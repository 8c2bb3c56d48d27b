// Templates of provisioning rules: literal text with `{{ variable | filter }}` substitutions
// (`\{{` writes literal braces). They replace glue that ran arbitrary code on every sign-in, so a
// template reads only the fixed catalogue of template-variables.ts and applies only the filters
// of template-filters.ts: no code, no property lookup by name, no loops, bounded in size.

import { AppError } from '../lib/index.ts'
import { ProvisioningCodes, provisioningConfigError } from './errors.ts'
import { FILTERS, listVariant, type Filter, type Value } from './template-filters.ts'
import { CATALOGUE, HINTS, TEMPLATE_VARIABLES, type TemplateVars, type VariableSpec } from './template-variables.ts'

export {
  GROUP_SYNC_VARIABLES, INCUS_PROJECT_VARIABLE, PROJECT_GROUP_VARIABLES, PROJECT_VARIABLES, TEMPLATE_VARIABLES, USER_VARIABLES,
  type TemplateOrganization, type TemplateUser, type TemplateVars,
} from './template-variables.ts'

export const TEMPLATE_LIMITS = {
  /** Characters of one template's source. */
  sourceChars: 4096,
  /** `{{ }}` expressions in one template. */
  expressions: 64,
  /** Characters one rendering may produce (a user's groups come from the identity provider). */
  outputChars: 65_536,
  /** Keys of an object template. */
  objectKeys: 256,
} as const

export interface CompiledTemplate {
  render(vars: TemplateVars): string
  /** Variables the template reads, in order of first use. */
  variables: string[]
}

export interface CompiledObjectTemplate {
  render(vars: TemplateVars): Record<string, string>
  variables: string[]
}

interface Expression { source: string; variable: string; spec: VariableSpec; filters: Filter[]; hasDefault: boolean }
type Part = string | Expression

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y
const SPACE = /\s*/y

/** Short, printable excerpt of hostile or long input for error messages. */
function shown(s: string): string {
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?')
  return JSON.stringify(clean.length > 40 ? clean.slice(0, 40) + '…' : clean)
}

class Parser {
  readonly source: string
  readonly where: string
  readonly allowed: ReadonlySet<string>
  pos = 0

  constructor(source: string, where: string, allowed: ReadonlySet<string>) {
    this.source = source
    this.where = where
    this.allowed = allowed
  }

  at(pos: number): string {
    const before = this.source.slice(0, pos)
    const line = before.split('\n').length
    const column = Array.from(before.slice(before.lastIndexOf('\n') + 1)).length + 1
    return this.source.includes('\n') ? `line ${line}, column ${column}` : `column ${column}`
  }

  /** `note` (what is available) comes after the position, which matters more. */
  fail(pos: number, message: string, note?: string): AppError {
    return provisioningConfigError(this.where, `${message} at ${this.at(pos)}${note === undefined ? '' : ` (${note})`}`)
  }

  /** What stands where something else was expected, white space skipped. */
  found(): string {
    const rest = this.source.slice(this.pos).trimStart()
    return rest === '' ? 'the end of the template' : shown(rest.slice(0, 2))
  }

  skipSpace(): void {
    SPACE.lastIndex = this.pos
    SPACE.exec(this.source)
    this.pos = SPACE.lastIndex
  }

  ident(): string | undefined {
    IDENT.lastIndex = this.pos
    const m = IDENT.exec(this.source)
    if (!m) return undefined
    this.pos = IDENT.lastIndex
    return m[0]
  }

  parse(): Part[] {
    const parts: Part[] = []
    let literal = ''
    let expressions = 0
    const s = this.source
    while (this.pos < s.length) {
      if (s.startsWith('\\{{', this.pos) || s.startsWith('\\}}', this.pos)) {
        literal += s.slice(this.pos + 1, this.pos + 3)
        this.pos += 3
      } else if (s.startsWith('{{', this.pos)) {
        if (++expressions > TEMPLATE_LIMITS.expressions) {
          throw this.fail(this.pos, `more than ${TEMPLATE_LIMITS.expressions} substitutions`)
        }
        if (literal !== '') parts.push(literal)
        literal = ''
        parts.push(this.expression())
      } else {
        literal += s[this.pos++]
      }
    }
    if (literal !== '') parts.push(literal)
    return parts
  }

  expression(): Expression {
    const open = this.pos
    this.pos += 2
    this.skipSpace()
    const start = this.pos
    const segments: string[] = []
    for (;;) {
      const id = this.ident()
      if (id === undefined) {
        const what = segments.length === 0 ? 'a variable name' : `a name after '${segments.join('.')}.'`
        throw this.fail(this.pos, `expected ${what}, found ${this.found()}`)
      }
      segments.push(id)
      if (this.source[this.pos] !== '.') break
      this.pos++
    }
    const variable = segments.join('.')
    const spec = this.allowed.has(variable) ? CATALOGUE.get(variable) : undefined
    if (!spec) {
      const known = TEMPLATE_VARIABLES.filter((n) => this.allowed.has(n))
      const hint = Object.hasOwn(HINTS, variable) ? `; ${HINTS[variable]}` : ''
      throw this.fail(start, `unknown variable ${shown(variable)}${hint}`, `available here: ${known.join(', ')}`)
    }
    const filters: Filter[] = []
    let kind = spec.kind
    this.skipSpace()
    while (this.source[this.pos] === '|') {
      this.pos++
      this.skipSpace()
      const at = this.pos
      const parsed = this.filter()
      const filter = kind === 'list' && parsed.input === 'text' ? listVariant(parsed) ?? parsed : parsed
      if (filter.input !== kind) {
        throw this.fail(at, kind === 'list'
          ? `filter '${filter.name}' does not apply to a list (${variable} is one): join it first`
          : `filter '${filter.name}' applies to lists only`)
      }
      kind = filter.output
      filters.push(filter)
      this.skipSpace()
    }
    if (!this.source.startsWith('}}', this.pos)) {
      const expected = this.pos >= this.source.length ? `'}}' to close the '{{' at ${this.at(open)}` : `'|' or '}}'`
      throw this.fail(this.pos, `expected ${expected}, found ${this.found()}`)
    }
    if (kind === 'list') {
      throw this.fail(start, `${variable} is a list: end with | join(", ") to turn it into text`)
    }
    this.pos += 2
    const source = this.source.slice(open, this.pos)
    return { source, variable, spec, filters, hasDefault: filters.some((f) => f.name === 'default') }
  }

  filter(): Filter {
    const at = this.pos
    const name = this.ident()
    const make = name === undefined || !Object.hasOwn(FILTERS, name) ? undefined : FILTERS[name]
    if (!make) {
      const what = name === undefined ? `a filter name, found ${this.found()}` : `a known filter, found ${shown(name)}`
      throw this.fail(at, `expected ${what}`, `filters: ${Object.keys(FILTERS).join(', ')}`)
    }
    this.skipSpace()
    if (make.argument === 'none') {
      if (this.source[this.pos] === '(') throw this.fail(this.pos, `filter '${name}' takes no argument`)
      return make.build(undefined)
    }
    if (this.source[this.pos] !== '(') throw this.fail(this.pos, `expected '(' after '${name}', found ${this.found()}`)
    this.pos++
    this.skipSpace()
    const argAt = this.pos
    const arg = make.argument === 'string' ? this.stringLiteral() : this.integerLiteral()
    this.skipSpace()
    if (this.source[this.pos] !== ')') throw this.fail(this.pos, `expected ')' to close '${name}(', found ${this.found()}`)
    this.pos++
    const problem = make.check?.(arg)
    if (problem) throw this.fail(argAt, `filter '${name}': ${problem}`)
    return make.build(arg)
  }

  stringLiteral(): string {
    const quote = this.source[this.pos]
    if (quote !== '"' && quote !== "'") throw this.fail(this.pos, `expected a quoted text, found ${this.found()}`)
    const open = this.pos++
    let out = ''
    while (this.pos < this.source.length) {
      const c = this.source[this.pos++]
      if (c === quote) return out
      if (c === '\\' && this.pos < this.source.length) out += this.source[this.pos++]
      else out += c
    }
    throw this.fail(open, `unterminated text: expected a closing ${quote}`)
  }

  integerLiteral(): number {
    const m = /[0-9]{1,6}/y
    m.lastIndex = this.pos
    const found = m.exec(this.source)
    if (!found) throw this.fail(this.pos, `expected a whole number, found ${this.found()}`)
    this.pos = m.lastIndex
    return Number(found[0])
  }
}

function templateFailed(where: string, message: string, variable: string): AppError {
  return new AppError(ProvisioningCodes.templateFailed, `${where}: ${message}`, { status: 422, details: { where, variable } })
}

function readVariable(spec: VariableSpec, vars: TemplateVars): Value {
  const raw = spec.read(vars)
  if (spec.kind === 'list') return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string' && x !== '') : []
  return typeof raw === 'string' && raw !== '' ? raw : undefined
}

function evaluate(e: Expression, vars: TemplateVars, where: string): string {
  let value = readVariable(e.spec, vars)
  for (const f of e.filters) value = f.apply(value)
  if (typeof value !== 'string') throw templateFailed(where, `no value for ${e.variable} in ${shown(e.source)}; add | default("…") if that is expected`, e.variable)
  if (value === '' && !e.hasDefault) throw templateFailed(where, `${shown(e.source)} renders empty; add | default("…") if that is expected`, e.variable)
  return value
}

/**
 * Compiles `source` for the variables in `allowed`. Throws a configuration error naming `where`
 * and the column for unknown variables or filters, unbalanced braces and oversize templates.
 */
export function compileTemplate(source: string, where: string, allowed: ReadonlySet<string>): CompiledTemplate {
  if (typeof source !== 'string') throw provisioningConfigError(where, 'expected a text template')
  if (source.length > TEMPLATE_LIMITS.sourceChars) {
    throw provisioningConfigError(where, `template longer than ${TEMPLATE_LIMITS.sourceChars} characters`)
  }
  const parts = new Parser(source, where, allowed).parse()
  const variables = [...new Set(parts.flatMap((p) => (typeof p === 'string' ? [] : [p.variable])))]
  return {
    variables,
    render(vars: TemplateVars): string {
      let out = ''
      for (const p of parts) {
        out += typeof p === 'string' ? p : evaluate(p, vars, where)
        if (out.length > TEMPLATE_LIMITS.outputChars) {
          throw templateFailed(where, `renders more than ${TEMPLATE_LIMITS.outputChars} characters`, typeof p === 'string' ? '' : p.variable)
        }
      }
      return out
    },
  }
}

function keyWhere(where: string, key: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`
}

/**
 * Compiles every value of `source` (e.g. an Incus project's config), reporting errors at
 * `where.key`. Numbers and booleans (as YAML gives them) are taken as their text.
 */
export function compileObjectTemplate(
  source: Readonly<Record<string, string | number | boolean>>,
  where: string,
  allowed: ReadonlySet<string>,
): CompiledObjectTemplate {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw provisioningConfigError(where, 'expected an object of text templates')
  }
  const keys = Object.keys(source)
  if (keys.length > TEMPLATE_LIMITS.objectKeys) throw provisioningConfigError(where, `more than ${TEMPLATE_LIMITS.objectKeys} keys`)
  const compiled = keys.map((key) => {
    const value = source[key]
    const at = keyWhere(where, key)
    if (key === '') throw provisioningConfigError(where, 'empty key')
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw provisioningConfigError(at, `expected a text template, found ${value === null ? 'null' : typeof value}`)
    }
    return [key, compileTemplate(String(value), at, allowed)] as const
  })
  return {
    variables: [...new Set(compiled.flatMap(([, t]) => t.variables))],
    // Object.fromEntries defines own properties, so even a key named __proto__ stays plain data.
    render: (vars) => Object.fromEntries(compiled.map(([key, t]) => [key, t.render(vars)])),
  }
}
