// The forward-auth part of the storage contract: the applications reverse proxies protect. The
// store keeps each application's validated document as opaque JSON; validation and compilation
// into a registry happen above the store.

import type { JsonObject } from './identity-types.ts'

export type ForwardAuthAppSource = 'api' | 'bootstrap' | 'cli'

export interface ForwardAuthAppInput {
  /** Non-empty. */
  id: string
  /** The validated application document. Strings must not contain U+0000 or lone surrogates. */
  spec: JsonObject
  source: ForwardAuthAppSource
}

export interface ForwardAuthAppRecord extends ForwardAuthAppInput {
  createdAt: Date
  updatedAt: Date
  /** 1 on creation, +1 on every replace that changed spec or source. */
  version: number
}

export interface ForwardAuthAppsRepo {
  /** Every application, ordered by id (byte order). */
  list(): Promise<ForwardAuthAppRecord[]>
  get(id: string): Promise<ForwardAuthAppRecord | undefined>
  /** Fails with already_exists when the id is taken. */
  create(input: ForwardAuthAppInput): Promise<ForwardAuthAppRecord>
  /**
   * Creates or replaces. Equal spec (by value, whatever the key order) and source change nothing:
   * version and updatedAt stay, so bootstrap can run on every start of every replica.
   * `expectedVersion`, when given, must equal the stored version (0 = must not exist yet), or it
   * fails with version_conflict and changes nothing — even when the content is identical.
   */
  replace(input: ForwardAuthAppInput, expectedVersion?: number): Promise<ForwardAuthAppRecord>
  delete(id: string): Promise<boolean>
  /**
   * An opaque value that differs after every create, changing replace and delete, committed by any
   * replica. Pollers read it before list(), so a write racing the list is seen on the next poll.
   */
  revision(): Promise<string>
}
