// Pages a visitor of a protected application may see from Gatehouse: access denied, a failed
// sign-in, sign-out. Self-contained HTML; only administrators are told which rule failed.

import { escapeHtml, page } from '../identity/index.ts'

export function deniedPage(input: { application: string; user?: string; reason?: string; requestId: string }): string {
  const who = input.user ? `<p>You are signed in as <strong>${escapeHtml(input.user)}</strong>.</p>` : ''
  const why = input.reason ? `<p>Denied by: <code>${escapeHtml(input.reason)}</code></p>` : ''
  return page('Access denied', `${who}<p>You do not have access to <strong>${escapeHtml(input.application)}</strong>. ` +
    'Ask its administrator for access, quoting the reference below.</p>' + why +
    `<p>Reference: <code>${escapeHtml(input.requestId)}</code></p>`)
}

export function unknownHostPage(host: string): string {
  return page('Unknown application', `<p>Gatehouse does not protect <strong>${escapeHtml(host)}</strong>. ` +
    'The application is not registered; ask its administrator.</p>')
}

export function misconfiguredPage(reason: string): string {
  return page('Application set up incorrectly', `<p>Gatehouse cannot sign you in to this application: ${escapeHtml(reason)}.</p>` +
    '<p>Ask its administrator to check the forward-auth settings.</p>')
}

export function signInProblemPage(message: string): string {
  return page('Sign-in problem', `<p>${escapeHtml(message)}</p>`)
}

export function logoutPage(action: string): string {
  return page('Sign out', `<form method="post" action="${escapeHtml(action)}"><p>Sign out of every application behind Gatehouse?</p>` +
    '<button type="submit" autofocus>Sign out</button></form>')
}

export function loggedOutPage(): string {
  return page('Signed out', '<p>You are signed out. You can close this window.</p>')
}

export function homePage(input: { user?: string; email?: string; groups?: readonly string[]; signInUrl: string; signOutUrl: string; issuer: string }): string {
  if (input.user === undefined) {
    return page('Welcome', `<p>Identity and access for this platform.</p><p><a href="${escapeHtml(input.signInUrl)}">Sign in</a></p>` +
      `<p>Applications find the OpenID Connect configuration at <code>${escapeHtml(input.issuer)}/.well-known/openid-configuration</code>.</p>`)
  }
  const groups = input.groups && input.groups.length > 0 ? input.groups.map(escapeHtml).join(', ') : 'none'
  return page('Your account', `<p>Signed in as <strong>${escapeHtml(input.user)}</strong>${input.email ? ` (${escapeHtml(input.email)})` : ''}.</p>` +
    `<p>Groups: ${groups}</p><p><a href="${escapeHtml(input.signOutUrl)}">Sign out</a></p>`)
}
