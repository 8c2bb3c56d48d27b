// The sign-in pages Gatehouse renders itself: the local login form, consent for clients that
// are not first-party, and the "start again" page. Self-contained HTML, labelled fields, errors
// announced to screen readers; nothing from the server's internals is ever shown.

import { escapeHtml, page } from '../pages.ts'
import { NO_ORGANIZATION } from '../upstream/federation.ts'

export interface LoginFormState {
  uid: string
  /** The client's display name. */
  client: string
  /** Prefilled (login_hint or the previous attempt); never the password. */
  username: string
  error?: string
  /** Upstream identity providers to offer, in configuration order. */
  upstreams?: ReadonlyArray<{ id: string; name: string }>
  /** Prefilled email of the upstream form. */
  email?: string
  /** A problem with the email or provider choice. */
  upstreamError?: string
  /** false: no password form (local login turned off). */
  localLogin?: boolean
}

const action = (uid: string, step: string) => `/interaction/${encodeURIComponent(uid)}/${step}`

/** Email routing to the provider of its domain, and one button per provider. */
function upstreamForm(state: LoginFormState): string {
  const upstreams = state.upstreams ?? []
  if (upstreams.length === 0) return ''
  const error = state.upstreamError === undefined
    ? ''
    : `<p id="email-error" role="alert"><strong>${escapeHtml(state.upstreamError)}</strong></p>`
  const described = state.upstreamError === undefined ? '' : ' aria-describedby="email-error" aria-invalid="true"'
  const buttons = upstreams.map((u) => `<button type="submit" name="provider" value="${escapeHtml(u.id)}" formnovalidate>Sign in with ${escapeHtml(u.name)}</button>`).join('')
  return `${error}<form method="post" action="${escapeHtml(action(state.uid, 'upstream'))}">` +
    `<p><label for="email">Work email</label><br><input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" ` +
    `spellcheck="false" value="${escapeHtml(state.email ?? '')}"${described} autofocus></p>` +
    `<p><button type="submit">Continue</button></p><p>Or choose your identity provider:</p><p>${buttons}</p></form>`
}

/** Ends the sign-in; the application is told the user declined (access_denied). */
const cancelForm = (uid: string) =>
  `<form method="post" action="${escapeHtml(action(uid, 'login'))}"><p><button type="submit" name="cancel" value="yes" class="secondary" formnovalidate>Cancel</button></p></form>`

export function loginPage(state: LoginFormState): string {
  const upstream = upstreamForm(state)
  const error = state.error === undefined
    ? ''
    : `<p id="login-error" role="alert"><strong>${escapeHtml(state.error)}</strong></p>`
  if (state.localLogin === false) {
    return page('Sign in', `<p>to continue to <strong>${escapeHtml(state.client)}</strong></p>${error}${upstream}${cancelForm(state.uid)}`)
  }
  const described = state.error === undefined ? '' : ' aria-describedby="login-error" aria-invalid="true"'
  const focusUser = upstream === '' && state.username === '' ? ' autofocus' : ''
  const focusPassword = upstream === '' && state.username !== '' ? ' autofocus' : ''
  const localHeading = upstream === '' ? '' : '<h2>Local account</h2>'
  return page('Sign in', `<p>to continue to <strong>${escapeHtml(state.client)}</strong></p>${upstream}${localHeading}${error}` +
    `<form method="post" action="${escapeHtml(action(state.uid, 'login'))}" autocomplete="on">` +
    `<p><label for="username">Username</label><br><input id="username" name="username" type="text" required autocapitalize="none" ` +
    `autocomplete="username" spellcheck="false" value="${escapeHtml(state.username)}"${described}${focusUser}></p>` +
    `<p><label for="password">Password</label><br><input id="password" name="password" type="password" required ` +
    `autocomplete="current-password"${described}${focusPassword}></p>` +
    `<p><button type="submit">Sign in</button></p></form>${cancelForm(state.uid)}`)
}

/** What each standard scope lets the application see, in words a person can judge. */
const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are when you sign in',
  profile: 'Your name and username',
  email: 'Your email address',
  groups: 'The groups you belong to',
  offline_access: 'Stay connected when you are not using it',
}

export function consentPage(state: { uid: string; client: string; scopes: string[] }): string {
  const items = state.scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] ?? 'Access to')} <code>${escapeHtml(s)}</code></li>`).join('')
  return page('Allow access?', `<p><strong>${escapeHtml(state.client)}</strong> asks for:</p><ul>${items}</ul>` +
    `<form method="post" action="${escapeHtml(action(state.uid, 'consent'))}">` +
    '<button type="submit" name="decision" value="allow" autofocus>Allow</button>' +
    '<button type="submit" name="decision" value="deny">Deny</button></form>')
}

export function expiredPage(): string {
  return page('Sign-in expired', '<p>This sign-in has expired or was already completed.</p><p>Go back to the application and start again.</p>')
}

/** An upstream sign-in that ended without a login (refused, expired, replayed). */
export function upstreamProblemPage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`)
}

/** A right password (or upstream sign-in) from someone who belongs to no organization here. */
export function noOrganizationPage(): string {
  return upstreamProblemPage(NO_ORGANIZATION.title, NO_ORGANIZATION.message)
}

export function failurePage(): string {
  return page('Sign-in problem', '<p>Something went wrong on our side.</p><p>Go back to the application and start again.</p>')
}
