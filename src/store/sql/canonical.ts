// JSON columns: canonical text on the way in (shared with the engine, which compares conditions
// the same way), parsed values on the way out.
export { canonicalJson } from '../../lib/index.ts'

/** JSON columns come back parsed from PostgreSQL (jsonb) and as text from SQLite. */
export function parseJsonColumn(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value
}
