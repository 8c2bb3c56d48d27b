// The platform admin APIs in the OpenAPI document: OIDC clients, forward-auth applications and
// their simulator, the audit log, local accounts, people and their sessions, resource servers
// and upstreams. They take the preshared key or a platform administrator's access token (the
// console's); anyone else gets 403 platform_administrator_required.

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra })
const nullable = (description: string, extra: Schema = {}): Schema => ({ type: ['string', 'null'], description, ...extra })
const time = (description: string): Schema => nullable(description, { format: 'date-time' })
const strings = (description: string): Schema => ({ type: 'array', description, items: { type: 'string' } })
const obj = (description: string, properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({ type: 'object', description, properties, required })
const wrapped = (key: string, schema: Schema): Schema => ({ type: 'object', required: [key], properties: { [key]: schema } })
const ADMIN = 'Needs the preshared key or a platform administrator\'s access token (the console\'s); anyone else gets 403 platform_administrator_required.'

/** `page_size` and `continuation_token`: the paging of every admin list. */
export const PAGE_QUERY: Array<[string, string]> = [
  ['page_size', 'Items per page, 1 to 100 (default 50).'],
  ['continuation_token', 'From the previous page\'s `continuation_token`; absent on the last page.'],
]

/** The envelope every admin list answers: `{ items, continuation_token? }`. */
export function listOf(name: string): Schema {
  return {
    type: 'object', required: ['items'],
    properties: { items: { type: 'array', items: ref(name) }, continuation_token: str('For the next page; absent on the last one.') },
  }
}

export const adminSchemas: Record<string, Schema> = {
  client: { type: 'object', description: 'An OIDC client: its metadata, never its secret (shown once on create and rotate).', required: ['client_id'], properties: { client_id: str('Client id.') } },
  clientSecret: { type: 'object', description: 'A client with its new secret, answered once.', required: ['client', 'secret'], properties: { client: ref('client'), secret: str('The client secret; it is not stored in clear and never shown again.') } },
  application: {
    type: 'object', description: 'A forward-auth application: hosts, a default policy, per-path rules, skip paths and identity headers (see docs/forward-auth.md).',
    required: ['id', 'hosts'],
    properties: {
      id: str('Lower-case id.'), hosts: strings('DNS names or *.domain patterns.'), policy: ref('policy'),
      rules: { type: 'array', description: 'Per path prefix (and methods); the longest matching prefix wins.', items: { type: 'object', required: ['pathPrefix', 'policy'], properties: { pathPrefix: str('Normalised absolute path.'), methods: strings('Upper-case methods the rule is for.'), policy: ref('policy') } } },
      skipPaths: strings('Anchored regular expressions of paths that pass without sign-in.'),
      headers: { type: 'object', description: 'Identity header names, user claim and groups filter.' },
      source: str('api, cli or bootstrap (read-only).'), version: { type: 'integer', description: 'Read-only.' },
    },
  },
  policy: {
    type: 'object', description: 'Every condition given must hold.', additionalProperties: false,
    properties: {
      groups: { type: 'object', properties: { anyOf: strings('Member of one of these.'), allOf: strings('Member of all of these.') } },
      relation: { type: 'object', required: ['store', 'object', 'relation'], properties: { store: str('Relationship store id.'), object: str('type:id'), relation: str('Relation name.') } },
      sourceCidrs: strings('Client address ranges.'),
      timeWindows: { type: 'array', items: { type: 'object', required: ['from', 'to', 'timeZone'], properties: { days: strings('mon … sun.'), from: str('HH:MM'), to: str('HH:MM'), timeZone: str('IANA time zone.') } } },
      methods: strings('Allowed methods.'),
    },
  },
  simulationInput: {
    type: 'object', additionalProperties: false, description: 'A made-up visit. Everything is optional: an anonymous GET / on the first host now.',
    properties: {
      user: { type: ['object', 'null'], description: 'Null or absent: anonymous. Groups default to what Gatehouse knows of the subject (a local account\'s).', required: ['subject'], properties: { subject: str('local:<username>, ext:…'), username: str('Username.'), email: str('Email.'), groups: strings('Groups.'), organizations: strings('Organization names.') } },
      method: str('Default GET.'), path: str('Path and query, default /.'), host: str('One of the application\'s hosts (default its first).'),
      sourceIp: str('Client address.'), at: str('RFC 3339 time (default now).', { format: 'date-time' }),
      application: { type: 'object', description: 'An unsaved version of the application to try instead of the stored one.' },
    },
  },
  simulation: obj('What the proxy would be told, and why.', {
    application: str('Application id.'),
    outcome: str('allow, deny, redirect (to sign in) or error (misconfigured).', { enum: ['allow', 'deny', 'redirect', 'error'] }),
    decision: str('allow, skip, login, deny, misconfigured or unknown_host.'), status: { type: 'integer', description: 'The status the endpoint answers.' },
    rule: str('The deciding rule: `default`, a path prefix (with methods), `skipPaths[i]` or `path`; on a denial followed by `: <check>`.'),
    check: str('The failed check of a denial.'), reason: str('Why.'), location: str('Where the visitor is sent to sign in.'),
    headers: { type: 'object', description: 'Identity headers an allowed request carries.' },
    request: { type: 'object', description: 'The visit as simulated.' }, identity: { type: ['object', 'null'], description: 'Who, with groups and organizations.' },
  }, ['application', 'outcome', 'decision', 'status', 'request', 'identity']),
  localAccount: obj('A local account, never its password hash.', {
    subject: str('local:<username>'), username: str('As created.'), disabled: { type: 'boolean' }, email: nullable('Operator-set email.'),
    groups: strings('Operator-set groups.'), createdAt: time('Created.'), lastLoginAt: time('Last sign-in.'),
  }),
  upstreamUser: obj('An upstream user as last seen signing in (audit only).', {
    subject: str('ext:…, the subject Gatehouse issues.'), issuer: str('Upstream issuer.'), upstreamSubject: str('The upstream `sub`.'),
    email: nullable('Email.'), name: nullable('Name.'), groups: strings('Upstream groups of the last sign-in.'),
    firstLoginAt: time('First sign-in.'), lastLoginAt: time('Last sign-in.'), loginCount: { type: 'integer' },
  }),
  session: obj('A live sign-in session.', {
    id: str('Opaque; never a cookie or token value.'), kind: str('oidc (the provider\'s session) or forward_auth (the portal cookie).', { enum: ['oidc', 'forward_auth'] }),
    createdAt: time('Signed in.'), lastSeenAt: time('Last used.'), expiresAt: time('Ends at the latest.'), clients: strings('oidc: the clients it signed in to.'),
  }, ['id', 'kind', 'createdAt', 'lastSeenAt', 'expiresAt']),
  person: obj('A person: account (local), organizations with group names, live sessions.', {
    subject: str('Subject.'), kind: str('local or upstream.'), account: ref('localAccount'),
    organizations: { type: 'array', items: obj('Membership.', { id: str('Id.'), name: str('Name.'), groups: strings('Group names.') }) },
    sessions: { type: 'array', items: ref('session') },
  }, ['subject', 'kind', 'organizations', 'sessions']),
  passwordInput: { type: 'object', additionalProperties: false, properties: { password: str('12 to 1024 characters; absent: one is generated and answered once.') } },
  resourceServer: obj('An API receiving JWT access tokens.', {
    indicator: str('The `resource` value.'), audience: str('The tokens\' `aud`.'), scopes: strings('Scopes.'),
    accessTokenTtlSeconds: { type: ['integer', 'null'] }, accessTokenClaims: strings('Identity claims in its tokens.'), builtin: { type: 'boolean', description: 'The console\'s own audience.' },
  }),
  upstream: obj('An upstream identity provider, without its client secret.', {
    id: str('Id.'), kind: str('oidc, google or microsoft.'), name: str('Shown on the sign-in page.'), issuer: str('Issuer.'), clientId: str('Client id at the provider.'),
    scopes: strings('Scopes.'), groupsClaim: str('Claim read for groups.'), domains: strings('Email domains routed to it.'), tenants: strings('microsoft: allowed tenants.'),
    hostedDomain: nullable('google: required Workspace domain.'), redirectUri: str('To register at the provider.'),
  }),
}

const op = (summary: string, tag: string, ok: [number, Schema?], errors: number[], extra: { params?: string[]; query?: Array<[string, string]>; body?: string; description?: string } = {}): Schema => ({
  summary, description: `${extra.description ? `${extra.description} ` : ''}${ADMIN}`, tags: [tag],
  ...((extra.params?.length ?? 0) + (extra.query?.length ?? 0) > 0
    ? { parameters: [...(extra.params ?? []).map((p) => ({ $ref: `#/components/parameters/${p}` })), ...(extra.query ?? []).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }))] }
    : {}),
  ...(extra.body ? { requestBody: { required: false, content: { 'application/json': { schema: ref(extra.body) } } } } : {}),
  responses: {
    [String(ok[0])]: ok[1] === undefined ? { description: 'Done.' } : { description: 'OK.', content: { 'application/json': { schema: ok[1] } } },
    ...Object.fromEntries([401, 403, ...errors].sort().map((code) => [String(code), { $ref: `#/components/responses/e${code}` }])),
  },
})

export const ADMIN_PARAMS: Record<string, string> = {
  username: 'Local account username (case-insensitive).',
  subject: 'A person\'s subject: `local:<username>` or `ext:…`.',
  session: 'A session id from the person\'s session list.',
  upstream: 'An upstream provider id, as configured.',
}

export function adminPaths(auditQuery: Array<[string, string]>, auditPage: Schema): Record<string, Schema> {
  const apps = '/api/v1/forward-auth/applications'
  const person = '/api/v1/people/{subject}'
  return {
    '/api/v1/clients': {
      get: op('List OIDC clients', 'clients', [200, listOf('client')], [400], { query: PAGE_QUERY }),
      post: op('Register a client (a confidential client\'s secret is answered once)', 'clients', [201, ref('clientSecret')], [400, 409], { body: 'client' }),
    },
    '/api/v1/clients/{id}': {
      get: op('Read a client', 'clients', [200, wrapped('client', ref('client'))], [404], { params: ['id'] }),
      put: op('Replace a client\'s metadata', 'clients', [200, wrapped('client', ref('client'))], [400, 404, 409], { params: ['id'], body: 'client' }),
      delete: op('Delete a client', 'clients', [204], [404, 409], { params: ['id'] }),
    },
    '/api/v1/clients/{id}/secret': {
      post: op('Rotate a confidential client\'s secret (answered once)', 'clients', [200, ref('clientSecret')], [400, 404, 409], { params: ['id'] }),
    },
    [apps]: {
      get: op('List forward-auth applications', 'applications', [200, listOf('application')], []),
      post: op('Create an application', 'applications', [201, wrapped('application', ref('application'))], [400, 409], { body: 'application' }),
    },
    [`${apps}/{id}`]: {
      get: op('Read an application', 'applications', [200, wrapped('application', ref('application'))], [404], { params: ['id'] }),
      put: op('Create or replace an application', 'applications', [200, wrapped('application', ref('application'))], [400, 409], { params: ['id'], body: 'application' }),
      delete: op('Delete an application', 'applications', [204], [404, 409], { params: ['id'] }),
    },
    [`${apps}/{id}/simulate`]: {
      post: op('Simulate a request: allow, deny or redirect, and the rule that decided', 'applications', [200, wrapped('result', ref('simulation'))], [400, 404], {
        params: ['id'], body: 'simulationInput', description: 'Runs the live endpoint\'s request parsing and decision; nothing is written.',
      }),
    },
    '/api/v1/audit': {
      get: op('The audit log, newest first', 'audit', [200, auditPage], [400], { query: auditQuery }),
    },
    '/api/v1/accounts': {
      get: op('List local accounts', 'accounts', [200, listOf('localAccount')], [400], { query: PAGE_QUERY }),
    },
    '/api/v1/accounts/{username}/disable': {
      post: op('Disable a local account: its sessions stop working', 'accounts', [200, wrapped('account', ref('localAccount'))], [404], { params: ['username'] }),
    },
    '/api/v1/accounts/{username}/enable': {
      post: op('Enable a local account', 'accounts', [200, wrapped('account', ref('localAccount'))], [404], { params: ['username'] }),
    },
    '/api/v1/accounts/{username}/password': {
      post: op('Set a local account\'s password, or generate one (answered once as `password`)', 'accounts', [200, { type: 'object', required: ['account'], properties: { account: ref('localAccount'), password: str('The generated password; only when none was given.') } }], [400, 404], { params: ['username'], body: 'passwordInput' }),
    },
    '/api/v1/people': {
      get: op('List upstream users Gatehouse has seen sign in', 'people', [200, listOf('upstreamUser')], [400], { query: PAGE_QUERY }),
    },
    [person]: {
      get: op('A person: account, organizations and live sessions', 'people', [200, wrapped('person', ref('person'))], [400, 404], { params: ['subject'] }),
    },
    [`${person}/sessions`]: {
      get: op('A person\'s live sessions', 'sessions', [200, listOf('session')], [400], { params: ['subject'] }),
    },
    [`${person}/sessions/{session}`]: {
      delete: op('End a session (an OpenID Connect session also loses its grants\' refresh tokens, opaque access tokens and codes)', 'sessions', [204], [400, 404], { params: ['subject', 'session'] }),
    },
    '/api/v1/resource-servers': {
      get: op('Resource servers (APIs receiving JWT access tokens)', 'identity', [200, listOf('resourceServer')], []),
    },
    '/api/v1/upstreams': {
      get: op('Upstream identity providers, without secrets', 'identity', [200, listOf('upstream')], []),
    },
    '/api/v1/upstreams/{upstream}/health': {
      get: op('Whether the upstream provider answers discovery now, as a sign-in would need (cached 30 s)', 'identity', [200, {
        type: 'object', required: ['ok', 'checkedAt'],
        properties: { ok: { type: 'boolean' }, checkedAt: { type: 'string', format: 'date-time' }, error: { type: 'string', description: 'Why discovery failed.' } },
      }], [404], { params: ['upstream'] }),
    },
  }
}
