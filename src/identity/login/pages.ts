// The sign-in pages Gatehouse renders itself: the local login form, consent for clients that
// are not first-party, and the "start again" page. Self-contained HTML, labelled fields, errors
// announced to screen readers; nothing from the server's internals is ever shown.

import { escapeHtml, page } from '../pages.ts'

export interface LoginFormState {
  uid: string
  /** The client's display name. */
  client: string
  /** Prefilled (login_hint or the previous attempt); never the password. */
  username: string
  error?: string
}

const action = (uid: string, step: string) => `/interaction/${encodeURIComponent(uid)}/${step}`

export function loginPage(state: LoginFormState): string {
  const error = state.error === undefined
    ? ''
    : `<p id="login-error" role="alert"><strong>${escapeHtml(state.error)}</strong></p>`
  const described = state.error === undefined ? '' : ' aria-describedby="login-error" aria-invalid="true"'
  const focusUser = state.username === '' ? ' autofocus' : ''
  const focusPassword = state.username === '' ? '' : ' autofocus'
  return page('Sign in', `<p>to continue to <strong>${escapeHtml(state.client)}</strong></p>${error}` +
    `<form method="post" action="${escapeHtml(action(state.uid, 'login'))}" autocomplete="on">` +
    `<p><label for="username">Username</label><br><input id="username" name="username" type="text" required autocapitalize="none" ` +
    `autocomplete="username" spellcheck="false" value="${escapeHtml(state.username)}"${described}${focusUser}></p>` +
    `<p><label for="password">Password</label><br><input id="password" name="password" type="password" required ` +
    `autocomplete="current-password"${described}${focusPassword}></p>` +
    '<p><button type="submit">Sign in</button></p></form>')
}

export function consentPage(state: { uid: string; client: string; scopes: string[] }): string {
  const items = state.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')
  return page('Allow access?', `<p><strong>${escapeHtml(state.client)}</strong> asks for:</p><ul>${items}</ul>` +
    `<form method="post" action="${escapeHtml(action(state.uid, 'consent'))}">` +
    '<button type="submit" name="decision" value="allow" autofocus>Allow</button>' +
    '<button type="submit" name="decision" value="deny">Deny</button></form>')
}

export function expiredPage(): string {
  return page('Sign-in expired', '<p>This sign-in has expired or was already completed.</p><p>Go back to the application and start again.</p>')
}

export function failurePage(): string {
  return page('Sign-in problem', '<p>Something went wrong on our side.</p><p>Go back to the application and start again.</p>')
}
