// Stable error codes of the tenancy layer; the HTTP layer answers with `status`.
import { AppError } from '../lib/index.ts'

export const TenancyErrorCodes = {
  organizationNotFound: 'organization_not_found',
  groupNotFound: 'group_not_found',
  projectNotFound: 'project_not_found',
  roleNotFound: 'role_not_found',
  serviceAccountNotFound: 'service_account_not_found',
  bindingNotFound: 'global_binding_not_found',
  /** The caller is not a member of the organization (or is a service account of another one). */
  organizationForbidden: 'organization_forbidden',
  /** The caller's roles do not grant the operation. */
  permissionDenied: 'permission_denied',
  nameTaken: 'name_taken',
  reservedName: 'reserved_name',
  domainTaken: 'domain_taken',
  clientTaken: 'client_taken',
  /** Built-in roles are defined by Gatehouse and cannot be changed or deleted. */
  builtinRole: 'builtin_role',
  /** A protected role can only be bound by a platform administrator. */
  protectedRole: 'protected_role',
  roleInUse: 'role_in_use',
  unknownReference: 'unknown_reference',
  /** Tenancy changed concurrently too often to apply the change; retry. */
  busy: 'tenancy_busy',
  bootstrapManaged: 'bootstrap_managed',
  immutableName: 'immutable_name',
  /** An organization would outgrow the platform's limits (groups, members, projects, service accounts). */
  limitExceeded: 'limit_exceeded',
} as const

export type TenancyErrorCode = (typeof TenancyErrorCodes)[keyof typeof TenancyErrorCodes]

const STATUS: Partial<Record<TenancyErrorCode, number>> = {
  organization_not_found: 404, group_not_found: 404, project_not_found: 404, role_not_found: 404,
  service_account_not_found: 404, global_binding_not_found: 404,
  organization_forbidden: 403, permission_denied: 403, builtin_role: 403, protected_role: 403,
  name_taken: 409, domain_taken: 409, client_taken: 409, role_in_use: 409, tenancy_busy: 409, bootstrap_managed: 409,
  reserved_name: 400, unknown_reference: 400, immutable_name: 400, limit_exceeded: 409,
}

export class TenancyError extends AppError {
  constructor(code: TenancyErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, { status: STATUS[code] ?? 400, details })
    this.name = 'TenancyError'
  }
}
