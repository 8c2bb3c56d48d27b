// The Incus side of provisioning as one object: a connection pool to one incusd and the project
// operations over it. Every failure is a DeliveryError that says whether a retry can help.

import { createIncusConnection, type IncusConnectionOptions } from './connection.ts'
import type { DesiredProject } from './plan.ts'
import { ensureProject, type EnsureOutcome } from './projects.ts'
import { retireProject, type RetireOutcome, type RetirePolicy } from './retire.ts'

export interface IncusClient {
  /**
   * Creates the project for `owner`, or brings the keys the template manages up to date (other
   * keys are kept; keys the template dropped are removed). Throws notOwned for a project
   * Gatehouse did not create for this owner.
   */
  ensureProject(name: string, desired: DesiredProject, owner: string): Promise<EnsureOutcome>
  /** Applies a removal policy; idempotent. See RetirePolicy and defaultRestriction. */
  retireProject(name: string, policy: RetirePolicy, owner: string, restrictConfig?: Record<string, string>): Promise<RetireOutcome>
  /** Closes idle connections. */
  close(): void
}

/** Throws a provisioning configuration error when the options cannot work (bad URL, key, pin). */
export function createIncusClient(options: IncusConnectionOptions): IncusClient {
  const conn = createIncusConnection(options)
  return {
    ensureProject: (name, desired, owner) => ensureProject(conn, name, desired, owner),
    retireProject: (name, policy, owner, restrictConfig) => retireProject(conn, name, policy, owner, restrictConfig),
    close: () => conn.close(),
  }
}
