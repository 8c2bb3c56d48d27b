// Introspection of Gatehouse-signed JWT access tokens without oidc-provider's Koa pipeline: a
// resource server introspects on every API call, and the pipeline (body parser, parameter
// assembly, client authentication, the refusal of structured tokens, the error rendering this
// module's middleware then turns into an answer) cost ten times the answer itself.
//
// It answers only what it can answer exactly as the provider would, and says so by returning
// undefined for everything else, which the provider then answers itself:
// - client_secret_basic only, with a well-formed header, for a client the provider finds whose
//   registered method takes it, whose secret has no expiry set, and whose secret was already
//   verified by the provider (secret-cache.ts): a new or wrong secret always goes through the
//   provider's scrypt check and its error answers, never through here;
// - a form with `token` (and optionally `token_type_hint`) and nothing else, no repeats;
// - a token that is a JWT (three parts, a readable header): opaque tokens are the provider's.
// The answer itself (signature, audience rule, revocation by jti) is createJwtIntrospection's,
// the very function the provider's middleware uses.

import { parse as parseForm } from 'node:querystring'
import type Provider from 'oidc-provider'
import { looksLikeJwt, type IntrospectingClient } from './jwt-access-tokens.ts'

/** The JSON body of the answer, or undefined when the provider must answer the request. */
export type FastIntrospect = (authorization: string, form: string) => Promise<string | undefined>

export interface FastIntrospectionOptions {
  provider: Provider
  introspect: (client: IntrospectingClient, token: string) => Promise<Record<string, unknown>>
  /** Whether this secret was verified against this stored hash before (no scrypt). */
  secretKnown: (secret: string, stored: string) => boolean
  /** Whether this token verified before as a JWT Gatehouse signed (spares decoding its header). */
  seenJwt?: (token: string) => boolean
}

// oidc-provider's checks of a Basic header (lib/shared/client_auth.js): base64 alphabet with
// correct padding, percent-decoding with `+` as a space, visible ASCII only.
const BASE64 = /^([A-Za-z0-9+/]*)(={0,2})$/
const NOT_VSCHAR = /[^\x20-\x7E]/
const SECRET_METHODS: ReadonlySet<unknown> = new Set(['client_secret_basic', 'client_secret_post'])
const FORM_KEYS: ReadonlySet<string> = new Set(['token', 'token_type_hint'])

function validBase64(input: string): boolean {
  const match = BASE64.exec(input)
  if (!match?.[1]) return false
  const remainder = match[1].length % 4
  if (!match[2]) return remainder !== 1
  return (match[1].length + match[2].length) % 4 === 0 && match[2].length === 4 - remainder
}

function decodePart(part: string): string | undefined {
  try {
    const decoded = decodeURIComponent(part.replace(/\+/g, '%20'))
    return NOT_VSCHAR.test(decoded) ? undefined : decoded
  } catch {
    return undefined
  }
}

/** Client id and secret of a Basic header, or undefined where the provider would refuse it. */
export function basicCredentials(authorization: string): { id: string; secret: string } | undefined {
  const parts = authorization.split(' ')
  if (parts.length !== 2 || parts[0].toLowerCase() !== 'basic' || !validBase64(parts[1])) return undefined
  const basic = Buffer.from(parts[1], 'base64').toString('utf8')
  const i = basic.indexOf(':')
  if (i === -1) return undefined
  const id = decodePart(basic.slice(0, i))
  const secret = decodePart(basic.slice(i + 1))
  if (!id || !secret) return undefined
  return { id, secret }
}

/** The token of a form that holds nothing but `token` and `token_type_hint`, each once. */
function tokenOf(form: string): string | undefined {
  const params = parseForm(form)
  for (const [key, value] of Object.entries(params)) if (!FORM_KEYS.has(key) || typeof value !== 'string') return undefined
  const token = params.token
  return typeof token === 'string' ? token : undefined
}

interface ProviderClient extends IntrospectingClient {
  clientAuthMethod: unknown
  clientSecret?: unknown
  clientSecretExpiresAt?: unknown
}

export function createFastIntrospection(options: FastIntrospectionOptions): FastIntrospect {
  const { provider, introspect, secretKnown } = options
  const seenJwt = options.seenJwt ?? (() => false)
  return async (authorization, form) => {
    const credentials = basicCredentials(authorization)
    if (credentials === undefined) return undefined
    const token = tokenOf(form)
    if (token === undefined || !(seenJwt(token) || looksLikeJwt(token))) return undefined
    const client = (await provider.Client.find(credentials.id)) as unknown as ProviderClient | undefined
    if (client === undefined || !SECRET_METHODS.has(client.clientAuthMethod) || client.clientSecretExpiresAt) return undefined
    if (typeof client.clientSecret !== 'string' || !secretKnown(credentials.secret, client.clientSecret)) return undefined
    return JSON.stringify(await introspect(client, token))
  }
}
