import type { AuthzLimits } from '../authz/index.ts'
import type { GatehouseConfig } from '../config/index.ts'

/** Every engine limit is a config key of the same name; listed so a new limit fails typecheck here. */
export function limitsFromConfig(c: GatehouseConfig): AuthzLimits {
  return {
    maxTuplesPerWrite: c.maxTuplesPerWrite,
    maxChecksPerBatchCheck: c.maxChecksPerBatchCheck,
    maxContextualTuples: c.maxContextualTuples,
    maxAssertions: c.maxAssertions,
    listObjectsMaxResults: c.listObjectsMaxResults,
    listObjectsDeadlineMs: c.listObjectsDeadlineMs,
    listUsersMaxResults: c.listUsersMaxResults,
    listUsersDeadlineMs: c.listUsersDeadlineMs,
    expandMaxLeaves: c.expandMaxLeaves,
    resolveDepthLimit: c.resolveDepthLimit,
    maxTypesPerModel: c.maxTypesPerModel,
    maxModelSizeBytes: c.maxModelSizeBytes,
    defaultPageSize: c.defaultPageSize,
    maxPageSize: c.maxPageSize,
    maxConditionContextBytes: c.maxConditionContextBytes,
    indexMaxTuples: c.indexMaxTuples,
    indexPollIntervalMs: c.indexPollIntervalMs,
    staleReadMaxMs: c.staleReadMaxMs,
  }
}
