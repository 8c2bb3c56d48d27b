// Shared plumbing for the conformance categories: fixture lifecycle and small test helpers.

import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { newUlid, type Clock } from '../../lib/index.ts'
import { isStoreError, type StoreErrorCode } from '../errors.ts'
import type { Store, TupleKey, WriteResult } from '../types.ts'

export interface StoreFixture {
  store: Store
  cleanup(): Promise<void>
  /**
   * Another handle on the same database (its own connections), as a second process would have.
   * Needed by the multiConnection category; the caller closes it through cleanup or itself.
   */
  peer?: () => Promise<Store>
}

export interface FixtureOptions {
  /** The clock the store must use; categories that test expiry move it by hand. */
  clock?: Clock
  /** Connections the store must be able to use at once (pooled backends size their pool to it). */
  connections?: number
}

export type StoreFactory = (options?: FixtureOptions) => Promise<StoreFixture>

/** A clock that only moves when told to; starts at a fixed, whole-second instant. */
export class ManualClock implements Clock {
  #ms: number
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#ms = start
  }
  now(): Date {
    return new Date(this.#ms)
  }
  advance(seconds: number): Date {
    this.#ms += seconds * 1000
    return this.now()
  }
}

export interface Harness {
  /** The category's store (migrated unless the category asked otherwise). */
  readonly store: Store
  readonly fixture: StoreFixture
  /** A new OpenFGA store with a unique id; returns its id. */
  newStore(name?: string): Promise<string>
}

/** Registers before/after hooks that open one fixture for the enclosing describe. */
export function useFixture(factory: StoreFactory, options: FixtureOptions & { migrate?: boolean } = {}): Harness {
  let fixture: StoreFixture | undefined
  before(async () => {
    fixture = await factory({ clock: options.clock, connections: options.connections })
    if (options.migrate !== false) await fixture.store.migrate()
  })
  after(async () => {
    await fixture?.cleanup()
  })
  const current = (): StoreFixture => {
    if (fixture === undefined) throw new Error('fixture used outside a test')
    return fixture
  }
  return {
    get store() {
      return current().store
    },
    get fixture() {
      return current()
    },
    async newStore(name = 'conformance') {
      const id = newUlid()
      await current().store.stores.create({ id, name })
      return id
    },
  }
}

export function tuple(object: string, relation: string, user: string, condition?: TupleKey['condition']): TupleKey {
  return condition === undefined ? { object, relation, user } : { object, relation, user, condition }
}

export function writeTuples(store: Store, storeId: string, writes: TupleKey[], deletes: TupleKey[] = []): Promise<WriteResult> {
  return store.tuples.write(storeId, { writes, deletes, onDuplicate: 'error', onMissing: 'error' })
}

/** Every tuple of the store through tuples.read, following continuation tokens. */
export async function readAll(store: Store, storeId: string, pageSize = 100): Promise<TupleKey[]> {
  const out: TupleKey[] = []
  let token = ''
  do {
    const page = await store.tuples.read(storeId, {}, { pageSize, continuationToken: token })
    out.push(...page.items.map((t) => t.key))
    token = page.continuationToken
  } while (token !== '')
  return out
}

export async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<unknown> {
  let caught: unknown
  await assert.rejects(promise, (err: unknown) => {
    caught = err
    assert.ok(isStoreError(err, code), `expected StoreError ${code}, got ${String(err)}`)
    return true
  })
  return caught
}

/** Sort key for comparing sets of tuples regardless of order. */
export function byKey(a: TupleKey, b: TupleKey): number {
  const ka = `${a.object}#${a.relation}@${a.user}`
  const kb = `${b.object}#${b.relation}@${b.user}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/** Waits until the wall clock has moved past `ms` (so later writes get a later timestamp). */
export async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await sleep(1)
}

/** A token with one character of its payload changed, still valid base64url. */
export function tamper(token: string): string {
  const i = Math.floor(token.length / 2)
  const replacement = token[i] === 'A' ? 'B' : 'A'
  return token.slice(0, i) + replacement + token.slice(i + 1)
}
