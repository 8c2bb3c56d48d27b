// Signing in to the console through Gatehouse's own OpenID Connect provider: authorization code
// with PKCE for the built-in public client. The tokens live in this tab's sessionStorage only,
// and the access token is a JWT for the console's audience, which the admin APIs accept.

import type { ConsoleSettings } from './types.ts'

const PENDING = 'gatehouse.console.pending'
const TOKENS = 'gatehouse.console.tokens'

export interface Tokens {
  accessToken: string
  idToken?: string
  /** Epoch milliseconds. */
  expiresAt: number
  username: string
}

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

function random(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

function claimsOf(jwt: string): Record<string, unknown> {
  try {
    const part = jwt.split('.')[1] ?? ''
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>
  } catch {
    return {}
  }
}

export const callbackUri = (s: ConsoleSettings) => `${s.issuer}/admin/callback`

/** `extra`: further authorization parameters (a test sign-in names its `upstream`). */
export async function signIn(settings: ConsoleSettings, returnTo: string, extra: Record<string, string> = {}): Promise<never> {
  const verifier = random()
  const state = random()
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }))
  const url = new URL('/auth', settings.issuer)
  url.search = new URLSearchParams({
    client_id: settings.clientId, redirect_uri: callbackUri(settings), response_type: 'code', scope: 'openid profile',
    code_challenge: challenge, code_challenge_method: 'S256', state, ...extra,
  }).toString()
  location.assign(url.toString())
  return new Promise<never>(() => {})
}

/** Redeems the code of the callback URL; answers where to go next. */
export async function completeSignIn(settings: ConsoleSettings, callback: URL): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; returnTo: string } | null
  sessionStorage.removeItem(PENDING)
  const error = callback.searchParams.get('error')
  if (error !== null) throw new Error(callback.searchParams.get('error_description') ?? error)
  const code = callback.searchParams.get('code')
  if (pending === null || code === null || callback.searchParams.get('state') !== pending.state) {
    throw new Error('This sign-in was not started here or has already been used; sign in again.')
  }
  const res = await fetch('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: callbackUri(settings), client_id: settings.clientId, code_verifier: pending.verifier,
    }),
  })
  const body = (await res.json()) as { access_token?: string; id_token?: string; expires_in?: number; error_description?: string }
  if (!res.ok || body.access_token === undefined) throw new Error(body.error_description ?? 'The token request failed.')
  const claims = claimsOf(body.access_token)
  const tokens: Tokens = {
    accessToken: body.access_token,
    ...(body.id_token ? { idToken: body.id_token } : {}),
    expiresAt: Date.now() + (body.expires_in ?? 300) * 1000,
    username: typeof claims.preferred_username === 'string' ? claims.preferred_username : String(claims.sub ?? ''),
  }
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens))
  return pending.returnTo
}

/** The claims of the current ID token (who signed in, how, and their organizations), or {}. */
export function idTokenClaims(): Record<string, unknown> {
  const idToken = currentTokens()?.idToken
  return idToken === undefined ? {} : claimsOf(idToken)
}

/** The current tokens, unless missing or about to expire. */
export function currentTokens(): Tokens | undefined {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Tokens | null
  if (tokens === null || tokens.expiresAt < Date.now() + 10_000) return undefined
  return tokens
}

export function forgetTokens(): void {
  sessionStorage.removeItem(TOKENS)
}

/** Ends the session at Gatehouse too, and comes back to the console's start. */
export function signOut(settings: ConsoleSettings): void {
  const tokens = currentTokens()
  forgetTokens()
  const url = new URL('/session/end', settings.issuer)
  url.search = new URLSearchParams({
    client_id: settings.clientId, post_logout_redirect_uri: `${settings.issuer}/admin/`,
    ...(tokens?.idToken ? { id_token_hint: tokens.idToken } : {}),
  }).toString()
  location.assign(url.toString())
}
