// The frame of every page a person sees (the product's mark, one card, the application's mark
// and the title), and the pages oidc-provider shows by itself: errors, the sign-out step and the
// signed-out page. Its defaults load web fonts and print error details; these are
// self-contained and say only what a user can act on, with a reference to quote.

import { createHash } from 'node:crypto'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { PAGE_HEADERS } from '../lib/index.ts'
import { accentStyle, brandFor, type Brand } from './branding.ts'
import { PAGE_STYLE } from './page-style.ts'

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

export interface PageOptions {
  /** Default: the product's brand (branding.ts). */
  brand?: Brand
  /** The application the page is about: its logo (or monogram) heads the card. */
  app?: { name: string; logoUrl?: string }
  /** One line under the title. */
  lede?: string
  /** A wider card, for tables (the account page). */
  wide?: boolean
  /** A page that reports a problem: a warning mark heads the card (unless an application's does). */
  problem?: boolean
  /** A page that confirms something finished (signed out, device connected): a check mark heads it. */
  done?: boolean
}

const monogram = (name: string) => `<span class="mark" aria-hidden="true">${escapeHtml((name.trim()[0] ?? '?').toUpperCase())}</span>`

/**
 * Only web URLs and same-server paths reach an <img> (never data: or javascript:); the
 * pages' policy (img-src 'self' https:) then loads https ones and this server's own.
 */
export function safeImageUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined
  if (url.startsWith('/') && !url.startsWith('//')) return url
  try {
    const protocol = new URL(url).protocol
    return protocol === 'https:' || protocol === 'http:' ? url : undefined
  } catch {
    return undefined
  }
}

function brandLine(brand: Brand): string {
  const logo = safeImageUrl(brand.logoUrl)
  // With a logo the name is its alt text: a logo usually spells the name already.
  return logo === undefined
    ? `<header class="top">${monogram(brand.name)}<span>${escapeHtml(brand.name)}</span></header>`
    : `<header class="top"><img src="${escapeHtml(logo)}" alt="${escapeHtml(brand.name)}"></header>`
}

const PROBLEM_MARK = '<div class="app"><span class="mark problem" aria-hidden="true">!</span></div>'
const DONE_MARK = '<div class="app"><span class="mark done" aria-hidden="true">✓</span></div>'

function appMark(app: NonNullable<PageOptions['app']>): string {
  const logo = safeImageUrl(app.logoUrl)
  return `<div class="app">${logo === undefined ? monogram(app.name) : `<img src="${escapeHtml(logo)}" alt="">`}</div>`
}

/** `body` is trusted HTML; callers escape what they interpolate. */
export function page(title: string, body: string, options: PageOptions = {}): string {
  const brand = options.brand ?? brandFor()
  const lede = options.lede === undefined ? '' : `<p>${escapeHtml(options.lede)}</p>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="color-scheme" content="light dark"><title>${escapeHtml(title)} · ${escapeHtml(brand.name)}</title>` +
    `<style>${PAGE_STYLE}${accentStyle(brand.accent)}</style></head><body>${brandLine(brand)}` +
    `<main${options.wide ? ' class="wide"' : ''}><div class="head">${options.app ? appMark(options.app) : options.problem ? PROBLEM_MARK : options.done ? DONE_MARK : ''}<h1>${escapeHtml(title)}</h1>${lede}</div>${body}</main>` +
    `</body></html>`
}

/** The lines error pages end with: what to quote when asking for help, and details for administrators. */
export const referenceLine = (reference: string | undefined, detail?: string): string =>
  (reference === undefined || reference === '' ? '' : `<p class="ref">Reference: <code>${escapeHtml(reference)}</code>` +
    `${detail === undefined ? '' : `<br>For the administrator: ${escapeHtml(detail)}`}</p>`)

/** A link styled as a button. */
export const linkButton = (href: string, label: string, primary = false): string =>
  `<a class="button ${primary ? 'primary' : 'secondary'}" href="${escapeHtml(href)}">${escapeHtml(label)}</a>`

function send(ctx: KoaContextWithOIDC, html: string): void {
  ctx.type = 'html'
  ctx.body = html
}

const requestIdOf = (ctx: KoaContextWithOIDC): string | undefined => {
  const id = ctx.res.getHeader('x-request-id')
  return typeof id === 'string' ? id : undefined
}

/** What each protocol error means to the person who sees it, and what they can do next. */
const ERROR_TEXT: Record<string, { title: string; message: string }> = {
  invalid_client: { title: 'Unknown application', message: 'The application that sent you here is not registered with this sign-in service.' },
  invalid_redirect_uri: { title: 'Unknown return address', message: 'The application asked to send you back to an address it has not registered.' },
  access_denied: { title: 'Sign-in cancelled', message: 'The sign-in was cancelled, so the application was not given access.' },
  login_required: { title: 'Sign-in needed', message: 'The application asked to continue without showing a sign-in page, but you are not signed in.' },
  invalid_request: { title: 'Sign-in could not start', message: 'The application sent a request this server could not accept.' },
  unsupported_response_type: { title: 'Sign-in could not start', message: 'The application asked for a kind of sign-in this server does not offer.' },
  invalid_scope: { title: 'Sign-in could not start', message: 'The application asked for access this server does not offer.' },
  session_not_found: { title: 'Sign-in expired', message: 'This sign-in has expired or was already completed.' },
  server_error: { title: 'Something went wrong', message: 'Something went wrong on our side.' },
}

export function renderError(ctx: KoaContextWithOIDC, out: { error?: unknown; error_description?: unknown }): void {
  const code = typeof out.error === 'string' ? out.error : 'server_error'
  // A sign-out the application started wrongly (a bad id_token_hint or return address) is not a sign-in problem.
  const signOut = ctx.path.startsWith('/session/end')
  const known = signOut && code !== 'server_error'
    ? { title: 'Sign-out problem', message: 'The application asked to sign you out in a way this server could not accept. You are still signed in.' }
    : ERROR_TEXT[code] ?? { title: 'Sign-in problem', message: 'The sign-in could not be completed.' }
  // Descriptions of client errors help whoever runs the application; server_error ones may carry internals.
  const detail = code !== 'server_error' && typeof out.error_description === 'string' ? out.error_description : undefined
  send(ctx, page(known.title, `<p>${escapeHtml(known.message)}</p>` +
    '<p>Go back to the application and start again. If it keeps happening, tell its administrator and quote the reference below.</p>' +
    `<div class="stack">${linkButton('/', 'Go to the home page')}</div>` +
    referenceLine(requestIdOf(ctx), detail === undefined ? undefined : `${detail} (${code})`), { problem: true }))
}

/** The sign-out that needs no confirmation submits itself; its script is pinned by hash. */
const AUTO_SUBMIT = 'document.getElementById("op.logoutForm").submit()'
const AUTO_SUBMIT_HASH = `'sha256-${createHash('sha256').update(AUTO_SUBMIT).digest('base64')}'`

/**
 * The client that asked for the sign-out is identified by a valid id_token_hint (oidc-provider
 * has verified its signature and audience) for the signed-in account, and that client is one the
 * session signed in to: the request then comes from the session's own application, and no
 * confirmation is asked. Otherwise a single button: a cross-site link alone cannot sign anyone out.
 */
function hintNamesSessionClient(ctx: KoaContextWithOIDC): boolean {
  const hint = (ctx.oidc.entities as { IdTokenHint?: { payload?: { aud?: unknown; sub?: unknown } } }).IdTokenHint
  const session = ctx.oidc.session
  const aud = hint?.payload?.aud
  if (session === undefined || typeof aud !== 'string' || hint?.payload?.sub !== session.accountId) return false
  return Object.hasOwn(session.authorizations ?? {}, aud)
}

/**
 * A full sign-out (logout=yes) reaches the success page without the client's id; this short-lived
 * cookie names the client that asked, so that page can link back to its home. It names only a
 * client id, which grants nothing.
 */
const LOGOUT_CLIENT_COOKIE = 'gatehouse_logout_client'
const SUCCESS_PATH = '/session/end/success'

export function logoutSource(ctx: KoaContextWithOIDC, form: string): void {
  const client = ctx.oidc.client
  const from = client ? (client.clientName || client.clientId) : undefined
  if (client) ctx.cookies.set(LOGOUT_CLIENT_COOKIE, client.clientId, { path: SUCCESS_PATH, maxAge: 600_000, httpOnly: true, sameSite: 'lax', signed: false, overwrite: true })
  const button = '<div class="stack"><button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button></div>'
  if (hintNamesSessionClient(ctx)) {
    const csp = ctx.response.get('content-security-policy')
    ctx.set('content-security-policy', csp.replace('script-src', `script-src ${AUTO_SUBMIT_HASH}`))
    // The form submits itself; without scripts the one button does the same.
    send(ctx, page('Signing you out', `${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}` +
      `<p>${from === undefined ? 'Signing you out' : `Signing you out of <strong>${escapeHtml(from)}</strong> and every application you signed in to here`}…</p>` +
      `${button}<script>${AUTO_SUBMIT}</script>`))
    return
  }
  send(ctx, page('Sign out', `${form}<p>Sign out of ${escapeHtml(brandFor().name)} and every application you signed in to through it` +
    `${from === undefined ? '' : `, including <strong>${escapeHtml(from)}</strong>`}?</p>${button}` +
    '<p class="muted">To stay signed in, close this page.</p>'))
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  const named = ctx.cookies.get(LOGOUT_CLIENT_COOKIE, { signed: false })
  if (named !== undefined) ctx.cookies.set(LOGOUT_CLIENT_COOKIE, null, { path: SUCCESS_PATH, signed: false, overwrite: true })
  const client = ctx.oidc.client ?? (named === undefined ? undefined : await ctx.oidc.provider.Client.find(named).catch(() => undefined))
  const home = client === undefined ? undefined : safeHttpUrl((client as unknown as { clientUri?: string }).clientUri)
  const back = home === undefined
    ? linkButton('/', 'Go to the home page', true)
    : linkButton(home, `Back to ${client!.clientName || client!.clientId}`, true)
  send(ctx, signedOutPage(back))
}

/** The page every sign-out ends on, with one way back. */
export function signedOutPage(back: string): string {
  return page('You are signed out', '<p>You have signed out of every application you signed in to here. On a shared computer, close the browser too.</p>' +
    `<div class="stack">${back}</div>`, { done: true })
}

const safeHttpUrl = (url: string | undefined): string | undefined => {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined
  } catch {
    return undefined
  }
}

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => Promise<void>

/**
 * Every page's headers (src/lib/page-headers.ts) on the provider's answers: set before it writes,
 * so it can add the hash of its auto-submit script (form_post, device links) to `script-src`.
 * Harmless on its JSON; `no-store` only on HTML, so discovery and JWKS stay cacheable.
 */
export function providerPageHeaders(): Middleware {
  return async (ctx, next) => {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) if (name !== 'cache-control') ctx.set(name, value)
    await next()
    if (ctx.response.is('html')) ctx.set('cache-control', 'no-store')
  }
}
