// Name rules shared by organizations, projects and local usernames: reserved names, and names
// generated for downstream systems (namespace slugs).

import { randomBytes } from 'node:crypto'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import type { TenancyState } from './state.ts'

export { DEFAULT_RESERVED_NAMES } from '../config/index.ts'

/** Compared after NFKC folding and lower-casing, so "Default" and "ＤＥＦＡＵＬＴ" are "default". */
export function foldName(name: string): string {
  return name.normalize('NFKC').toLowerCase()
}

export function assertNotReserved(reserved: ReadonlySet<string>, name: string, what: string): void {
  if (reserved.has(foldName(name))) throw new TenancyError(TenancyErrorCodes.reservedName, `${what} name "${name}" is reserved`, { name })
}

/**
 * A new local username must be neither reserved nor the name of an existing project: where the
 * platform maps users to personal projects, "default" would otherwise inherit the "default" project.
 */
export function assertUsernameFree(state: TenancyState, reserved: ReadonlySet<string>, username: string): void {
  assertNotReserved(reserved, username, 'user')
  const folded = foldName(username)
  for (const p of state.projects.values()) {
    if (p.name === folded) throw new TenancyError(TenancyErrorCodes.nameTaken, `user name "${username}" is the name of an existing project`, { name: username })
  }
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** `<base>-<6 random>`, a DNS label not yet used by any organization or project. */
export function newNamespace(state: TenancyState, base: string): string {
  for (;;) {
    const suffix = [...randomBytes(6)].map((b) => ALPHABET[b % ALPHABET.length]).join('')
    const slug = `${base.slice(0, 55).replace(/-+$/, '')}-${suffix}`
    if (!state.namespaces.has(slug)) return slug
  }
}
