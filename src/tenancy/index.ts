// Tenancy: organizations, roles, groups, projects, service accounts, global bindings and the ACL, mirrored into the system store of the relationship engine.
// May import: src/lib, src/config, src/store (types and error codes), src/authz (model helpers); never Fastify, SQL drivers or identity.
export { computeAcl, permits, standing, visibleOrganizations, visibleProjects, type Standing } from './acl.ts'
export { BUILTIN_ROLES, builtinRoleId, IDENTITY_SCOPES } from './builtin-roles.ts'
export { type RequestContext } from './core.ts'
export { applyDeclared, checkDeclared, declaredTenancySchema, parseDeclared, pathText, type DeclaredCounts, type DeclaredTenancy } from './declared.ts'
export { TenancyError, TenancyErrorCodes, type TenancyErrorCode } from './errors.ts'
export { allTuples, ownerTuples } from './mirror.ts'
export {
  GLOBAL_TARGET, organizationObject, permissionObject, PLATFORM_OBJECT, projectObject, SYSTEM_STORE_ID, SYSTEM_STORE_NAME, TENANCY_MODEL_DSL,
} from './model.ts'
export { DEFAULT_RESERVED_NAMES, foldName } from './names.ts'
export { firstOrganizationNotice, isFirstOrganization } from './notices.ts'
export * as tenancySchemas from './schema.ts'
export { createTenancy, type MembershipClaim, type Tenancy, type TenancyOptions } from './service.ts'
export { KINDS, PLATFORM_ADMINISTRATOR, TenancyState } from './state.ts'
export * from './types.ts'
export { projectChanges, type ProjectChange } from './project-changes.ts'
