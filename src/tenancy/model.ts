// The built-in model of the system store every membership, role binding and project share is
// mirrored into (published as docs/tenancy-model.fga), and the object names tenancy writes.

import { escapeRelationshipId } from '../lib/index.ts'

/** A fixed store id (a valid ULID shape), the same on every installation. */
export const SYSTEM_STORE_ID = '00000000000000000000SYSTEM'
export const SYSTEM_STORE_NAME = 'gatehouse-system'

export const TENANCY_MODEL_DSL = `model
  schema 1.1

type user

type service

# platform:global holds grants from global role bindings.
type platform
  relations
    define organization_reader: [user, service]
    define project_reader: [user, service]

# Members of an upstream group (qualified "<provider>:<group>"), synced at every sign-in.
type upstream_group
  relations
    define member: [user]

type group
  relations
    define member: [user, service, upstream_group#member]

type organization
  relations
    define platform: [platform]
    define group: [group]
    define service_account: [service]
    define member: member from group
    define viewer: member or service_account or organization_reader from platform
    define project_reader: [group#member] or (project_reader from platform and viewer)

type project
  relations
    define organization: [organization]
    define shared_with: [group]
    define member: member from shared_with
    define viewer: member or project_reader from organization

# permission:<organization id | project id | global>/<scope>: the operations granted on a scope.
type permission
  relations
    define create: [user, service, group#member]
    define read: [user, service, group#member]
    define update: [user, service, group#member]
    define delete: [user, service, group#member]
`

export const PLATFORM_OBJECT = 'platform:global'
export const GLOBAL_TARGET = 'global'

export const organizationObject = (id: string) => `organization:${id}`
export const groupObject = (id: string) => `group:${id}`
export const groupMembers = (id: string) => `group:${id}#member`
export const projectObject = (id: string) => `project:${id}`
export const upstreamGroupMembers = (name: string) => `upstream_group:${escapeRelationshipId(name)}#member`
export const upstreamGroupObject = (name: string) => `upstream_group:${escapeRelationshipId(name)}`
/** `target` is an organization id, a project id or `global`. */
export const permissionObject = (target: string, scope: string) => `permission:${target}/${escapeRelationshipId(scope)}`
