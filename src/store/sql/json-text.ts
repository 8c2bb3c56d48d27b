// PostgreSQL refuses U+0000 in text and jsonb and lone UTF-16 surrogates in jsonb, where SQLite
// stores both: checked (or repaired) before writing, so the two backends accept the same data.

/** The first string (value or key) PostgreSQL could not store, or undefined when all can be. */
export function unstorableString(value: unknown): string | undefined {
  if (typeof value === 'string') return storable(value) ? undefined : value
  if (Array.isArray(value)) {
    for (const item of value) {
      const bad = unstorableString(item)
      if (bad !== undefined) return bad
    }
    return undefined
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!storable(key)) return key
      const bad = unstorableString(item)
      if (bad !== undefined) return bad
    }
  }
  return undefined
}

/** The string with U+0000 and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD')
}

/** A deep copy of JSON data with every string and key made storable. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value)
  if (Array.isArray(value)) return value.map(storableJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[storableText(key)] = storableJson(item)
    return out
  }
  return value
}

function storable(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000')
}
