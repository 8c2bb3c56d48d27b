// A relying party as foreign OAuth libraries drive Gatehouse: clients made through the admin API,
// raw form posts to the token endpoints (what Authlib and oidc-client-ts send), and a local
// sign-in with code + PKCE through openid-client for the tokens of a user.
import assert from 'node:assert/strict'
import * as oidc from 'openid-client'
import { Browser, formAction } from './browser.ts'

/** Never fetched: the browser stops there. Loopback, because the client API wants https elsewhere. */
export const RP = 'http://127.0.0.1:9'
export const CALLBACK = `${RP}/callback`

export interface FormReply {
  status: number
  headers: Headers
  text: string
  /** Parsed JSON, or {} for an empty body. */
  body: Record<string, any>
}

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/** POSTs a form to `base + path`; `auth` is an Authorization header value or nothing. */
export async function postForm(base: string, path: string, form: Record<string, string>, auth?: string, headers: Record<string, string> = {}): Promise<FormReply> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === undefined ? {} : { authorization: auth }), ...headers },
    body: new URLSearchParams(form).toString(),
  })
  const text = await res.text()
  let body: Record<string, any> = {}
  try { body = text === '' ? {} : JSON.parse(text) } catch { /* not JSON: the test looks at text */ }
  return { status: res.status, headers: res.headers, text, body }
}

/** Creates a client through the admin API (open on loopback without preshared keys). */
export async function createClient(base: string, spec: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${base}/api/v1/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
  assert.equal(res.status, 201, await res.text())
}

export async function discover(base: string, clientId: string, secret?: string, metadata: Partial<oidc.ClientMetadata> = {}): Promise<oidc.Configuration> {
  const auth = secret === undefined ? oidc.None() : oidc.ClientSecretBasic(secret)
  return oidc.discovery(new URL(base), clientId, secret === undefined ? { token_endpoint_auth_method: 'none', ...metadata } : metadata, auth, { execute: [oidc.allowInsecureRequests] })
}

export interface SignInOptions {
  username?: string
  password: string
  params?: Record<string, string>
  /** Carries the Gatehouse session between calls. */
  browser?: Browser
}

/** Signs `username` in with its password through the code flow (PKCE S256) and redeems the code. */
export async function passwordSignIn(config: oidc.Configuration, base: string, options: SignInOptions) {
  const flow = await authorize(config, base, options)
  const tokens = await oidc.authorizationCodeGrant(config, flow.callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce })
  return { ...flow, tokens }
}

/** The browser leg of passwordSignIn: the callback URL with the code, not redeemed. */
export async function authorize(config: oidc.Configuration, base: string, options: SignInOptions) {
  const browser = options.browser ?? new Browser({ base, stopAt: [RP] })
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK, scope: 'openid', state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...options.params,
  })
  let page = await browser.browse(url)
  if (page.status !== 0) {
    page = await browser.browse(formAction(page.html, '/login'), { method: 'POST', form: { username: options.username ?? 'admin', password: options.password } })
  }
  assert.equal(page.location.origin, RP, `${page.status} ${page.html.slice(0, 500)}`)
  return { browser, callback: page.location, verifier, state, nonce }
}
