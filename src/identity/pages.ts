// Server-rendered pages oidc-provider shows by itself (errors, logout confirmation). Its defaults
// load web fonts and print error details; these are self-contained and say only what a user
// can act on.

import type { KoaContextWithOIDC } from 'oidc-provider'
import { PAGE_HEADERS } from '../lib/index.ts'
import { PAGE_STYLE } from './page-style.ts'

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** `body` is trusted HTML; callers escape what they interpolate. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)} · Gatehouse</title><style>${PAGE_STYLE}</style></head><body><header class="brand">Gatehouse</header>` +
    `<main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
}

function send(ctx: KoaContextWithOIDC, html: string): void {
  ctx.type = 'html'
  ctx.body = html
}

export function renderError(ctx: KoaContextWithOIDC, out: { error?: unknown; error_description?: unknown }): void {
  const code = typeof out.error === 'string' ? out.error : 'server_error'
  // server_error descriptions can carry internals; the code and a request to retry are enough.
  const description = code !== 'server_error' && typeof out.error_description === 'string' ? out.error_description : 'Something went wrong on our side.'
  send(ctx, page('Sign-in problem', `<p>${escapeHtml(description)}</p><p>Error code: <code>${escapeHtml(code)}</code></p>` +
    '<p>Go back to the application and start again.</p>'))
}

export function logoutSource(ctx: KoaContextWithOIDC, form: string): void {
  // `form` carries the xsrf token; the buttons submit it.
  send(ctx, page('Sign out', `${form}<p>Do you want to sign out of Gatehouse?</p>` +
    '<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>' +
    '<button type="submit" form="op.logoutForm">Stay signed in</button>'))
}

export function postLogoutSuccessSource(ctx: KoaContextWithOIDC): void {
  send(ctx, page('Signed out', '<p>You have signed out. You can close this window.</p>'))
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
