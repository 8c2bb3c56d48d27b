// A client in Gatehouse's own camelCase shape, as the admin API, the CLI and the bootstrap file
// take it, and its mapping to and from oidc-provider metadata (snake_case plus urn:gatehouse:*
// extras). The shape is stricter than the protocol: Gatehouse refuses what it would not serve.

import { z } from 'zod'
import { isLoopbackHost } from '../../config/index.ts'
import type { JsonObject } from '../../store/index.ts'
import { RESERVED_SUBJECT_PREFIXES } from '../accounts.ts'
import { ID_TOKEN_OPTIONAL_CLAIMS } from '../id-token-claims.ts'
import { CLIENT_EXTRA_METADATA } from '../provider.ts'

export const OIDC_SCOPES = ['openid', 'offline_access', 'email', 'profile', 'groups'] as const
/** The last is the device authorization grant (RFC 8628), for clients without a browser. */
export const CLIENT_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none',
] as const
/** Methods that authenticate with the shared secret; the others need none stored. */
export const SECRET_AUTH_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post'])
export const MIN_CLIENT_SECRET_LENGTH = 32

/** Schemes a browser would execute or that carry no redirect target. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:'])

const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'scopes must be non-empty words without spaces or quotes')

/** Why a URL is unacceptable as a web endpoint (https, or http on loopback), or undefined. */
export function webUrlProblem(text: string): string | undefined {
  const url = URL.parse(text)
  if (!url) return 'must be an absolute URL'
  if (text.includes('#')) return 'must not contain a fragment'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? undefined : 'must use https unless the host is a loopback address'
  return 'must be an https URL (or http on a loopback address)'
}

/** Redirect URIs: web rules, or a custom scheme for a native (public) app. */
function redirectUriProblem(text: string, allowCustomScheme: boolean): string | undefined {
  const url = URL.parse(text)
  if (!url) return 'must be an absolute URI'
  if (url.protocol === 'https:' || url.protocol === 'http:') return webUrlProblem(text)
  if (text.includes('#')) return 'must not contain a fragment'
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol.slice(0, -1)} scheme`
  if (!allowCustomScheme) return 'may use a custom scheme only for public (native) clients'
  return undefined
}

const uriList = z.array(z.string().min(1).max(2048)).max(100).default([])

export const clientInputSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -')
    .refine((id) => !RESERVED_SUBJECT_PREFIXES.some((p) => id.toLowerCase().startsWith(p)), `id must not start with ${RESERVED_SUBJECT_PREFIXES.join(', ')} (account subjects)`),
  name: z.string().min(1).max(200).optional(),
  type: z.enum(['confidential', 'public']),
  redirectUris: uriList,
  postLogoutRedirectUris: uriList,
  grantTypes: z.array(z.enum(CLIENT_GRANT_TYPES)).min(1, 'grantTypes must not be empty').default(['authorization_code']),
  scopes: z.array(scopeToken).max(200).default([]),
  corsOrigins: z.array(z.string().min(1).max(2048)).max(100).default([]),
  tokenEndpointAuthMethod: z.enum(CLIENT_AUTH_METHODS).optional(),
  tlsClientAuthSubjectDn: z.string().min(1).max(1024).optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  jwksUri: z.string().optional(),
  firstParty: z.boolean().optional(),
  mayIntrospect: z.boolean().optional(),
  loginUri: z.string().max(2048).optional(),
  /** The application's logo, shown on its sign-in, consent and device pages. */
  logoUri: z.string().max(2048).optional(),
  /** The application's home page: where "back to the application" links on Gatehouse's pages go. */
  clientUri: z.string().max(2048).optional(),
  /** Audience (or indicator) of the resource server this client's access tokens are for when a request names none. */
  defaultAudience: z.string().min(1).max(2048).optional(),
  /** For relying parties that cannot verify ES256 ID tokens. */
  idTokenSigningAlg: z.enum(['ES256', 'RS256']).optional(),
  /** Identity claims in ID tokens (each with its scope), for relying parties that read them there (kube-apiserver, Argo CD). */
  idTokenClaims: z.array(z.enum(ID_TOKEN_OPTIONAL_CLAIMS)).max(ID_TOKEN_OPTIONAL_CLAIMS.length).optional(),
  /** OIDC Back-Channel Logout: Gatehouse POSTs a logout token here when the user signs out. */
  backchannelLogoutUri: z.string().max(2048).optional(),
}).strict().superRefine((c, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })
  const method = c.tokenEndpointAuthMethod
  if (c.type === 'public' && method !== undefined && method !== 'none') issue(['tokenEndpointAuthMethod'], 'a public client authenticates with none')
  if (c.type === 'confidential' && method === 'none') issue(['tokenEndpointAuthMethod'], 'a confidential client cannot use none (make it public)')
  if (c.type === 'public' && c.grantTypes.includes('client_credentials')) issue(['grantTypes'], 'a public client cannot use client_credentials')
  if (c.grantTypes.includes('authorization_code') && c.redirectUris.length === 0) issue(['redirectUris'], 'authorization_code needs at least one redirect URI')
  c.redirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri, c.type === 'public')
    if (problem) issue(['redirectUris', i], `redirect URI ${problem}`)
  })
  c.postLogoutRedirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri, c.type === 'public')
    if (problem) issue(['postLogoutRedirectUris', i], `post-logout redirect URI ${problem}`)
  })
  c.corsOrigins.forEach((origin, i) => {
    const problem = webUrlProblem(origin)
    if (problem) issue(['corsOrigins', i], `CORS origin ${problem}`)
    else if (new URL(origin).origin !== origin) issue(['corsOrigins', i], 'CORS origin must be an origin (scheme://host[:port]) without path')
  })
  for (const key of ['loginUri', 'jwksUri', 'backchannelLogoutUri', 'logoUri', 'clientUri'] as const) {
    const value = c[key]
    const problem = value === undefined ? undefined : webUrlProblem(value)
    if (problem) issue([key], `${key} ${problem}`)
  }
  const tlsMethod = method === 'tls_client_auth'
  if (tlsMethod && c.tlsClientAuthSubjectDn === undefined) issue(['tlsClientAuthSubjectDn'], 'tls_client_auth needs tlsClientAuthSubjectDn')
  if (!tlsMethod && c.tlsClientAuthSubjectDn !== undefined) issue(['tlsClientAuthSubjectDn'], 'tlsClientAuthSubjectDn is only for tls_client_auth')
})

/** A client as given (before defaults), with the secret fields the writers may add. */
export type ClientInput = z.input<typeof clientInputSchema>
export type ClientSpec = z.output<typeof clientInputSchema>

/** What reads return: the spec with defaults applied, never a secret or its hash. */
export type ClientView = ClientSpec & {
  tokenEndpointAuthMethod: (typeof CLIENT_AUTH_METHODS)[number]
  source: string
  /** Whether a secret is stored (confidential clients authenticating with it). */
  hasSecret: boolean
  createdAt: string
  updatedAt: string
}

export function authMethodOf(spec: ClientSpec): (typeof CLIENT_AUTH_METHODS)[number] {
  return spec.type === 'public' ? 'none' : (spec.tokenEndpointAuthMethod ?? 'client_secret_basic')
}

export function needsSecret(spec: ClientSpec): boolean {
  return SECRET_AUTH_METHODS.has(authMethodOf(spec))
}

const X = CLIENT_EXTRA_METADATA

/** oidc-provider metadata for the spec (no client_id, no secret: the store keeps those apart). */
export function toMetadata(spec: ClientSpec): JsonObject {
  const customScheme = spec.redirectUris.some((u) => !/^https?:/i.test(u))
  const oidcScopes = spec.scopes.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s))
  const resourceScopes = spec.scopes.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s))
  const m: JsonObject = {
    application_type: customScheme ? 'native' : 'web',
    redirect_uris: spec.redirectUris,
    post_logout_redirect_uris: spec.postLogoutRedirectUris,
    grant_types: spec.grantTypes,
    response_types: spec.grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: authMethodOf(spec),
  }
  if (spec.name !== undefined) m.client_name = spec.name
  if (oidcScopes.length > 0) m.scope = oidcScopes.join(' ')
  if (resourceScopes.length > 0) m[X.resourceScopes] = resourceScopes
  if (spec.corsOrigins.length > 0) m[X.corsOrigins] = spec.corsOrigins
  if (spec.tlsClientAuthSubjectDn !== undefined) m.tls_client_auth_subject_dn = spec.tlsClientAuthSubjectDn
  // RFC 8705: a certificate client's tokens are bound to its certificate (cnf.x5t#S256), so a
  // stolen token is useless without the key.
  if (m.token_endpoint_auth_method === 'tls_client_auth' || m.token_endpoint_auth_method === 'self_signed_tls_client_auth') {
    m.tls_client_certificate_bound_access_tokens = true
  }
  if (spec.jwks !== undefined) m.jwks = spec.jwks
  if (spec.jwksUri !== undefined) m.jwks_uri = spec.jwksUri
  if (spec.firstParty !== undefined) m[X.firstParty] = spec.firstParty
  if (spec.mayIntrospect !== undefined) m[X.mayIntrospect] = spec.mayIntrospect
  if (spec.loginUri !== undefined) m[X.loginUri] = spec.loginUri
  if (spec.logoUri !== undefined) m.logo_uri = spec.logoUri
  if (spec.clientUri !== undefined) m.client_uri = spec.clientUri
  if (spec.defaultAudience !== undefined) m[X.defaultAudience] = spec.defaultAudience
  if (spec.idTokenSigningAlg !== undefined) m.id_token_signed_response_alg = spec.idTokenSigningAlg
  if (spec.idTokenClaims !== undefined) m[X.idTokenClaims] = [...new Set(spec.idTokenClaims)]
  if (spec.backchannelLogoutUri !== undefined) {
    m.backchannel_logout_uri = spec.backchannelLogoutUri
    // Every ID token carries sid; the logout token names it too, so the RP can end one session.
    m.backchannel_logout_session_required = true
  }
  return m
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [])

/** The spec back from stored metadata (the inverse of toMetadata). */
export function fromMetadata(id: string, m: JsonObject): ClientSpec {
  const method = (m.token_endpoint_auth_method ?? 'client_secret_basic') as ClientSpec['tokenEndpointAuthMethod']
  const spec: ClientSpec = {
    id,
    type: method === 'none' ? 'public' : 'confidential',
    redirectUris: strings(m.redirect_uris),
    postLogoutRedirectUris: strings(m.post_logout_redirect_uris),
    grantTypes: strings(m.grant_types) as ClientSpec['grantTypes'],
    scopes: [...(typeof m.scope === 'string' && m.scope !== '' ? m.scope.split(' ') : []), ...strings(m[X.resourceScopes])],
    corsOrigins: strings(m[X.corsOrigins]),
  }
  if (method !== 'none') spec.tokenEndpointAuthMethod = method
  if (typeof m.client_name === 'string') spec.name = m.client_name
  if (typeof m.tls_client_auth_subject_dn === 'string') spec.tlsClientAuthSubjectDn = m.tls_client_auth_subject_dn
  if (m.jwks !== undefined) spec.jwks = m.jwks as ClientSpec['jwks']
  if (typeof m.jwks_uri === 'string') spec.jwksUri = m.jwks_uri
  if (typeof m[X.firstParty] === 'boolean') spec.firstParty = m[X.firstParty] as boolean
  if (typeof m[X.mayIntrospect] === 'boolean') spec.mayIntrospect = m[X.mayIntrospect] as boolean
  if (typeof m[X.loginUri] === 'string') spec.loginUri = m[X.loginUri] as string
  if (typeof m.logo_uri === 'string') spec.logoUri = m.logo_uri
  if (typeof m.client_uri === 'string') spec.clientUri = m.client_uri
  if (typeof m[X.defaultAudience] === 'string') spec.defaultAudience = m[X.defaultAudience] as string
  if (m.id_token_signed_response_alg === 'ES256' || m.id_token_signed_response_alg === 'RS256') spec.idTokenSigningAlg = m.id_token_signed_response_alg
  if (typeof m.backchannel_logout_uri === 'string') spec.backchannelLogoutUri = m.backchannel_logout_uri
  if (Array.isArray(m[X.idTokenClaims])) spec.idTokenClaims = strings(m[X.idTokenClaims]) as ClientSpec['idTokenClaims']
  return spec
}
