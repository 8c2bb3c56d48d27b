// The forward-auth decision: which application a request is for, whether its path passes without
// login, where an anonymous visitor is sent, and whether a signed-in one may pass. Pure apart from
// the injected relationship checker; the HTTP layer turns a Decision into a response.

import type { ApplicationRegistry } from './application.ts'
import { underCookieDomain } from './hosts.ts'
import { emptyIdentityHeaders, identityHeaders, type ForwardIdentity, type IdentityHeaders } from './identity-headers.ts'
import { normalisePath } from './paths.ts'
import { evaluatePolicy, selectPolicy, type PolicyCheck, type RelationshipChecker } from './policy.ts'
import type { ForwardedRequest } from './request.ts'
import { checkReturnUrl } from './return-url.ts'

export interface DecideConfig {
  applications: ApplicationRegistry
  /** The absolute URL of the login page that sends the visitor back to `returnUrl`. */
  loginUrl(returnUrl: string): string
  /** Domain the session cookie is scoped to (`example.com` covers `app.example.com`). */
  cookieDomain: string
  now: Date
}

export interface DecideInput {
  request: ForwardedRequest
  /** The session's identity, or null for an anonymous visitor. */
  identity: ForwardIdentity | null
  config: DecideConfig
}

export interface DecideDeps {
  relations: RelationshipChecker
}

export type Decision =
  /** 2xx with every configured identity header; `rule` names the rule whose policy allowed it. */
  | { kind: 'allow'; status: 200; application: string; rule: string; headers: IdentityHeaders }
  /** 2xx without login (a skip path, named in `rule`); every identity header present and empty. */
  | { kind: 'skip'; status: 200; application: string; rule: string; headers: IdentityHeaders }
  /** Anonymous: a redirect to login, or a 401 (with an absolute Location for nginx browsers). */
  | { kind: 'login'; status: 302 | 303 | 401; application: string; location?: string }
  /** Signed in but not allowed; `rule` names the rule and check that failed. */
  | { kind: 'deny'; status: 403; application: string; rule: string; check: PolicyCheck | 'path'; reason: string; switchUrl?: string }
  /** Gatehouse cannot serve this host as configured (a redirect would loop). */
  | { kind: 'misconfigured'; status: 400; application: string; reason: string }
  /**
   * No application registered for the host. 403, not 404: nginx's auth_request accepts only
   * 2xx, 401 and 403 (a 404 becomes a 500 there), and to the visitor the request is refused.
   */
  | { kind: 'unknown_host'; status: 403; host: string; reason: string }

/** The URL the visitor asked for, checked as a place to come back to after a sign-in. */
function returnUrlOf(request: ForwardedRequest, config: DecideConfig): ReturnType<typeof checkReturnUrl> {
  const authority = request.port === '' ? request.host : `${request.host}:${request.port}`
  return checkReturnUrl(`${request.proto}://${authority}${request.path}${request.query}`, {
    isApplicationHost: config.applications.isApplicationHost, cookieDomain: config.cookieDomain,
  })
}

function loginDecision(request: ForwardedRequest, application: string, config: DecideConfig): Decision {
  if (!underCookieDomain(request.host, config.cookieDomain)) {
    return {
      kind: 'misconfigured', status: 400, application,
      reason: `host ${request.host} is not under the cookie domain ${config.cookieDomain}: the session cookie can never reach it`,
    }
  }
  const browser = request.acceptsHtml && !request.xhr
  if (!browser) return { kind: 'login', status: 401, application }
  const back = returnUrlOf(request, config)
  if (!back.ok) return { kind: 'misconfigured', status: 400, application, reason: `cannot return to this URL: ${back.reason}` }
  const location = config.loginUrl(back.url)
  if (!/^https?:\/\//i.test(location)) {
    return { kind: 'misconfigured', status: 400, application, reason: 'the login URL must be absolute' }
  }
  if (request.contract === 'nginx') return { kind: 'login', status: 401, application, location }
  const safe = request.method === 'GET' || request.method === 'HEAD'
  return { kind: 'login', status: safe ? 302 : 303, application, location }
}

/**
 * Where a browser that was refused can sign in as someone else and come back here: the sign-in
 * with the same (allow-listed) return URL, asking for a fresh login. Undefined when the return
 * URL is not allowed or the visitor is not a browser.
 */
function switchUserUrl(request: ForwardedRequest, config: DecideConfig): string | undefined {
  if (!request.acceptsHtml || request.xhr) return undefined
  const back = returnUrlOf(request, config)
  if (!back.ok) return undefined
  try {
    const url = new URL(config.loginUrl(back.url))
    url.searchParams.set('switch', '1')
    return url.href
  } catch {
    return undefined
  }
}

export async function decide(input: DecideInput, deps: DecideDeps): Promise<Decision> {
  const { request, identity, config } = input
  const app = config.applications.find(request.host)
  if (!app) return { kind: 'unknown_host', status: 403, host: request.host, reason: `no application is registered for ${request.host}` }
  const normalised = normalisePath(request.path)
  // An unsafe path is refused outright, before skip paths: it must never be let through.
  if (!normalised.ok) {
    return { kind: 'deny', status: 403, application: app.id, rule: 'path', check: 'path', reason: normalised.reason }
  }
  const skip = app.skipPaths.findIndex((re) => re.test(normalised.path))
  if (skip >= 0) {
    return { kind: 'skip', status: 200, application: app.id, rule: `skipPaths[${skip}]`, headers: emptyIdentityHeaders(app) }
  }
  if (!identity) return loginDecision(request, app.id, config)
  const { scope, policy } = selectPolicy(app, normalised.path, request.method)
  const failure = await evaluatePolicy(policy, { method: request.method, clientIp: request.clientIp, now: config.now, identity }, deps.relations)
  if (failure) {
    const switchUrl = switchUserUrl(request, config)
    return {
      kind: 'deny', status: 403, application: app.id, rule: `${scope}: ${failure.check}`, check: failure.check, reason: failure.reason,
      ...(switchUrl === undefined ? {} : { switchUrl }),
    }
  }
  return { kind: 'allow', status: 200, application: app.id, rule: scope, headers: identityHeaders(app, identity) }
}
