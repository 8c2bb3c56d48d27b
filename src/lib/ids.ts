import { randomUUID } from 'node:crypto'
import { monotonicFactory } from 'ulid'

const nextUlid = monotonicFactory()

/** A ULID: 26 Crockford base32 characters, sortable by creation time. */
export function newUlid(now: number = Date.now()): string {
  return nextUlid(now)
}

export const ULID_PATTERN = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{26}$/

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value)
}

export function newUuid(): string {
  return randomUUID()
}
