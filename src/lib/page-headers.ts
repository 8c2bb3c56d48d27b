// The one header policy of every HTML page Gatehouse serves (sign-in, consent, device, sign-out,
// errors, form_post, the portal's pages): no framing, no scripts but hash-pinned ones, no
// sniffing, no referrer, never cached.

/**
 * `script-src` is present but empty: no script runs unless its hash is added. oidc-provider adds
 * the hash of the auto-submit script it writes (form_post, a device `verification_uri_complete`
 * link) to the directive it finds. Styles are the pages' own inline block. Images: the brand's
 * and applications' logos, from this server or over https. No `form-action`:
 * Chromium applies it to every redirect after a form post, and a sign-in ends at a relying party
 * on any origin; every form posts to its own page's origin.
 */
export const PAGE_CSP = "default-src 'none'; script-src; style-src 'unsafe-inline'; img-src 'self' https:; base-uri 'none'; frame-ancestors 'none'"

export interface PageHeaderOptions {
  /**
   * `same-origin` for a page whose form the server checks by its Origin header: with
   * `no-referrer` a browser sends `Origin: null` on a form POST (Fetch, "append a request Origin header").
   */
  referrer?: 'no-referrer' | 'same-origin'
}

export function pageHeaders(options: PageHeaderOptions = {}): Record<string, string> {
  return {
    'cache-control': 'no-store',
    'content-security-policy': PAGE_CSP,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': options.referrer ?? 'no-referrer',
  }
}

/** The headers every page carries; `content-type` is the sender's. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = pageHeaders()
