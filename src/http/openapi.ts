// The OpenAPI 3.1 document of the admin APIs (tenancy, and the platform admin APIs beside it),
// served at GET /api/v1/openapi.json without authentication (it describes the API, it reveals
// no data). A test holds it to every /api/v1 route Fastify actually registers.

import type { FastifyInstance } from 'fastify'
import { componentSchemas, itemsOf, ref } from './openapi-schemas.ts'
import { importPaths, importSchemas } from './openapi-import.ts'
import { PROVISIONING_PARAMS, provisioningPaths, provisioningSchemas } from './openapi-provisioning.ts'
import { ADMIN_PARAMS, adminPaths, adminSchemas } from './openapi-admin.ts'
import { STORE_TOOL_PARAMS, storeToolPaths, storeToolSchemas } from './openapi-stores.ts'

type Schema = Record<string, unknown>

export const OPENAPI_PATH = '/api/v1/openapi.json'

const PARAMS: Record<string, string> = {
  org: 'Organization id or name.',
  group: 'Group id or name.',
  project: 'Project id or name.',
  sa: 'Service account id or name.',
  role: 'Role id or name.',
  id: 'A global binding\'s id or bound subject (`local:<username>`, `ext:…`); an OIDC client\'s id; a forward-auth application\'s id.',
}

const AUDIT_QUERY: Array<[string, string]> = [
  ['action', 'Exact action, or a prefix ending in `*` (group.*).'],
  ['actor', 'Exact actor subject.'],
  ['target', 'Exact target (`group:<id>`).'],
  ['outcome', 'success, denied or failure.'],
  ['since', 'RFC 3339 time: entries at or after it.'],
  ['until', 'RFC 3339 time: entries before it.'],
  ['page_size', 'Page size, 1 to 1000 (default 100).'],
  ['limit', 'Older name of page_size.'],
  ['continuation_token', 'From the previous page.'],
  ['cursor', 'Deprecated name of continuation_token.'],
]

const ERRORS: Record<number, string> = {
  400: 'Invalid input (validation_error, invalid_continuation_token, unknown_reference, reserved_name, immutable_name, invalid_subject, forwardauth_invalid_application).',
  401: 'No valid credential (bearer_token_missing, unauthenticated, certificate_bound_token).',
  403: 'Not allowed (organization_forbidden, permission_denied, builtin_role, protected_role; token_not_for_writes: an opaque access token used for a change; platform_administrator_required: a platform admin API called by anyone else).',
  404: 'No such record here (account_not_found, session_not_found, forwardauth_application_not_found, …).',
  409: 'Conflicts with the current state (name_taken, domain_taken, client_taken, role_in_use, bootstrap_managed, tenancy_busy, limit_exceeded).',
}

interface Operation {
  summary: string
  tag: string
  /** Path parameters, in path order. */
  params?: string[]
  body?: string
  /** Status and response schema (none for 204). */
  ok: [number, Schema?]
  errors: number[]
  query?: Array<[string, string]>
  description?: string
}

function operation(o: Operation): Schema {
  const parameters = [
    ...(o.params ?? []).map((name) => ({ $ref: `#/components/parameters/${name}` })),
    ...(o.query ?? []).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
  ]
  const [status, schema] = o.ok
  return {
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    tags: [o.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(o.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(o.body) } } } } : {}),
    responses: {
      [String(status)]: schema === undefined
        ? { description: 'Done.' }
        : { description: 'OK.', content: { 'application/json': { schema } } },
      ...Object.fromEntries([401, ...o.errors].sort().map((code) => [String(code), { $ref: `#/components/responses/e${code}` }])),
    },
  }
}

/** GET list / POST / GET one / PUT one / DELETE one of a resource in an organization. */
function organizationResource(path: string, param: string, tag: string, schema: string, input: string, what: string, listed = schema): Record<string, Schema> {
  const base = `/api/v1/organizations/{org}/${path}`
  return {
    [base]: {
      get: operation({ summary: `List the organization's ${what}s`, tag, params: ['org'], ok: [200, itemsOf(listed)], errors: [403] }),
      post: operation({ summary: `Create a ${what}`, tag, params: ['org'], body: input, ok: [201, ref(schema)], errors: [400, 403, 409] }),
    },
    [`${base}/{${param}}`]: {
      get: operation({ summary: `Read a ${what}`, tag, params: ['org', param], ok: [200, ref(schema)], errors: [403, 404] }),
      put: operation({ summary: `Replace a ${what}`, tag, params: ['org', param], body: input, ok: [200, ref(schema)], errors: [400, 403, 404, 409] }),
      delete: operation({ summary: `Delete a ${what}`, tag, params: ['org', param], ok: [204], errors: [403, 404, 409] }),
    },
  }
}

function paths(): Record<string, Schema> {
  const ORG = '/api/v1/organizations/{org}'
  return {
    '/api/v1/acl': {
      get: operation({
        summary: 'The caller\'s ACL in every organization it can see', tag: 'acl', ok: [200, ref('acl')], errors: [],
        description: 'Answers `{ global?, organizations }`.',
      }),
    },
    '/api/v1/organizations': {
      get: operation({ summary: 'List the organizations the caller can see', tag: 'organizations', ok: [200, itemsOf('organization')], errors: [] }),
      post: operation({ summary: 'Create an organization (platform-wide grant)', tag: 'organizations', body: 'organizationCreate', ok: [201, ref('organizationCreated')], errors: [400, 403, 409] }),
    },
    [ORG]: {
      get: operation({ summary: 'Read an organization', tag: 'organizations', params: ['org'], ok: [200, ref('organization')], errors: [403, 404] }),
      patch: operation({ summary: 'Change an organization (name is immutable)', tag: 'organizations', params: ['org'], body: 'organizationUpdate', ok: [200, ref('organization')], errors: [400, 403, 404, 409] }),
      delete: operation({ summary: 'Delete an organization with its groups, projects and service accounts', tag: 'organizations', params: ['org'], ok: [204], errors: [403, 404, 409] }),
    },
    [`${ORG}/acl`]: {
      get: operation({
        summary: 'The caller\'s ACL in one organization', tag: 'acl', params: ['org'], ok: [200, ref('acl')], errors: [403, 404],
        description: 'Answers `{ global?, organization }`.',
      }),
    },
    [`${ORG}/audit`]: {
      get: operation({
        summary: 'The organization\'s audit log (identity:audit read)', tag: 'audit', params: ['org'], query: AUDIT_QUERY,
        ok: [200, ref('auditPage')], errors: [400, 403, 404],
      }),
    },
    ...organizationResource('groups', 'group', 'groups', 'group', 'groupInput', 'group'),
    ...organizationResource('projects', 'project', 'projects', 'project', 'projectInput', 'project', 'aclProject'),
    ...organizationResource('serviceaccounts', 'sa', 'serviceaccounts', 'serviceAccount', 'serviceAccountInput', 'service account'),
    '/api/v1/roles': {
      get: operation({ summary: 'List the role catalogue', tag: 'roles', ok: [200, itemsOf('role')], errors: [] }),
      post: operation({ summary: 'Create a role (platform-wide grant)', tag: 'roles', body: 'roleInput', ok: [201, ref('role')], errors: [400, 403, 409] }),
    },
    '/api/v1/roles/{role}': {
      get: operation({ summary: 'Read a role', tag: 'roles', params: ['role'], ok: [200, ref('role')], errors: [404] }),
      put: operation({ summary: 'Replace a role (name is immutable; built-in roles cannot change)', tag: 'roles', params: ['role'], body: 'roleInput', ok: [200, ref('role')], errors: [400, 403, 404, 409] }),
      delete: operation({ summary: 'Delete an unbound role', tag: 'roles', params: ['role'], ok: [204], errors: [403, 404, 409] }),
    },
    '/api/v1/global-bindings': {
      get: operation({ summary: 'List global role bindings', tag: 'global-bindings', ok: [200, itemsOf('globalBinding')], errors: [403] }),
      put: operation({ summary: 'Create or replace the binding of a subject', tag: 'global-bindings', body: 'globalBindingInput', ok: [200, ref('globalBinding')], errors: [400, 403, 409] }),
    },
    '/api/v1/global-bindings/{id}': {
      delete: operation({ summary: 'Delete a global binding', tag: 'global-bindings', params: ['id'], ok: [204], errors: [403, 404, 409] }),
    },
    [OPENAPI_PATH]: {
      get: { summary: 'This document', tags: ['meta'], security: [], responses: { 200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
  }
}

export function openapiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: '1',
      description: 'Organizations, groups, projects, service accounts, roles, global bindings and ACLs; the relationship store tools (model DSL, tuple listing, change preview, the bulk tuple import; the OpenFGA API itself is under /stores); and the platform admin APIs: OIDC clients, forward-auth applications and their simulator, the audit log, the provisioning outbox, local accounts, people and their sessions, resource servers and upstreams. Every tenancy id path parameter also accepts the record\'s name. Every list answers `{ items, continuation_token? }`. Errors answer `{ code, message, details? }`.',
    },
    security: [{ bearer: [] }],
    paths: { ...paths(), ...provisioningPaths(), ...storeToolPaths(), ...importPaths(), ...adminPaths(AUDIT_QUERY, ref('auditPage')) },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http', scheme: 'bearer',
          description: 'A preshared key (the operator), a Gatehouse access token (opaque, or a JWT for one of `apiAudiences`), or a JWT access token of a trusted issuer. Certificate-bound tokens are refused with certificate_bound_token. The platform admin APIs (clients, applications, audit, provisioning, accounts, people, resource servers, upstreams, the store tools and the OpenFGA API) take the preshared key or the access token of a platform administrator, such as the console\'s; anyone else gets 403 platform_administrator_required.',
        },
      },
      parameters: Object.fromEntries(Object.entries({ ...PARAMS, ...PROVISIONING_PARAMS, ...STORE_TOOL_PARAMS, ...ADMIN_PARAMS }).map(([name, description]) => [name, { name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1 } }])),
      responses: Object.fromEntries(Object.entries(ERRORS).map(([code, description]) => [`e${code}`, { description, content: { 'application/json': { schema: ref('error') } } }])),
      schemas: { ...componentSchemas, ...provisioningSchemas, ...storeToolSchemas, ...adminSchemas, ...importSchemas },
    },
  }
}

export function openapiRoute(app: FastifyInstance): void {
  const body = JSON.stringify(openapiDocument())
  app.get(OPENAPI_PATH, { config: { public: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(body))
}
