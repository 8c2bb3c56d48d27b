// Component schemas of the tenancy API's OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1
// uses it). Written by hand so the document reads as the contract; a test holds the input
// schemas to the validation the commands run. The ACL schemas keep Unikorn Identity's names and
// shape, so its consumers can read our ACLs; organization and project entries add `name`.

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra })
const list = (items: Schema, description: string, maxItems?: number): Schema => ({ type: 'array', description, items, ...(maxItems ? { maxItems } : {}) })
const input = (properties: Record<string, Schema>, required: string[]): Schema => ({ type: 'object', properties, required, additionalProperties: false })
const DNS_LABEL = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
const ID = '^[A-Za-z0-9._-]+$'
const label = (what: string) => str(`${what}: a DNS label (1 to 63 of a-z 0-9 -, starting and ending with a letter or digit).`, { pattern: DNS_LABEL, maxLength: 63 })
const text = (max: number, description: string) => str(description, { maxLength: max })
const ids = (description: string, maxItems: number) => list(str('An id (or, on input, a name).', { pattern: ID, maxLength: 64 }), description, maxItems)

/** Fields every record carries. */
const stamped: Record<string, Schema> = {
  id: str('Assigned by Gatehouse.'),
  source: str('Where the record came from; records declared in the bootstrap file are changed only there.', { enum: ['api', 'cli', 'bootstrap', 'builtin'] }),
  createdAt: str('RFC 3339 time.', { format: 'date-time' }),
  updatedAt: str('RFC 3339 time.', { format: 'date-time' }),
}
const record = (description: string, properties: Record<string, Schema>): Schema => ({
  type: 'object', description, properties: { ...stamped, ...properties }, required: [...Object.keys(stamped), ...Object.keys(properties)],
})

const organizationFields: Record<string, Schema> = {
  name: label('Immutable name'),
  displayName: text(200, 'Shown to people; defaults to the name.'),
  description: text(2000, 'Free text.'),
  domains: list(str('An email domain such as acme.com.'), 'Email domains whose users sign in through this organization\'s upstreams (changing them needs a platform-wide grant).', 100),
  upstreams: ids('Ids of configured upstream identity providers this organization signs in through (changing them needs a platform-wide grant).', 20),
}

const scopeGrants: Schema = {
  type: 'object',
  description: 'Scope name (such as kubernetes:clusters) to the operations granted on it.',
  propertyNames: { pattern: '^[a-z0-9][a-z0-9:/._-]{0,99}$' },
  additionalProperties: { type: 'array', items: ref('aclOperation'), minItems: 1, maxItems: 4 },
  maxProperties: 500,
}

const roleFields: Record<string, Schema> = {
  name: label('Immutable name'),
  description: text(2000, 'Free text.'),
  protected: { type: 'boolean', description: 'Only platform administrators may bind a protected role.' },
  scopes: ref('roleScopes'),
}

const subject: Schema = {
  type: 'object', additionalProperties: false, required: ['id', 'issuer'],
  description: 'A user: its id at its issuer (the username for local accounts, else the upstream `sub`).',
  properties: {
    id: str('The username (local accounts) or the upstream subject.', { maxLength: 256 }),
    issuer: str('The issuer URL, or `local` for Gatehouse\'s local accounts.', { maxLength: 512 }),
    email: str('For display only.', { maxLength: 320 }),
  },
}

const groupFields: Record<string, Schema> = {
  name: label('Name, unique in the organization'),
  description: text(2000, 'Free text.'),
  members: list(ref('subject'), 'Explicit members.', 100_000),
  upstreamGroups: list(str('`<upstream id>:<group>`, such as okta:platform-engineers.', { pattern: '^[A-Za-z0-9._-]{1,64}:[^\\u0000-\\u001F]{1,128}$' }), 'Upstream groups whose members are implicit members.', 1000),
  serviceAccountIds: ids('Service accounts of the same organization.', 1000),
  roleIds: ids('Roles bound to the group (ids or names); protected roles and roles with global scopes need a platform administrator.', 100),
}
/** Input only: the older spelling of roleIds, accepted for one release (never with roleIds). */
const rolesAlias: Schema = { ...ids('Deprecated: the older spelling of `roleIds` (give one of them).', 100), deprecated: true }

const projectFields: Record<string, Schema> = {
  name: label('Immutable name, unique in the organization'),
  displayName: text(200, 'Shown to people; defaults to the name.'),
  description: text(2000, 'Free text.'),
  groupIds: ids('Groups (ids or names) the project is shared with.', 1000),
}

const serviceAccountFields: Record<string, Schema> = {
  name: label('Name, unique in the organization'),
  description: text(2000, 'Free text.'),
  clientId: str('The OIDC client (client_credentials over mutual TLS) acting as this account.', { pattern: '^[A-Za-z0-9._:-]{1,128}$' }),
}

const acl = {
  aclOperation: { description: 'An access control operation.', type: 'string', enum: ['create', 'read', 'update', 'delete'] },
  aclOperations: list(ref('aclOperation'), 'A list of access control operations.'),
  aclEndpoint: {
    description: 'A set of access control permissions for a resource type.', type: 'object', required: ['name', 'operations'],
    properties: { name: str('The resource (scope) name.'), operations: ref('aclOperations') },
  },
  aclEndpoints: list(ref('aclEndpoint'), 'A list of access control scopes.'),
  aclProject: {
    description: 'A project the subject may see.', type: 'object', required: ['id', 'endpoints'],
    properties: { id: str('The project ID.'), name: str('The project name.'), endpoints: ref('aclEndpoints') },
  },
  aclProjectList: list(ref('aclProject'), 'A list of projects the subject may see.'),
  aclOrganization: {
    description: 'An organization the subject is a member of (or may read platform-wide).', type: 'object', required: ['id'],
    properties: { id: str('The organization ID.'), name: str('The organization name.'), endpoints: ref('aclEndpoints'), projects: ref('aclProjectList') },
  },
  aclOrganizationList: list(ref('aclOrganization'), 'A list of organizations the subject is a member of.'),
  acl: {
    description: 'A list of access control scopes and permissions: `organization` for one organization\'s ACL, `organizations` for the caller\'s ACL everywhere; `global` only for callers with platform-wide grants.',
    type: 'object',
    properties: { global: ref('aclEndpoints'), organizations: ref('aclOrganizationList'), organization: ref('aclOrganization'), projects: ref('aclProjectList') },
  },
}

const audit = {
  auditRecord: {
    type: 'object', description: 'One audit log entry.',
    required: ['id', 'at', 'actor', 'actorType', 'action', 'target', 'outcome', 'sourceIp', 'organizationId', 'details'],
    properties: {
      id: str('A ULID.'), at: str('RFC 3339 time.', { format: 'date-time' }),
      actor: str('The subject, `service:<client id>` or `system`.'),
      actorType: str('Kind of actor.', { enum: ['user', 'service', 'system', 'anonymous'] }),
      action: str('Dotted action, such as group.update.'), target: str('`type:id`, such as group:0190….'),
      outcome: str('Outcome.', { enum: ['success', 'denied', 'failure'] }),
      sourceIp: { type: ['string', 'null'], description: 'Address the request came from.' },
      organizationId: { type: ['string', 'null'], description: 'The organization the entry belongs to.' },
      details: { type: 'object', description: 'For changes: `before` and `after`.' },
    },
  },
  auditPage: {
    type: 'object', description: 'Entries, newest first, in the shape of every admin list.', required: ['items'],
    properties: {
      items: list(ref('auditRecord'), 'The page.'),
      continuation_token: str('Pass as `continuation_token` for the next page; absent on the last one.'),
      entries: { ...list(ref('auditRecord'), 'Deprecated: the same as `items`, for one release.'), deprecated: true },
      cursor: str('Deprecated: the same as `continuation_token`, for one release.', { deprecated: true }),
    },
  },
}

export const componentSchemas: Record<string, Schema> = {
  error: {
    type: 'object', description: 'Every error answer.', required: ['code', 'message'],
    properties: {
      code: str('Stable machine-readable code, such as validation_error, unauthenticated, permission_denied, organization_forbidden, name_taken.'),
      message: str('For people.'),
      details: { type: 'object', description: 'Machine-readable facts: the invalid fields (`issues`), the scope and operation refused, the clashing name.' },
    },
  },
  organization: record('An organization.', { ...organizationFields, namespace: str('Unique slug for downstream systems (a Kubernetes namespace, an Incus project).') }),
  organizationCreated: {
    description: 'The organization created; the first one also carries `notice` (and the same text in the `X-Gatehouse-Notice` header) while requireOrganization is on: from then on users in no organization are refused at sign-in.',
    allOf: [ref('organization')],
    properties: { notice: str('What creating this organization changed beyond itself; absent when nothing did.') },
  },
  organizationCreate: input(organizationFields, ['name']),
  organizationUpdate: input(organizationFields, []),
  roleScopes: {
    type: 'object', additionalProperties: false, description: 'Grants by level: global (platform-wide, through global bindings), organization, project.',
    properties: { global: scopeGrants, organization: scopeGrants, project: scopeGrants },
  },
  role: record('A role: scopes with create/read/update/delete grants.', roleFields),
  roleInput: input(roleFields, ['name', 'scopes']),
  subject,
  group: record('A group of an organization.', { organizationId: str('The organization.'), ...groupFields }),
  groupInput: input({ ...groupFields, roles: rolesAlias }, ['name']),
  project: record('A project of an organization.', { organizationId: str('The organization.'), ...projectFields, namespace: str('Unique slug for downstream systems.') }),
  projectInput: input(projectFields, ['name']),
  serviceAccount: record('A service account of an organization.', { organizationId: str('The organization.'), ...serviceAccountFields }),
  serviceAccountInput: input(serviceAccountFields, ['name', 'clientId']),
  globalBinding: record('Roles whose global scopes apply to one subject everywhere.', { subject: ref('subject'), roleIds: ids('Bound roles.', 100) }),
  globalBindingInput: input({ subject: ref('subject'), roleIds: { ...ids('Roles (ids or names); required (or its older spelling `roles`).', 100), minItems: 1 }, roles: { ...rolesAlias, minItems: 1 } }, ['subject']),
  ...acl,
  ...audit,
}

/** `{ items, continuation_token? }` of a component: every admin list's shape (tenancy lists answer everything at once, so never a token). */
export function itemsOf(name: string): Schema {
  return {
    type: 'object', required: ['items'],
    properties: { items: list(ref(name), `The ${name} records.`), continuation_token: str('For the next page; absent on the last one (tenancy lists have one page).') },
  }
}

export { ref }
