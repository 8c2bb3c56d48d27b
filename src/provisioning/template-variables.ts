// The variables provisioning templates may read: a fixed catalogue, each with its own accessor,
// so a template never looks a property up by name. Each kind of rule allows a subset.

import type { Kind } from './template-filters.ts'

export interface TemplateOrganization { id: string; name: string }

export interface TemplateUser {
  subject: string
  issuer: string
  username?: string
  email?: string
  name?: string
  groups?: readonly string[]
  organizations?: readonly TemplateOrganization[]
}

export interface TemplateVars {
  user?: TemplateUser
  /** The group being synchronized (group-sync rules). */
  group?: string
  /** The tenancy project (project rules). */
  project?: { id: string; name: string; organization: string }
  /** The Incus project the rule's own incusProject action manages (its name as Incus knows it). */
  incus?: { project: string }
  event?: { type: string }
}

export interface VariableSpec { kind: Kind; read(vars: TemplateVars): unknown }

const text = (read: (v: TemplateVars) => unknown): VariableSpec => ({ kind: 'text', read })
const list = (read: (v: TemplateVars) => unknown): VariableSpec => ({ kind: 'list', read })
const organizations = (v: TemplateVars) => (Array.isArray(v.user?.organizations) ? v.user.organizations : undefined)

export const CATALOGUE: ReadonlyMap<string, VariableSpec> = new Map([
  ['user.subject', text((v) => v.user?.subject)],
  ['user.issuer', text((v) => v.user?.issuer)],
  ['user.username', text((v) => v.user?.username)],
  ['user.email', text((v) => v.user?.email)],
  ['user.name', text((v) => v.user?.name)],
  ['user.groups', list((v) => v.user?.groups)],
  ['user.organizations.id', list((v) => organizations(v)?.map((o) => o?.id))],
  ['user.organizations.name', list((v) => organizations(v)?.map((o) => o?.name))],
  ['group', text((v) => v.group)],
  ['project.id', text((v) => v.project?.id)],
  ['project.name', text((v) => v.project?.name)],
  ['project.organization', text((v) => v.project?.organization)],
  ['event.type', text((v) => v.event?.type)],
  ['incus.project', text((v) => v.incus?.project)],
])

/** Why a name that looks like a variable is not one. */
export const HINTS: Record<string, string> = {
  'user.organizations': 'it is a list of {id, name}: use user.organizations.id or user.organizations.name with | join(",")',
}

/** Every variable a template can know; each rule kind allows a subset. */
export const TEMPLATE_VARIABLES: readonly string[] = [...CATALOGUE.keys()]
const USER = [...CATALOGUE.keys()].filter((n) => n.startsWith('user.') || n === 'event.type')
/** Variables of rules on a user's sign-in. */
export const USER_VARIABLES: ReadonlySet<string> = new Set(USER)
/** Variables of group-sync rules: the user's, and the group being synchronized. */
export const GROUP_SYNC_VARIABLES: ReadonlySet<string> = new Set([...USER, 'group'])
/** Variables of tenancy-project rules: the user's, and the project. */
export const PROJECT_VARIABLES: ReadonlySet<string> = new Set([...USER, 'project.id', 'project.name', 'project.organization'])
/** Variables of a project rule's per-group tuples: the project's, and the group being written. */
export const PROJECT_GROUP_VARIABLES: ReadonlySet<string> = new Set([...PROJECT_VARIABLES, 'group'])
/** `incus.project`: added to a rule's tuple templates when the rule also has an incusProject action. */
export const INCUS_PROJECT_VARIABLE = 'incus.project'
