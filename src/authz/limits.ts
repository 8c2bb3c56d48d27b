// The engine's limits. Defaults are OpenFGA's (pkg/server/config/config.go), so clients written
// against OpenFGA meet the same boundaries here.

export interface AuthzLimits {
  maxTuplesPerWrite: number
  maxChecksPerBatchCheck: number
  maxContextualTuples: number
  maxAssertions: number
  /** ListObjects stops (without error) after this many results. */
  listObjectsMaxResults: number
  /** ListObjects returns what it found so far after this long. */
  listObjectsDeadlineMs: number
  listUsersMaxResults: number
  listUsersDeadlineMs: number
  /**
   * Entries (users of direct leaves, usersets of tuple-to-userset leaves) one Expand answer may
   * hold; beyond it Expand fails with 400 exceeded_entity_limit. OpenFGA has no such bound: its
   * answer grows with the tuples.
   */
  expandMaxLeaves: number
  /** Nested dispatches (userset and tuple-to-userset hops) before 2002 resolution_too_complex. */
  resolveDepthLimit: number
  maxTypesPerModel: number
  maxModelSizeBytes: number
  defaultPageSize: number
  maxPageSize: number
  /** Serialized size of one tuple's condition context. */
  maxConditionContextBytes: number
  /** Tuples held in memory across all store indexes before least-recently-used stores are evicted. */
  indexMaxTuples: number
  /**
   * Milliseconds between polls of the revisions of the stores held in memory (one query for all
   * of them); the safety net for change notifications that never arrived. 0 turns it off.
   * Optional so embedders and configs that predate it get the default.
   */
  indexPollIntervalMs?: number
  /**
   * While the database is unreachable, MINIMIZE_LATENCY queries are answered from memory with a
   * latest-model answer at most this old (ms); 0 refuses them (503) like HIGHER_CONSISTENCY.
   */
  staleReadMaxMs?: number
}

export const DEFAULT_LIMITS: AuthzLimits = {
  maxTuplesPerWrite: 100,
  maxChecksPerBatchCheck: 50,
  maxContextualTuples: 100,
  maxAssertions: 100,
  listObjectsMaxResults: 1000,
  listObjectsDeadlineMs: 3000,
  listUsersMaxResults: 1000,
  listUsersDeadlineMs: 3000,
  expandMaxLeaves: 10_000,
  resolveDepthLimit: 25,
  maxTypesPerModel: 100,
  maxModelSizeBytes: 262144,
  defaultPageSize: 50,
  maxPageSize: 100,
  maxConditionContextBytes: 32768,
  indexMaxTuples: 5_000_000,
  indexPollIntervalMs: 5000,
  staleReadMaxMs: 300_000,
}

export function resolveLimits(partial: Partial<AuthzLimits> = {}): AuthzLimits {
  const out = { ...DEFAULT_LIMITS }
  for (const [k, v] of Object.entries(partial) as [keyof AuthzLimits, number | undefined][]) {
    if (v !== undefined) out[k] = v
  }
  return out
}
