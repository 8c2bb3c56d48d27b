// The authorization model in OpenFGA's JSON form: types, and normalization of a request body that
// may use protojson's json names (snake_case) or proto names (`tuple_to_userset`) and enum numbers,
// into one canonical shape (the one ReadAuthorizationModel returns, unpopulated fields included).
import { validationError } from '../errors.ts'

export interface ObjectRelationJson { object: string; relation: string }

export interface UsersetJson {
  this?: Record<string, never>
  computedUserset?: ObjectRelationJson
  tupleToUserset?: { tupleset: ObjectRelationJson; computedUserset: ObjectRelationJson }
  union?: { child: UsersetJson[] }
  intersection?: { child: UsersetJson[] }
  difference?: { base: UsersetJson; subtract: UsersetJson }
}

export interface RelationReferenceJson {
  type: string
  relation?: string
  wildcard?: Record<string, never>
  condition: string
}

export interface SourceInfoJson { file: string }

export interface RelationMetadataJson {
  directly_related_user_types: RelationReferenceJson[]
  module: string
  source_info: SourceInfoJson | null
}

export interface TypeMetadataJson {
  relations: Record<string, RelationMetadataJson>
  module: string
  source_info: SourceInfoJson | null
}

export interface TypeDefinitionJson {
  type: string
  relations: Record<string, UsersetJson>
  metadata: TypeMetadataJson | null
}

export interface ConditionParamTypeJson {
  type_name: string
  generic_types: ConditionParamTypeJson[]
}

export interface ConditionJson {
  name: string
  expression: string
  parameters: Record<string, ConditionParamTypeJson>
  metadata: { module: string; source_info: SourceInfoJson | null } | null
}

export interface ModelJson {
  schema_version: string
  type_definitions: TypeDefinitionJson[]
  conditions: Record<string, ConditionJson>
}

/** Enum numbers of ConditionParamTypeRef.TypeName (openfga/api authzmodel.proto). */
const TYPE_NAMES = ['TYPE_NAME_UNSPECIFIED', 'TYPE_NAME_ANY', 'TYPE_NAME_BOOL', 'TYPE_NAME_STRING', 'TYPE_NAME_INT',
  'TYPE_NAME_UINT', 'TYPE_NAME_DOUBLE', 'TYPE_NAME_DURATION', 'TYPE_NAME_TIMESTAMP', 'TYPE_NAME_MAP', 'TYPE_NAME_LIST',
  'TYPE_NAME_IPADDRESS']

type Obj = Record<string, unknown>

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Reads a field by its json name or its proto name (protojson accepts both). */
export function field(o: Obj, jsonName: string, protoName?: string): unknown {
  if (o[jsonName] !== undefined) return o[jsonName]
  return protoName === undefined ? undefined : o[protoName]
}

function str(v: unknown, what: string): string {
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string') throw validationError(`invalid ${what}: expected a string`)
  return v
}

function obj(v: unknown, what: string): Obj {
  if (v === undefined || v === null) return {}
  if (!isObject(v)) throw validationError(`invalid ${what}: expected an object`)
  return v
}

function arr(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw validationError(`invalid ${what}: expected an array`)
  return v
}

function objectRelation(v: unknown, what: string): ObjectRelationJson {
  const o = obj(v, what)
  return { object: str(o.object, `${what}.object`), relation: str(o.relation, `${what}.relation`) }
}

function userset(v: unknown, where: string): UsersetJson {
  const o = obj(v, where)
  const out: UsersetJson = {}
  let set = 0
  if (o.this !== undefined && o.this !== null) { out.this = {}; set++ }
  const cu = field(o, 'computedUserset', 'computed_userset')
  if (cu !== undefined && cu !== null) { out.computedUserset = objectRelation(cu, `${where}.computedUserset`); set++ }
  const ttu = field(o, 'tupleToUserset', 'tuple_to_userset')
  if (ttu !== undefined && ttu !== null) {
    const t = obj(ttu, `${where}.tupleToUserset`)
    out.tupleToUserset = {
      tupleset: objectRelation(t.tupleset, `${where}.tupleToUserset.tupleset`),
      computedUserset: objectRelation(field(t, 'computedUserset', 'computed_userset'), `${where}.tupleToUserset.computedUserset`),
    }
    set++
  }
  for (const op of ['union', 'intersection'] as const) {
    if (o[op] !== undefined && o[op] !== null) {
      const c = obj(o[op], `${where}.${op}`)
      out[op] = { child: arr(c.child, `${where}.${op}.child`).map((x, i) => userset(x, `${where}.${op}.child[${i}]`)) }
      set++
    }
  }
  if (o.difference !== undefined && o.difference !== null) {
    const d = obj(o.difference, `${where}.difference`)
    out.difference = { base: userset(d.base, `${where}.difference.base`), subtract: userset(d.subtract, `${where}.difference.subtract`) }
    set++
  }
  if (set > 1) throw validationError(`invalid ${where}: a userset sets exactly one of this, computedUserset, tupleToUserset, union, intersection, difference`)
  return out
}

function sourceInfo(v: unknown): SourceInfoJson | null {
  if (!isObject(v)) return null
  return { file: str(v.file, 'source_info.file') }
}

function relationReference(v: unknown, where: string): RelationReferenceJson {
  const o = obj(v, where)
  const out: RelationReferenceJson = { type: str(o.type, `${where}.type`), condition: str(o.condition, `${where}.condition`) }
  const relation = str(o.relation, `${where}.relation`)
  if (relation !== '') out.relation = relation
  if (o.wildcard !== undefined && o.wildcard !== null) out.wildcard = {}
  return out
}

function typeDefinition(v: unknown, i: number): TypeDefinitionJson {
  const where = `type_definitions[${i}]`
  const o = obj(v, where)
  const relations: Record<string, UsersetJson> = {}
  for (const [name, rw] of Object.entries(obj(o.relations, `${where}.relations`))) {
    relations[name] = userset(rw, `${where}.relations.${name}`)
  }
  let metadata: TypeMetadataJson | null = null
  if (isObject(o.metadata)) {
    const m = o.metadata
    const rels: Record<string, RelationMetadataJson> = {}
    for (const [name, rm] of Object.entries(obj(m.relations, `${where}.metadata.relations`))) {
      const r = obj(rm, `${where}.metadata.relations.${name}`)
      rels[name] = {
        directly_related_user_types: arr(field(r, 'directly_related_user_types', 'directlyRelatedUserTypes'),
          `${where}.metadata.relations.${name}.directly_related_user_types`)
          .map((x, j) => relationReference(x, `${where}.metadata.relations.${name}.directly_related_user_types[${j}]`)),
        module: str(r.module, 'module'),
        source_info: sourceInfo(field(r, 'source_info', 'sourceInfo')),
      }
    }
    metadata = { relations: rels, module: str(m.module, 'module'), source_info: sourceInfo(field(m, 'source_info', 'sourceInfo')) }
  }
  return { type: str(o.type, `${where}.type`), relations, metadata }
}

function paramType(v: unknown, where: string): ConditionParamTypeJson {
  const o = obj(v, where)
  const raw = field(o, 'type_name', 'typeName')
  let typeName: string
  if (typeof raw === 'number') typeName = TYPE_NAMES[raw] ?? String(raw)
  else typeName = str(raw, `${where}.type_name`)
  const generics = arr(field(o, 'generic_types', 'genericTypes'), `${where}.generic_types`)
  return { type_name: typeName, generic_types: generics.map((g, i) => paramType(g, `${where}.generic_types[${i}]`)) }
}

function condition(key: string, v: unknown): ConditionJson {
  const where = `conditions.${key}`
  const o = obj(v, where)
  const parameters: Record<string, ConditionParamTypeJson> = {}
  for (const [name, p] of Object.entries(obj(o.parameters, `${where}.parameters`))) {
    parameters[name] = paramType(p, `${where}.parameters.${name}`)
  }
  const m = isObject(o.metadata) ? o.metadata : null
  return {
    name: str(o.name, `${where}.name`),
    expression: str(o.expression, `${where}.expression`),
    parameters,
    metadata: m ? { module: str(m.module, 'module'), source_info: sourceInfo(field(m, 'source_info', 'sourceInfo')) } : null,
  }
}

/** Normalizes a WriteAuthorizationModel body (or a stored model) into the canonical JSON form. */
export function normalizeModel(body: unknown): ModelJson {
  if (!isObject(body)) throw validationError('invalid authorization model: expected a JSON object')
  const schemaVersion = str(field(body, 'schema_version', 'schemaVersion'), 'schema_version')
  const typeDefinitions = arr(field(body, 'type_definitions', 'typeDefinitions'), 'type_definitions').map(typeDefinition)
  const conditions: Record<string, ConditionJson> = {}
  for (const [key, c] of Object.entries(obj(body.conditions, 'conditions'))) conditions[key] = condition(key, c)
  return { schema_version: schemaVersion, type_definitions: typeDefinitions, conditions }
}
