// Gatehouse usernames → Incus project names: deterministic, and two different usernames never get
// the same project. Rules taken from Incus's own checks, so a mapped name is never refused.
//
// What Incus accepts as a project name (the union of the rules of 6.0 and of later releases, which
// added a generic API-name check): not empty; at most 64 bytes; no white space; none of
// / _ ' " ` $ ? & + *; not "." or ".."; first and last character a letter or digit. `_` is refused
// because Incus joins project and object names with it in storage names.
//
// The mapping keeps a name as it is when it is "plain": letters, digits and `.`, `@`, `-` only,
// starting and ending with a letter or digit, at most 64 characters, and without `--`. Every other
// name becomes `<readable part>--<16 hex digits of SHA-256 of the username>`. Plain names never
// contain `--` and escaped names always do, so the two sets cannot meet; among escaped names the
// 64-bit hash separates them (and a collision could not take over a project anyway: the owner
// marker on the project would not match). `:` is escaped too although Incus accepts it, because
// the incus CLI reads `remote:project`.

import { createHash } from 'node:crypto'

const MAX_LENGTH = 64
const HASH_LENGTH = 16
const SEPARATOR = '--'
const PLAIN = /^[A-Za-z0-9](?:[A-Za-z0-9.@-]*[A-Za-z0-9])?$/

/** Whether `name` is kept unchanged by incusProjectName. */
export function isPlainProjectName(name: string): boolean {
  return name.length <= MAX_LENGTH && PLAIN.test(name) && !name.includes(SEPARATOR)
}

/**
 * The Incus project name for a Gatehouse username: `alice` → `alice`,
 * `Jane Doe_2` → `Jane-Doe-2--<hash>`. Deterministic and injective (see the header).
 */
export function incusProjectName(username: string): string {
  if (isPlainProjectName(username)) return username
  const hash = createHash('sha256').update(username, 'utf8').digest('hex').slice(0, HASH_LENGTH)
  const room = MAX_LENGTH - SEPARATOR.length - HASH_LENGTH
  const readable = username
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9.@-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, room)
    .replace(/[^A-Za-z0-9]+$/, '')
  return `${readable || 'u'}${SEPARATOR}${hash}`
}

/**
 * Incus's own acceptance rules (see the header), for checking names that come from elsewhere
 * (configuration, templates) before a request is sent. Returns the reason, or undefined when valid.
 */
export function incusProjectNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty'
  if (Buffer.byteLength(name, 'utf8') > MAX_LENGTH) return `is longer than ${MAX_LENGTH} bytes`
  if (/[\s\u0085]/u.test(name)) return 'contains white space'
  const bad = [...'/_\'"`$?&+*'].find((c) => name.includes(c))
  if (bad) return `contains "${bad}"`
  if (name === '.' || name === '..') return 'is "." or ".."'
  if (!/^[A-Za-z0-9](?:.*[A-Za-z0-9])?$/su.test(name)) return 'must start and end with a letter or digit'
  return undefined
}
