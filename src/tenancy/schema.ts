// Input documents of the admin API, the CLI and the bootstrap file, validated with zod. Names
// are DNS labels (they end up in host names, namespaces and URLs); scopes are free-form words.

import { z } from 'zod'
import { validationError } from '../lib/index.ts'
import { OPERATIONS } from './types.ts'

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const label = z.string().regex(DNS_LABEL, 'must be a DNS label: 1 to 63 of a-z 0-9 -, starting and ending with a letter or digit')
const text = (max: number) => z.string().max(max).refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(s), 'must not contain control characters')
const domain = z.string().toLowerCase().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain name such as acme.com')
const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be an id')

export const SCOPE_NAME = /^[a-z0-9][a-z0-9:/._-]{0,99}$/
const scopeGrants = z.record(
  z.string().regex(SCOPE_NAME, 'scope names are 1 to 100 of a-z 0-9 : / . _ -, such as kubernetes:clusters'),
  z.array(z.enum(OPERATIONS)).min(1, 'grant at least one of create, read, update, delete').max(4)
    .transform((ops) => OPERATIONS.filter((op) => ops.includes(op))),
).refine((r) => Object.keys(r).length <= 500, 'at most 500 scopes per level')

export const roleScopesSchema = z.object({
  global: scopeGrants.optional(),
  organization: scopeGrants.optional(),
  project: scopeGrants.optional(),
}).strict()

/** A qualified upstream group: `<provider id>:<group name as the IdP sends it>`. */
export const UPSTREAM_GROUP = /^[A-Za-z0-9._-]{1,64}:[^\u0000-\u001F]{1,128}$/

export const subjectSchema = z.object({
  id: z.string().min(1).max(256),
  issuer: z.string().min(1).max(512).refine((s) => s === 'local' || URL.canParse(s), 'issuer must be an issuer URL, or "local" for local accounts'),
  email: z.string().max(320).optional(),
}).strict()

export const organizationInput = z.object({
  name: label,
  displayName: text(200).optional(),
  description: text(2000).optional(),
  domains: z.array(domain).max(100).optional(),
  upstreams: z.array(id).max(20).optional(),
}).strict()

export const organizationUpdate = organizationInput.partial().strict()

export const roleInput = z.object({
  name: label,
  description: text(2000).optional(),
  protected: z.boolean().optional(),
  scopes: roleScopesSchema,
}).strict()

export const groupInput = z.object({
  name: label,
  description: text(2000).optional(),
  members: z.array(subjectSchema).max(100_000).optional(),
  upstreamGroups: z.array(z.string().regex(UPSTREAM_GROUP, 'upstream groups are "<provider id>:<group>", such as okta:platform-engineers')).max(1000).optional(),
  serviceAccountIds: z.array(id).max(1000).optional(),
  roleIds: z.array(id).max(100).optional(),
  /** Deprecated spelling of roleIds (the bootstrap file's until now): accepted, never both. */
  roles: z.array(id).max(100).optional(),
}).strict()

export const projectInput = z.object({
  name: label,
  displayName: text(200).optional(),
  description: text(2000).optional(),
  groupIds: z.array(id).max(1000).optional(),
}).strict()

export const serviceAccountInput = z.object({
  name: label,
  description: text(2000).optional(),
  clientId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'clientId must be an OIDC client id'),
}).strict()

export const globalBindingInput = z.object({
  subject: subjectSchema,
  roleIds: z.array(id).min(1).max(100).optional(),
  /** Deprecated spelling of roleIds, as for groups. */
  roles: z.array(id).min(1).max(100).optional(),
}).strict().superRefine((b, ctx) => {
  if (b.roleIds === undefined && b.roles === undefined) ctx.addIssue({ code: 'custom', path: ['roleIds'], message: 'give the roles to bind (roleIds)' })
})

/**
 * The roles of a group or binding as written: `roleIds`, or `roles` (the bootstrap file's
 * spelling until both were accepted everywhere). Both at once is refused: one would be ignored.
 */
export function roleIdsOf(spec: { roleIds?: string[]; roles?: string[] }): string[] | undefined {
  if (spec.roleIds !== undefined && spec.roles !== undefined) {
    throw validationError('roles: give roleIds or roles (its older spelling), not both', { issues: [{ path: 'roles', message: 'give roleIds or roles, not both' }] })
  }
  return spec.roleIds ?? spec.roles
}

/** Parses `input` or throws validation_error naming every problem with its path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
  throw validationError(issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; '), { issues })
}
