// The roles every installation has. Their ids are derived from their names, so every replica
// and every database agrees on them without coordination. Scope names follow Unikorn Identity's
// (`identity:<resource>`), so its consumers read our ACLs unchanged.

import { createHash } from 'node:crypto'
import { PLATFORM_ADMINISTRATOR } from './state.ts'
import type { Operation, RoleScopes, ScopeGrants } from './types.ts'

const CRUD: Operation[] = ['create', 'read', 'update', 'delete']
const R: Operation[] = ['read']

/** A UUID-shaped id that is the same for the same name everywhere. */
export function builtinRoleId(name: string): string {
  const h = createHash('sha256').update(`gatehouse-role\n${name}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

const readAll = (scopes: string[]): ScopeGrants => Object.fromEntries(scopes.map((s) => [s, R]))

export const IDENTITY_SCOPES = ['identity:organizations', 'identity:groups', 'identity:projects', 'identity:serviceaccounts', 'identity:roles', 'identity:audit']

export interface BuiltinRole {
  name: string
  description: string
  protected: boolean
  scopes: RoleScopes
}

export const BUILTIN_ROLES: BuiltinRole[] = [
  {
    name: PLATFORM_ADMINISTRATOR,
    description: 'Everything, everywhere: every scope any role names, with every operation, in every organization.',
    protected: true,
    // Expanded at evaluation time to every scope in the catalogue (TenancyState.grants).
    scopes: { global: Object.fromEntries(IDENTITY_SCOPES.map((s) => [s, CRUD])) },
  },
  {
    name: 'administrator',
    description: 'Manages its organization: groups and their role bindings, projects, service accounts; sees every project.',
    protected: false,
    scopes: {
      organization: {
        'identity:organizations': ['read', 'update'],
        'identity:groups': CRUD,
        'identity:projects': CRUD,
        'identity:serviceaccounts': CRUD,
        'identity:roles': R,
        'identity:audit': R,
      },
      project: { 'identity:projects': ['read', 'update', 'delete'] },
    },
  },
  {
    name: 'user',
    description: 'Discovers the organization and the projects shared with its groups; service scopes come from custom roles.',
    protected: false,
    scopes: { organization: { 'identity:organizations': R }, project: { 'identity:projects': R } },
  },
  {
    name: 'reader',
    description: 'Reads everything in the organization, changes nothing (billing, audit).',
    protected: false,
    scopes: { organization: readAll(IDENTITY_SCOPES), project: { 'identity:projects': R } },
  },
]
