// Incus REST client for provisioning: personal projects over mutual TLS, and project names for users.
// May import only src/lib, src/config, src/store and the provisioning module's own errors.ts.

export { createIncusClient, type IncusClient } from './client.ts'
export { createIncusConnection, type IncusConnection, type IncusConnectionOptions, type IncusRequest, type IncusResponse } from './connection.ts'
export { incusProjectName, incusProjectNameProblem, isPlainProjectName } from './names.ts'
export {
  MANAGED_KEYS_KEY, MARKER_PREFIX, OWNER_KEY, RESTRICTED_KEY, type DesiredProject, type ProjectState,
} from './plan.ts'
export { ensureProject, type EnsureOutcome } from './projects.ts'
export { defaultRestriction, isEmptyProject, RETIRE_POLICIES, retireProject, type RetireOutcome, type RetirePolicy } from './retire.ts'
export { normalizeFingerprint, type IncusTlsOptions } from './tls.ts'
