import { envVarFor } from '../config/index.ts'
import type { TenancyState } from './state.ts'

// While no organization exists everyone may sign in (a fresh installation must let its operator
// in). The first organization switches requireOrganization's refusal on without anyone touching
// a setting, so whoever creates it is told there and then, not by a locked-out colleague later.

/** True when `state` holds exactly the organization just created: it switched admission on. */
export function isFirstOrganization(state: TenancyState, organizationId: string): boolean {
  return state.organizations.size === 1 && state.organizations.has(organizationId)
}

/** What creating the first organization changes for sign-in (plain ASCII: it also goes in a header). */
export function firstOrganizationNotice(name: string): string {
  const variable = envVarFor('requireOrganization')
  return `${name} is the first organization, so requireOrganization (${variable}) now applies: ` +
    'only members of an organization (explicit, or through an upstream group), platform administrators ' +
    'and the bootstrap admin can sign in; anyone else, local accounts included, is refused with "No organization". ' +
    `Add people to a group of an organization, or set ${variable}=false to let everyone sign in.`
}
