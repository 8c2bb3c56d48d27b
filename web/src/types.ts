// The API's own types, so the console reads exactly what the server answers.
export type {
  Acl, AclEndpoint, AclOrganization, AclProject, CallerAcl, GlobalBinding, Group, Organization, Project, Role, ServiceAccount, SubjectRef,
} from '../../src/tenancy/types.ts'
export type { ClientView } from '../../src/identity/clients/schema.ts'
export type { EventView } from '../../src/provisioning/admin.ts'
export type { LocalAccountView, PersonView, SessionView, UpstreamUserView } from '../../src/identity/people.ts'
export type { ResourceServerView, UpstreamView } from '../../src/identity/directory.ts'
export type { UpstreamHealth } from '../../src/identity/upstream/federation.ts'
export type { SimulationResult } from '../../src/forwardauth/simulate.ts'

/** An answer of every admin list. */
export interface ListAnswer<T> {
  items: T[]
  continuation_token?: string
}

/** `GET /admin/config.json`. */
export interface ConsoleSettings {
  issuer: string
  clientId: string
  audience: string
  version: string
}

export interface AuditEntry {
  id: string
  at: string
  actor: string
  actorType: string
  action: string
  target: string
  outcome: 'success' | 'denied' | 'failure'
  sourceIp?: string
  organizationId?: string
  details?: Record<string, unknown>
}

export interface ProvisioningStats {
  pending: number
  dead: number
  done: number
  oldest_pending_at: string | null
  by_target: unknown
}
