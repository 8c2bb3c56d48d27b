// Model validation and compilation: the checks OpenFGA's typesystem makes before it accepts a model
// (schema version, names, duplicate types, rewrites that reference defined relations, tuplesets that
// are direct and plain, type restrictions that exist, conditions that compile to bool, and every
// relation having an entrypoint so no definition is an impossible cycle). Failures are
// `invalid_authorization_model` (2056) naming the type and relation.
import { AuthzError, validationError } from '../errors.ts'
import { compileCondition, type CompiledCondition } from './conditions.ts'
import { CompiledModel, forEachLeaf, rewriteOf, type CompiledRelation, type CompiledType, type DirectType, type Rewrite } from './compiled.ts'
import type { ModelJson } from './json.ts'

const NAME = /^[^:#@\s]{1,254}$/
const RELATION_NAME = /^[^:#@\s]{1,50}$/
const CONDITION_NAME = /^[^:#@\s]{1,50}$/
const RESERVED = new Set(['self', 'this'])
export const SUPPORTED_SCHEMA_VERSIONS = new Set(['1.1', '1.2'])
const MAX_CONDITIONS = 25
const MAX_CONDITION_PARAMS = 25
const MAX_EXPRESSION_BYTES = 512

function invalid(message: string): AuthzError {
  return new AuthzError('invalid_authorization_model', message)
}

function compileConditions(m: ModelJson): Map<string, CompiledCondition> {
  const entries = Object.entries(m.conditions)
  if (entries.length > MAX_CONDITIONS) throw validationError(`a model may define at most ${MAX_CONDITIONS} conditions`)
  const out = new Map<string, CompiledCondition>()
  for (const [key, c] of entries) {
    if (!CONDITION_NAME.test(key)) throw validationError(`invalid condition name '${key}'`)
    if (c.name !== key) throw invalid(`condition key '${key}' does not match condition name '${c.name}'`)
    if (c.expression === '') throw invalid(`condition '${key}' has an empty expression`)
    if (Buffer.byteLength(c.expression) > MAX_EXPRESSION_BYTES) {
      throw validationError(`condition '${key}': expression exceeds ${MAX_EXPRESSION_BYTES} bytes`)
    }
    if (Object.keys(c.parameters).length > MAX_CONDITION_PARAMS) {
      throw validationError(`condition '${key}' declares more than ${MAX_CONDITION_PARAMS} parameters`)
    }
    try {
      out.set(key, compileCondition(c))
    } catch (err) {
      throw invalid(`failed to compile condition '${key}': ${(err as Error).message}`)
    }
  }
  return out
}

function directTypesOf(m: ModelJson, type: string, relation: string): DirectType[] {
  const td = m.type_definitions.find((t) => t.type === type)
  const refs = td?.metadata?.relations?.[relation]?.directly_related_user_types ?? []
  return refs.map((r) => ({ type: r.type, relation: r.relation ?? '', wildcard: r.wildcard !== undefined, condition: r.condition }))
}

function hasThis(rw: Rewrite): boolean {
  let found = false
  forEachLeaf(rw, (leaf) => { if (leaf.kind === 'this') found = true })
  return found
}

function checkRewrite(types: Map<string, CompiledType>, rel: CompiledRelation, rw: Rewrite): void {
  const where = `${rel.type}#${rel.name}`
  const own = types.get(rel.type)!
  switch (rw.kind) {
    case 'this':
      return
    case 'computed':
      if (!own.relations.has(rw.relation)) throw invalid(`relation '${rw.relation}' referenced by '${where}' is not defined on type '${rel.type}'`)
      return
    case 'ttu': {
      const ts = own.relations.get(rw.tupleset)
      if (!ts) throw invalid(`tupleset relation '${rw.tupleset}' referenced by '${where}' is not defined on type '${rel.type}'`)
      if (ts.rewrite.kind !== 'this') {
        throw invalid(`the '${rel.type}#${rw.tupleset}' relation is referenced in at least one tupleset and thus must be a direct relation`)
      }
      if (!ts.directTypes.some((d) => types.get(d.type)?.relations.has(rw.computed))) {
        throw invalid(`'${rw.computed}' in '${rw.computed} from ${rw.tupleset}' of '${where}' is not a relation of any type allowed on '${rel.type}#${rw.tupleset}'`)
      }
      return
    }
    case 'union':
    case 'intersection':
      if (rw.children.length === 0) throw invalid(`'${where}' has an empty ${rw.kind}`)
      for (const c of rw.children) checkRewrite(types, rel, c)
      return
    case 'exclusion':
      checkRewrite(types, rel, rw.base)
      checkRewrite(types, rel, rw.subtract)
  }
}

function checkDirectTypes(types: Map<string, CompiledType>, conditions: Map<string, CompiledCondition>, rel: CompiledRelation): void {
  const where = `${rel.type}#${rel.name}`
  const assignable = hasThis(rel.rewrite)
  if (assignable && rel.directTypes.length === 0) throw invalid(`the assignable relation '${where}' must have type restrictions`)
  if (!assignable && rel.directTypes.length > 0) throw invalid(`the non-assignable relation '${where}' must not have type restrictions`)
  for (const d of rel.directTypes) {
    const text = `${d.type}${d.wildcard ? ':*' : ''}${d.relation ? '#' + d.relation : ''}${d.condition ? ' with ' + d.condition : ''}`
    const target = types.get(d.type)
    if (!target) throw invalid(`type '${d.type}' in the type restrictions of '${where}' is not defined`)
    if (d.wildcard && d.relation) throw invalid(`'${text}' in '${where}' cannot be both a wildcard and a userset`)
    if (d.relation && !target.relations.has(d.relation)) {
      throw invalid(`relation '${d.type}#${d.relation}' in the type restrictions of '${where}' is not defined`)
    }
    if (d.condition && !conditions.has(d.condition)) {
      throw invalid(`condition '${d.condition}' in the type restrictions of '${where}' is not defined`)
    }
    if (rel.isTupleset && (d.wildcard || d.relation)) {
      throw invalid(`'${where}' is used as a tupleset, so its type restrictions cannot contain wildcards or usersets ('${text}')`)
    }
  }
}

/** Least fixpoint of "can be satisfied by some stored tuple chain": a relation without it is unusable. */
function checkEntrypoints(types: Map<string, CompiledType>): void {
  const ok = new Set<string>()
  const has = (type: string, rel: string) => ok.has(`${type}#${rel}`)
  const evalRw = (rel: CompiledRelation, rw: Rewrite): boolean => {
    switch (rw.kind) {
      case 'this': return rel.directTypes.some((d) => !d.relation || has(d.type, d.relation))
      case 'computed': return has(rel.type, rw.relation)
      case 'ttu': {
        const ts = types.get(rel.type)!.relations.get(rw.tupleset)!
        return ts.directTypes.some((d) => has(d.type, rw.computed))
      }
      case 'union': return rw.children.some((c) => evalRw(rel, c))
      case 'intersection': return rw.children.every((c) => evalRw(rel, c))
      case 'exclusion': return evalRw(rel, rw.base)
    }
  }
  for (let changed = true; changed;) {
    changed = false
    for (const t of types.values()) {
      for (const rel of t.relations.values()) {
        const key = `${rel.type}#${rel.name}`
        if (!ok.has(key) && evalRw(rel, rel.rewrite)) { ok.add(key); changed = true }
      }
    }
  }
  for (const t of types.values()) {
    for (const rel of t.relations.values()) {
      if (!has(rel.type, rel.name)) {
        throw invalid(`the relation '${rel.type}#${rel.name}' has no entrypoint: no chain of tuples can ever satisfy it (an impossible cycle)`)
      }
    }
  }
}

/** Validates a normalized model and compiles it; throws AuthzError naming what is wrong. */
export function compileModel(id: string, m: ModelJson): CompiledModel {
  if (m.schema_version === '') m.schema_version = '1.1'
  if (!SUPPORTED_SCHEMA_VERSIONS.has(m.schema_version)) {
    throw invalid(`invalid schema version '${m.schema_version}': supported versions are 1.1 and 1.2`)
  }
  if (m.type_definitions.length === 0) {
    throw new AuthzError('type_definitions_too_few_items', 'an authorization model needs at least one type definition')
  }
  const conditions = compileConditions(m)
  const types = new Map<string, CompiledType>()
  for (const td of m.type_definitions) {
    if (!NAME.test(td.type)) throw validationError(`invalid type name '${td.type}'`)
    if (RESERVED.has(td.type)) throw invalid(`'${td.type}' is a reserved keyword and cannot be a type name`)
    if (types.has(td.type)) throw invalid(`the type '${td.type}' is defined more than once`)
    types.set(td.type, { name: td.type, relations: new Map() })
  }
  for (const td of m.type_definitions) {
    const t = types.get(td.type)!
    for (const [name, us] of Object.entries(td.relations)) {
      if (!RELATION_NAME.test(name)) throw validationError(`invalid relation name '${name}' on type '${td.type}'`)
      if (RESERVED.has(name)) throw invalid(`'${name}' is a reserved keyword and cannot be a relation name (type '${td.type}')`)
      const rewrite = rewriteOf(us)
      if (!rewrite) throw invalid(`the relation '${td.type}#${name}' has an empty or incomplete definition`)
      const directTypes = directTypesOf(m, td.type, name)
      const selfNested = rewrite.kind === 'this' && directTypes.some((d) => d.relation) &&
        directTypes.every((d) => !d.relation || (d.type === td.type && d.relation === name))
      t.relations.set(name, { type: td.type, name, key: `${td.type}#${name}`, rewrite, directTypes, isTupleset: false, selfNested })
    }
  }
  for (const t of types.values()) {
    for (const rel of t.relations.values()) {
      forEachLeaf(rel.rewrite, (leaf) => {
        if (leaf.kind === 'ttu') { const ts = t.relations.get(leaf.tupleset); if (ts) ts.isTupleset = true }
      })
    }
  }
  for (const t of types.values()) {
    for (const rel of t.relations.values()) checkRewrite(types, rel, rel.rewrite)
  }
  for (const t of types.values()) {
    for (const rel of t.relations.values()) checkDirectTypes(types, conditions, rel)
  }
  checkEntrypoints(types)
  return new CompiledModel(id, m, types, conditions)
}
