// What the relationship-store pages share: the OpenFGA API's shapes as the console reads them,
// and tuples written as `object#relation@user`, one a line, where a form takes several.

export interface StoreView {
  id: string
  name: string
  created_at: string
  updated_at: string
}

export interface TupleKey {
  object: string
  relation: string
  user: string
  condition?: { name: string; context?: Record<string, unknown> | null } | null
}

export interface ModelProblem {
  line?: number
  column?: number
  message: string
}

export interface DslCheck {
  valid: boolean
  problems: ModelProblem[]
  authorization_model?: unknown
}

export const storePath = (id: string, tab = '') => `/stores/${encodeURIComponent(id)}${tab === '' ? '' : `/${tab}`}`
export const fga = (id: string, rest: string) => `/stores/${encodeURIComponent(id)}${rest}`
export const tools = (id: string, rest: string) => `/api/v1/stores/${encodeURIComponent(id)}${rest}`

export const tupleText = (t: TupleKey) => `${t.object}#${t.relation}@${t.user}`

/** `document:1#viewer@user:anne` (the user may itself be a userset, `group:eng#member`). */
export function parseTuple(line: string): TupleKey {
  const hash = line.indexOf('#')
  const at = line.indexOf('@', hash)
  if (hash < 1 || at < hash + 2 || at === line.length - 1) throw new Error(`"${line}" is not object#relation@user`)
  return { object: line.slice(0, hash), relation: line.slice(hash + 1, at), user: line.slice(at + 1) }
}

export function parseTuples(text: string): TupleKey[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map(parseTuple)
}

/** A JSON object from a form field; undefined when empty. */
export function jsonObject(text: string, what: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new Error(`${what} is not valid JSON`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be a JSON object`)
  return v as Record<string, unknown>
}

/** The creation time a ULID carries (model ids are ULIDs). */
export function ulidTime(id: string): Date | undefined {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  let ms = 0
  for (const c of id.slice(0, 10)) {
    const v = alphabet.indexOf(c)
    if (v < 0) return undefined
    ms = ms * 32 + v
  }
  return new Date(ms)
}

// A model carried from the editor to the change preview (same tab, read once).
const CARRIED = 'gatehouse.console.preview-model'

export function carryModel(storeId: string, dsl: string): void {
  sessionStorage.setItem(CARRIED, JSON.stringify({ storeId, dsl }))
}

export function takeCarriedModel(storeId: string): string | undefined {
  const raw = sessionStorage.getItem(CARRIED)
  sessionStorage.removeItem(CARRIED)
  const carried = raw === null ? undefined : (JSON.parse(raw) as { storeId: string; dsl: string })
  return carried?.storeId === storeId ? carried.dsl : undefined
}
