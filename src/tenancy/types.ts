// The tenancy records as the rest of Gatehouse sees them (validated documents; see schema.ts).

export const OPERATIONS = ['create', 'read', 'update', 'delete'] as const
export type Operation = (typeof OPERATIONS)[number]

/** Scope name → granted operations, e.g. `{ "kubernetes:clusters": ["read"] }`. */
export type ScopeGrants = Record<string, Operation[]>

export type ScopeLevel = 'global' | 'organization' | 'project'

export interface RoleScopes {
  global?: ScopeGrants
  organization?: ScopeGrants
  project?: ScopeGrants
}

/** A user or service as tenancy keys it: (id, issuer); the email is for display. */
export interface SubjectRef {
  id: string
  /** An issuer URL, or `local` for Gatehouse's local accounts. */
  issuer: string
  email?: string
}

/** Where a record came from: bootstrap-managed ones are read-only elsewhere. */
export type RecordSource = 'api' | 'cli' | 'bootstrap' | 'builtin'

interface Stamped {
  id: string
  source: RecordSource
  createdAt: string
  updatedAt: string
}

export interface Organization extends Stamped {
  /** Immutable DNS label. */
  name: string
  displayName: string
  description: string
  /** Email domains whose users sign in through this organization's upstreams. */
  domains: string[]
  /** Ids of configured upstream providers this organization signs in through. */
  upstreams: string[]
  /** Unique slug for downstream systems that need one (a Kubernetes namespace, an Incus project). */
  namespace: string
}

export interface Role extends Stamped {
  name: string
  description: string
  /** Only platform administrators may bind protected roles. */
  protected: boolean
  scopes: RoleScopes
}

export interface Group extends Stamped {
  organizationId: string
  name: string
  description: string
  members: SubjectRef[]
  /** Qualified upstream group names (`<provider id>:<group>`): implicit members. */
  upstreamGroups: string[]
  serviceAccountIds: string[]
  roleIds: string[]
}

export interface Project extends Stamped {
  organizationId: string
  name: string
  displayName: string
  description: string
  namespace: string
  groupIds: string[]
}

export interface ServiceAccount extends Stamped {
  organizationId: string
  name: string
  description: string
  /** The OIDC client (mTLS, client_credentials) that acts as this account. */
  clientId: string
}

/** Roles with global scopes bound to one subject (platform administrators and the like). */
export interface GlobalBinding extends Stamped {
  subject: SubjectRef
  roleIds: string[]
}

/** Who is asking: a signed-in user, a service account's client, or the operator (preshared key, CLI). */
export interface Principal {
  kind: 'user' | 'service' | 'system'
  /** Canonical subject: `local:…`, `ext:…`, `service:<client id>`, or `system`. */
  subject: string
  /** Qualified upstream group names the caller holds now. */
  upstreamGroups: readonly string[]
}

export const SYSTEM_PRINCIPAL: Principal = { kind: 'system', subject: 'system', upstreamGroups: [] }

export interface AclEndpoint {
  name: string
  operations: Operation[]
}

export interface AclProject {
  id: string
  name: string
  endpoints: AclEndpoint[]
}

export interface AclOrganization {
  id: string
  name: string
  endpoints: AclEndpoint[]
  projects: AclProject[]
}

/** `GET /api/v1/acl`: the caller's standing in every organization it can see. */
export interface CallerAcl {
  global?: AclEndpoint[]
  organizations: AclOrganization[]
}

/** Unikorn Identity's ACL shape: `global` only for callers with global grants. */
export interface Acl {
  global?: AclEndpoint[]
  organization: AclOrganization
}
