import { z } from 'zod'
import { isLoopbackHost } from './loopback.ts'
import type { KeySpec, ResolvedBase } from './schema.ts'

// Identity keys live apart from schema.ts so the OpenID Connect settings read as one group.

export const MIN_SECRET_KEY_LENGTH = 32

/** Why an issuer URL is unacceptable, or undefined when it is fine. */
export function issuerProblem(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute URL such as https://id.example.com'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL'
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) return 'must not have a query or fragment'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  // Endpoints are mounted at the root; a path prefix would need every route moved under it.
  if (url.pathname !== '/' || text.endsWith('/')) return 'must be an origin without a path or trailing slash (e.g. https://id.example.com)'
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'must use https unless the host is a loopback address'
  return undefined
}

const ttl = (defaultValue: number, description: string): KeySpec<number> => ({
  kind: 'integer',
  schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(31_536_000, 'must be at most one year (31536000)'),
  default: defaultValue,
  description,
  secret: false,
})

export const identityKeys = {
  issuer: {
    kind: 'string',
    schema: z.string().superRefine((value, ctx) => {
      const problem = issuerProblem(value)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    }),
    default: (c: ResolvedBase) => `http://127.0.0.1:${c.port}`,
    defaultText: '`http://127.0.0.1:<port>`',
    description: 'OpenID Connect issuer URL: every endpoint and token uses it, never the Host header. An origin without path; https unless the host is loopback.',
    secret: false,
  } satisfies KeySpec<string>,
  secretKey: {
    kind: 'string',
    schema: z.string().refine((s) => s === '' || s.length >= MIN_SECRET_KEY_LENGTH, `must be at least ${MIN_SECRET_KEY_LENGTH} characters`),
    default: '',
    description: `Secret (at least ${MIN_SECRET_KEY_LENGTH} characters) that encrypts the signing keys at rest and derives the cookie keys. Unset with SQLite: one is generated once into \`<dataDir>/secret.key\` (mode 0600). Required with PostgreSQL, and the same on every replica.`,
    secret: true,
  } satisfies KeySpec<string>,
  accessTokenTtlSeconds: ttl(600, 'Lifetime of access tokens (also client_credentials tokens), in seconds.'),
  idTokenTtlSeconds: ttl(600, 'Lifetime of ID tokens, in seconds.'),
  refreshTokenTtlSeconds: ttl(1_209_600, 'Lifetime of refresh tokens, in seconds (default 14 days).'),
  sessionTtlSeconds: ttl(86_400, 'Lifetime of a login session at Gatehouse, in seconds.'),
  keyRefreshIntervalSeconds: {
    kind: 'integer',
    schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(86_400, 'must be at most one day (86400)'),
    default: 60,
    description: 'How often each server re-reads the signing keys and starts signing with a key that `gatehouse keys rotate` (or another replica) made active, in seconds. Wait at least this long (plus the JWKS cache lifetime of relying parties) between `gatehouse keys stage` and `gatehouse keys rotate`.',
    secret: false,
  } satisfies KeySpec<number>,
  maintenanceIntervalSeconds: {
    kind: 'integer',
    schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(86_400, 'must be at most one day (86400)'),
    default: 300,
    description: 'How often each server deletes expired OpenID Connect artefacts (sessions, codes, tokens), signing keys whose tokens have all expired, and old sign-in attempt counters, in seconds (jittered so replicas spread out).',
    secret: false,
  } satisfies KeySpec<number>,
  claimNamespace: {
    kind: 'string',
    schema: z.string().url('must be a URL').refine((s) => !s.includes('?') && !s.includes('#'), 'must not have a query or fragment'),
    default: 'https://gatehouse.dev/claims',
    description: 'Claim name (a URL, to avoid collisions) of the object carrying Gatehouse claims such as `acctype` in tokens and userinfo.',
    secret: false,
  } satisfies KeySpec<string>,
  localLogin: {
    kind: 'boolean',
    schema: z.boolean({ error: 'must be true or false' }),
    default: true,
    description: 'Allow logins with local accounts (bootstrap admin, break-glass). Turn off once upstream identity providers are set up.',
    secret: false,
  } satisfies KeySpec<boolean>,
  mfaRequiredForAdmins: {
    kind: 'boolean',
    schema: z.boolean({ error: 'must be true or false' }),
    default: false,
    description: 'Require a second factor (authenticator app or passkey) of local accounts that are platform administrators: one without a factor enrols during sign-in before it finishes.',
    secret: false,
  } satisfies KeySpec<boolean>,
  bootstrapAdminUsername: {
    kind: 'string',
    schema: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
    default: 'admin',
    description: 'Local admin account created on first start when it does not exist.',
    secret: false,
  } satisfies KeySpec<string>,
  bootstrapPassword: {
    kind: 'string',
    schema: z.string().refine((s) => s === '' || s.length >= 12, 'must be at least 12 characters'),
    default: '',
    description: 'Password for the bootstrap admin when it is created. Unset: a random one is generated and printed once on stderr.',
    secret: true,
  } satisfies KeySpec<string>,
  mtlsPort: {
    kind: 'integer',
    schema: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535'),
    default: 0,
    description: 'TCP port of the mutual-TLS listener for service clients (RFC 8705: `tls_client_auth`, `self_signed_tls_client_auth`, certificate-bound tokens); it serves the token, introspection and revocation endpoints only. 0 turns it off. Needs mtlsCert and mtlsKey.',
    secret: false,
  } satisfies KeySpec<number>,
  mtlsCert: {
    kind: 'string',
    schema: z.string(),
    default: '',
    description: 'Path of the PEM server certificate (chain) of the mutual-TLS listener.',
    secret: false,
  } satisfies KeySpec<string>,
  mtlsKey: {
    kind: 'string',
    schema: z.string(),
    default: '',
    description: 'Path of the PEM private key of the mutual-TLS listener.',
    secret: false,
  } satisfies KeySpec<string>,
  mtlsClientCa: {
    kind: 'string',
    schema: z.string(),
    default: '',
    description: 'Path of the PEM CA bundle that `tls_client_auth` client certificates must chain to. Unset: `tls_client_auth` is refused (self-signed clients are checked against their registered JWKS and need no CA).',
    secret: false,
  } satisfies KeySpec<string>,
  bootstrapFile: {
    kind: 'string',
    schema: z.string(),
    default: '',
    description: 'Path of a YAML file declaring OIDC `clients`, `upstreams`, `resourceServers`, forward-auth `applications` and tenancy (`roles`, `organizations` with their groups, projects and service accounts, `globalBindings`), applied at every start and by `gatehouse bootstrap`. What it declared and no longer lists is deleted; what was made through the admin API or CLI is never touched. Upstreams and resource servers are added to the configured ones.',
    secret: false,
  } satisfies KeySpec<string>,
}

export const UPSTREAM_KINDS = ['oidc', 'google', 'microsoft'] as const

export const upstreamSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'id must be lower-case letters, digits, - or _'),
  kind: z.enum(UPSTREAM_KINDS),
  /** Display name on the login page; defaults to the id. */
  name: z.string().min(1).max(100).optional(),
  /** Required for kind oidc; google and microsoft have defaults. */
  issuer: z.string().url('issuer must be a URL').optional(),
  clientId: z.string().min(1, 'clientId must not be empty'),
  clientSecret: z.string().min(1, 'clientSecret must not be empty'),
  scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  groupsClaim: z.string().min(1).default('groups'),
  /** Email domains routed to this provider (lower case). */
  domains: z.array(z.string().min(1).transform((d) => d.toLowerCase())).default([]),
  /** microsoft: Entra tenant ids allowed to sign in (the `tid` claim). */
  tenants: z.array(z.string().min(1)).default([]),
  /** microsoft: Microsoft Graph base URL, read for group memberships when the id_token has too many. */
  graphUrl: z.string().url('graphUrl must be a URL').optional(),
  /** google: the Google Workspace domain (`hd` claim) every sign-in must come from. */
  hostedDomain: z.string().min(1).transform((d) => d.toLowerCase()).optional(),
}).superRefine((up, ctx) => {
  if (up.kind === 'oidc' && up.issuer === undefined) ctx.addIssue({ code: 'custom', message: `upstream ${up.id}: kind oidc needs an issuer` })
  if (up.issuer !== undefined) {
    const url = new URL(up.issuer)
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      ctx.addIssue({ code: 'custom', message: `upstream ${up.id}: issuer must use https unless the host is a loopback address` })
    }
  }
  if (up.graphUrl !== undefined && up.kind !== 'microsoft') ctx.addIssue({ code: 'custom', message: `upstream ${up.id}: graphUrl is for kind microsoft only` })
  if (up.graphUrl !== undefined) {
    const url = new URL(up.graphUrl)
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      ctx.addIssue({ code: 'custom', message: `upstream ${up.id}: graphUrl must use https unless the host is a loopback address` })
    }
  }
  if (up.hostedDomain !== undefined && up.kind !== 'google') ctx.addIssue({ code: 'custom', message: `upstream ${up.id}: hostedDomain is for kind google only` })
  if (up.kind === 'microsoft' && up.tenants.length === 0) {
    ctx.addIssue({ code: 'custom', message: `upstream ${up.id}: kind microsoft needs a tenants allow-list (Entra tenant ids)` })
  }
})

export type UpstreamConfig = z.output<typeof upstreamSchema>

/**
 * Identity claims a resource server may ask for in its access tokens, for APIs that read the
 * user from the token alone (Incus). `preferred_username` is a stable name that is a valid
 * OpenFGA id; each claim needs its scope: openid, email, profile, groups.
 */
export const ACCESS_TOKEN_CLAIM_NAMES = ['preferred_username', 'email', 'name', 'groups'] as const

/** A resource server (RFC 8707 indicator) that receives ES256 JWT access tokens. */
export const resourceServerSchema = z.object({
  /** The `resource` value clients send; also the audience unless `audience` is set. */
  indicator: z.string().url('indicator must be an absolute URL').refine((s) => !s.includes('#'), 'indicator must not have a fragment'),
  /** Scopes a client may request for this resource server. */
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'scopes must be non-empty and without spaces or quotes')),
  audience: z.string().min(1, 'audience must not be empty').optional(),
  accessTokenTtlSeconds: z.number().int('accessTokenTtlSeconds must be a whole number').min(1).max(86_400, 'accessTokenTtlSeconds must be at most one day').optional(),
  /** Identity claims its JWT access tokens carry (each only with its scope); none by default. */
  accessTokenClaims: z.array(z.enum(ACCESS_TOKEN_CLAIM_NAMES, { error: `accessTokenClaims entries are ${ACCESS_TOKEN_CLAIM_NAMES.join(', ')}` })).optional(),
  /** The API's name on the consent page ("Billing API"); default its indicator. */
  name: z.string().min(1, 'name must not be empty').max(100, 'name must be at most 100 characters').optional(),
  /** What each scope lets an application do, in words the consent page shows ("Read your invoices"). */
  scopeDescriptions: z.record(z.string(), z.string().min(1).max(200, 'scope descriptions must be at most 200 characters')).optional(),
}).strict()

export type ResourceServerConfig = z.output<typeof resourceServerSchema>

export const upstreamKeys = {
  resourceServers: {
    kind: 'json',
    schema: z.array(resourceServerSchema).superRefine((list, ctx) => {
      const seen = new Set<string>()
      const audiences = new Map<string, string>()
      for (const rs of list) {
        if (seen.has(rs.indicator)) ctx.addIssue({ code: 'custom', message: `resource server ${rs.indicator} is listed twice` })
        seen.add(rs.indicator)
        // The `audience` request parameter names a resource server by its audience: one each.
        const audience = rs.audience ?? rs.indicator
        const other = audiences.get(audience)
        if (other !== undefined && other !== rs.indicator) ctx.addIssue({ code: 'custom', message: `resource servers ${other} and ${rs.indicator} have the same audience ${audience}` })
        audiences.set(audience, rs.indicator)
      }
    }) as z.ZodType<ResourceServerConfig[]>,
    default: [],
    description: 'Resource servers (APIs) that receive ES256 JWT access tokens (a YAML list, or JSON in the env var): `{ indicator, scopes, audience?, accessTokenTtlSeconds?, accessTokenClaims?, name?, scopeDescriptions? }` (`name` and `scopeDescriptions`, a map of scope to text, are what the consent page shows). A request with `resource=<indicator>` or `audience=<audience>` (or from a client whose `defaultAudience` names it) gets a JWT whose `aud` is `audience` (default: the indicator), verifiable against `/jwks`; an unknown one gets `invalid_target`. Otherwise access tokens stay opaque. `accessTokenClaims` lists identity claims the JWT carries: `preferred_username` (with scope openid), `email` (email), `name` (profile), `groups` (groups).',
    secret: false,
  } satisfies KeySpec<ResourceServerConfig[]>,
  upstreams: {
    kind: 'json',
    schema: z.array(upstreamSchema).superRefine((list, ctx) => {
      const ids = new Set<string>()
      const domains = new Map<string, string>()
      for (const up of list) {
        if (ids.has(up.id)) ctx.addIssue({ code: 'custom', message: `upstream id ${up.id} is used twice` })
        ids.add(up.id)
        for (const d of up.domains) {
          const other = domains.get(d)
          if (other !== undefined) ctx.addIssue({ code: 'custom', message: `domain ${d} is routed to both ${other} and ${up.id}` })
          domains.set(d, up.id)
        }
      }
    }) as z.ZodType<UpstreamConfig[]>,
    default: [],
    description: 'Upstream identity providers (a YAML list, or JSON in the env var): `{ id, kind: oidc|google|microsoft, name?, issuer?, clientId, clientSecret, scopes?, groupsClaim?, domains?, tenants?, graphUrl?, hostedDomain? }`. google and microsoft fill in their issuer; microsoft needs `tenants` (allowed `tid`s) and reads group memberships from Microsoft Graph (`graphUrl`, default https://graph.microsoft.com; needs the delegated User.Read permission) when a user has too many for the id_token; google `hostedDomain` requires that Workspace domain (`hd`). A login email whose domain is in `domains` goes to that provider. Register `<issuer>/login/callback` as the redirect URI upstream.',
    secret: true,
    redact: (value: UpstreamConfig[]) => value.map((up) => ({ ...up, clientSecret: '[redacted]' })),
  } satisfies KeySpec<UpstreamConfig[]>,
}
