// Introspection of access tokens without oidc-provider's Koa pipeline: a resource server
// introspects on every API call, and the pipeline (body parser, parameter assembly, client
// authentication, the refusal of structured tokens and the error jwt-access-tokens.ts then turns
// into an answer) cost several times the answer itself (docs/performance.md).
//
// It answers only what it can answer exactly as the provider would, and says so by returning
// undefined for everything else, which the provider then answers itself:
// - client_secret_basic with a secret the provider already verified (fast-client-auth.ts): a new
//   or wrong secret always goes through the provider's scrypt check and its error answers;
// - a form with `token` (and optionally `token_type_hint`) and nothing else, no repeats;
// - a JWT (three parts, a readable header): the answer (signature, audience rule, revocation by
//   jti) is createJwtIntrospection's, the very function the provider's middleware uses;
// - an opaque access or client-credentials token, looked up with the provider's own models and
//   answered as its introspection action (lib/actions/introspection.js) builds the answer;
//   refresh tokens, tokens not found, pairwise subjects and rich authorization details are the
//   provider's.

import type Provider from 'oidc-provider'
import { decodeProtectedHeader } from 'jose'
import { parseFastForm } from './fast-form.ts'
import { looksLikeJwt, type IntrospectingClient } from './jwt-access-tokens.ts'
import type { KnownClientAuth, ProviderClient } from './fast-client-auth.ts'

/** The JSON body of the answer, or undefined when the provider must answer the request. */
export type FastIntrospect = (authorization: string, form: string) => Promise<string | undefined>

export interface FastIntrospectionOptions {
  provider: Provider
  /** The JWT introspection answer as JSON text (createJwtIntrospection's introspectJson). */
  introspectJson: (client: IntrospectingClient, token: string) => Promise<string>
  /** Client authentication shared with client_credentials tokens (fast-client-auth.ts). */
  clientAuth: KnownClientAuth
  /** Whether this token verified before as a JWT Gatehouse signed (spares decoding its header). */
  seenJwt?: (token: string) => boolean
  /** The provider's introspection.allowedPolicy. */
  allowedPolicy: (client: IntrospectingClient, token: { clientId?: unknown }) => boolean
  /**
   * Whether the artefact store still holds this live token (one read, no model): lets the
   * answer about a client-credentials token be kept while the token stays stored.
   */
  stillStored?: (model: string, id: string) => Promise<boolean>
}

const FORM_KEYS: ReadonlySet<string> = new Set(['token', 'token_type_hint'])
/** Hints under which the provider looks for an access token first (lib/helpers/token_find.js). */
const REFRESH_HINTS: ReadonlySet<unknown> = new Set(['refresh_token', 'urn:ietf:params:oauth:token-type:refresh_token'])

/** Token and hint of a form that holds nothing but `token` and `token_type_hint`, each once. */
function paramsOf(form: string): { token: string; hint?: string } | undefined {
  const params = parseFastForm(form, FORM_KEYS)
  for (const [key, value] of Object.entries(params)) if (!FORM_KEYS.has(key) || typeof value !== 'string') return undefined
  const token = params.token
  return typeof token === 'string' && token !== '' ? { token, hint: params.token_type_hint as string | undefined } : undefined
}

/** The stored token as the provider's models give it. */
interface StoredToken {
  kind: string
  clientId?: string
  accountId?: string
  grantId?: string
  jti: string
  exp: number
  iat: number
  sid?: string
  aud?: unknown
  scope?: string
  rar?: unknown
  extra?: Record<string, unknown>
  jkt?: string
  'x5t#S256'?: string
  tokenType: string
  isValid: boolean
  isSenderConstrained(): boolean
}

// A JOSE header decodes to JSON text that starts with `{`, JSON whitespace or a byte-order mark,
// so its base64url starts with one of these; any other base64url letter cannot decode to one,
// which spares the exception decodeProtectedHeader throws for every opaque token.
const HEADER_START = /^[eICD7]|^[^A-Za-z0-9_-]/

/** What oidc-provider's rejectStructuredTokens refuses: anything with a readable JOSE header. */
function looksLikeJoseHeader(token: string): boolean {
  if (!HEADER_START.test(token)) return false
  try {
    return !!decodeProtectedHeader(token)
  } catch {
    return false
  }
}

const DECLINE = Symbol('decline')
/** Most client-credentials token values remembered as such. */
const CLIENT_CREDENTIALS_KEPT = 1000
/** Most answers kept. */
const ANSWERS_KEPT = 1000

/** An active answer about a client-credentials token, to whom, and when the token expires (epoch seconds). */
interface KeptAnswer { client: ProviderClient; json: string; exp: number }

export function createFastIntrospection(options: FastIntrospectionOptions): FastIntrospect {
  const { provider, introspectJson, allowedPolicy } = options
  const seenJwt = options.seenJwt ?? (() => false)
  const models = provider as unknown as Record<'AccessToken' | 'ClientCredentials' | 'Grant', { find(value: string, options?: object): Promise<StoredToken | undefined> }>
  const { findClient, authenticate } = options.clientAuth
  // Values found among client-credentials tokens before. Token values are random and unique
  // across models, so such a value is never an access token: its access-token read, always a
  // miss, is spared. The client-credentials read itself (validity, revocation) stays.
  const clientCredentials = new Set<string>()
  // Active answers about client-credentials tokens, by token value, for the client object that
  // asked (a changed client record is a new object, so its answers are not reused). Such a token
  // carries no grant or account and never changes once stored: its answer holds until it expires
  // or leaves the store (revocation deletes it), and both are checked on every request, the
  // second by a read.
  const answers = new Map<string, KeptAnswer>()
  const stillStored = options.stillStored

  async function keptAnswer(client: ProviderClient, value: string): Promise<string | undefined> {
    const kept = answers.get(value)
    if (kept === undefined || kept.client !== client) return undefined
    if (kept.exp > Math.floor(Date.now() / 1000) && (await stillStored!('ClientCredentials', value))) return kept.json
    answers.delete(value)
    return undefined
  }

  function keep(client: ProviderClient, value: string, token: StoredToken, json: string): void {
    answers.set(value, { client, json, exp: token.exp })
    if (answers.size > ANSWERS_KEPT) answers.delete(answers.keys().next().value as string)
  }

  async function findToken(value: string): Promise<StoredToken | undefined> {
    if (!clientCredentials.has(value)) {
      const access = await models.AccessToken.find(value)
      if (access !== undefined) return access
    }
    const token = await models.ClientCredentials.find(value)
    if (token === undefined) clientCredentials.delete(value)
    else if (!clientCredentials.has(value)) {
      clientCredentials.add(value)
      if (clientCredentials.size > CLIENT_CREDENTIALS_KEPT) clientCredentials.delete(clientCredentials.values().next().value as string)
    }
    return token
  }

  /** The provider's answer for an access or client-credentials token as JSON text, or DECLINE. */
  async function opaqueAnswer(client: ProviderClient, value: string, hint: string | undefined): Promise<string | typeof DECLINE> {
    if (REFRESH_HINTS.has(hint)) return DECLINE
    if (stillStored) {
      const kept = await keptAnswer(client, value)
      if (kept !== undefined) return kept
    }
    // The provider looks in both at once and takes the access token first; a value is in one only.
    const token = await findToken(value)
    if (token === undefined) return DECLINE
    const body = await answerOf(client, value, token)
    if (body === DECLINE) return DECLINE
    const json = JSON.stringify(body)
    if (stillStored && body.active === true && token.kind === 'ClientCredentials') keep(client, value, token, json)
    return json
  }

  /** The provider's renderTokenResponse for a found token, or DECLINE. */
  async function answerOf(client: ProviderClient, value: string, token: StoredToken): Promise<Record<string, unknown> | typeof DECLINE> {
    const body: Record<string, unknown> = { active: false }
    if (!token.isValid) return body
    if (token.grantId) {
      const grant = await models.Grant.find(token.grantId, { ignoreExpiration: true }) as unknown as { isExpired: boolean; clientId?: string; accountId?: string } | undefined
      if (!grant || grant.isExpired || grant.clientId !== token.clientId || grant.accountId !== token.accountId) return body
    }
    if (!allowedPolicy(client, token)) return body
    if (token.rar) return DECLINE
    if (token.accountId) {
      const owner = token.clientId === client.clientId ? client : await findClient(String(token.clientId))
      if (owner === undefined || (owner as { subjectType?: unknown }).subjectType === 'pairwise') return DECLINE
      body.sub = token.accountId
    }
    Object.assign(body, {
      ...token.extra,
      active: true,
      client_id: token.clientId,
      exp: token.exp,
      iat: token.iat,
      sid: token.sid,
      iss: provider.issuer,
      jti: token.jti !== value ? token.jti : undefined,
      aud: token.aud,
      authorization_details: undefined,
      scope: token.scope || undefined,
      cnf: token.isSenderConstrained() ? {} : undefined,
      token_type: token.tokenType,
    })
    if (token['x5t#S256']) (body.cnf as Record<string, unknown>)['x5t#S256'] = token['x5t#S256']
    if (token.jkt) (body.cnf as Record<string, unknown>).jkt = token.jkt
    return body
  }

  return async (authorization, form) => {
    const params = paramsOf(form)
    if (params === undefined) return undefined
    const client = await authenticate(authorization)
    if (client === undefined) return undefined
    const { token } = params
    if (seenJwt(token) || looksLikeJwt(token)) return introspectJson(client, token)
    // The provider refuses any string with a readable JWT header as structured, not only three-part ones.
    if (looksLikeJoseHeader(token)) return undefined
    const answer = await opaqueAnswer(client, token, params.hint)
    return answer === DECLINE ? undefined : answer
  }
}
