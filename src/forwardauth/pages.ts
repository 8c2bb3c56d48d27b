// Pages a visitor of a protected application may see from Gatehouse: access denied (with who is
// signed in and a way to sign in as someone else), a failed sign-in, sign-out and the issuer's
// home. Self-contained HTML; only administrators are told which rule failed.

import { brandFor, escapeHtml, linkButton, page, referenceLine, signedOutPage } from '../identity/index.ts'

export function deniedPage(input: { application: string; user?: string; reason?: string; requestId: string; switchUrl?: string }): string {
  const who = input.user ? `<p>You are signed in as <strong>${escapeHtml(input.user)}</strong>.</p>` : ''
  const why = input.reason ? `<p class="muted">Denied by: <code>${escapeHtml(input.reason)}</code></p>` : ''
  const next = input.switchUrl === undefined
    ? ''
    : `<div class="stack">${linkButton(input.switchUrl, 'Sign in as someone else', true)}${linkButton(new URL('/', input.switchUrl).href, 'Go to the home page')}</div>`
  return page('Access denied', `${who}<p>You do not have access to <strong>${escapeHtml(input.application)}</strong>. ` +
    'If you need it, ask its administrator and quote the reference below.</p>' + why + next + referenceLine(input.requestId),
  { app: { name: input.application } })
}

export function unknownHostPage(host: string): string {
  return page('Unknown application', `<p>${escapeHtml(brandFor().name)} does not protect <strong>${escapeHtml(host)}</strong>. ` +
    'The application is not registered; ask its administrator.</p>', { problem: true })
}

export function misconfiguredPage(reason: string): string {
  return page('Application set up incorrectly', `<p>${escapeHtml(brandFor().name)} cannot sign you in to this application: ${escapeHtml(reason)}.</p>` +
    '<p>Ask its administrator to check the forward-auth settings.</p>', { problem: true })
}

export function signInProblemPage(message: string, reference?: string): string {
  return page('Sign-in problem', `<p>${escapeHtml(message)}</p><div class="stack">${linkButton('/', 'Go to the home page')}</div>${referenceLine(reference)}`, { problem: true })
}

export function logoutPage(action: string, user?: string): string {
  const who = user === undefined ? '' : `<p>You are signed in as <strong>${escapeHtml(user)}</strong>.</p>`
  return page('Sign out', `${who}<form method="post" action="${escapeHtml(action)}"><p>Sign out of every application behind ${escapeHtml(brandFor().name)}?</p>` +
    '<div class="stack"><button type="submit" autofocus>Sign out</button></div></form>')
}

export function loggedOutPage(): string {
  return signedOutPage(linkButton('/', 'Go to the home page', true))
}

export function homePage(input: { user?: string; email?: string; groups?: readonly string[]; signInUrl: string; signOutUrl: string; accountUrl: string; issuer: string }): string {
  if (input.user === undefined) {
    return page('Welcome', `<p>Sign in once for the applications of this platform.</p><div class="stack">${linkButton(input.signInUrl, 'Sign in', true)}</div>` +
      `<p class="foot">Applications find the OpenID Connect configuration at <code>${escapeHtml(input.issuer)}/.well-known/openid-configuration</code>.</p>`)
  }
  const groups = input.groups && input.groups.length > 0 ? `<ul class="chips" aria-label="Groups">${input.groups.map((g) => `<li>${escapeHtml(g)}</li>`).join('')}</ul>` : '<p>No groups.</p>'
  return page('Your account', `<p>Signed in as <strong>${escapeHtml(input.user)}</strong>${input.email ? ` (${escapeHtml(input.email)})` : ''}.</p>` +
    `<h2>Groups</h2>${groups}<div class="stack">${linkButton(input.accountUrl, 'Manage your account', true)}${linkButton(input.signOutUrl, 'Sign out')}</div>`)
}
