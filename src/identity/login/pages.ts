// The sign-in pages Gatehouse renders itself: the sign-in page (email first, routed to the
// identity provider of its domain; one button per provider; the local account form), consent
// for clients that are not first-party, and the pages that end a sign-in that cannot go on.
// Labelled fields, errors announced to screen readers and tied to their field; nothing from the
// server's internals is ever shown, and every problem page offers a next step and a reference.

import type { Brand } from '../branding.ts'
import { escapeHtml, linkButton, page, referenceLine } from '../pages.ts'
import { NO_ORGANIZATION } from '../upstream/federation.ts'

/** The application a sign-in is for. */
export interface AppInfo {
  name: string
  logoUrl?: string
  /** Its home page, for "back to the application" links. */
  homeUrl?: string
}

export interface LoginFormState {
  uid: string
  client: AppInfo
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
  /** The organization's brand when the sign-in is for one (its `organization` parameter). */
  brand?: Brand
}

const action = (uid: string, step: string) => `/interaction/${encodeURIComponent(uid)}/${step}`

const alert = (id: string, message: string | undefined) =>
  message === undefined ? '' : `<p id="${id}" role="alert">${escapeHtml(message)}</p>`

const invalid = (id: string, message: string | undefined) =>
  message === undefined ? '' : ` aria-describedby="${id}" aria-invalid="true"`

/** Email first (routed to the provider of its domain), then one button per provider. */
function upstreamForm(state: LoginFormState, focus: boolean): string {
  const upstreams = state.upstreams ?? []
  if (upstreams.length === 0) return ''
  const buttons = upstreams.map((u) =>
    `<button type="submit" class="secondary provider" name="provider" value="${escapeHtml(u.id)}" formnovalidate>` +
    `<span class="mark" aria-hidden="true">${escapeHtml((u.name.trim()[0] ?? '?').toUpperCase())}</span>Sign in with ${escapeHtml(u.name)}</button>`).join('')
  return `<form method="post" action="${escapeHtml(action(state.uid, 'upstream'))}">${alert('email-error', state.upstreamError)}` +
    `<div class="field"><label for="email">Work email</label><input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" ` +
    `spellcheck="false" value="${escapeHtml(state.email ?? '')}"${invalid('email-error', state.upstreamError)}${focus ? ' autofocus' : ''}></div>` +
    '<div class="stack"><button type="submit">Continue</button></div>' +
    `<p class="divider">or</p><div class="stack">${buttons}</div></form>`
}

/** Ends the sign-in; the application is told the user declined (access_denied). */
const cancelForm = (uid: string, client: AppInfo) =>
  `<form method="post" action="${escapeHtml(action(uid, 'login'))}" class="foot">` +
  `<button type="submit" name="cancel" value="yes" class="secondary link" formnovalidate>Cancel and go back to ${escapeHtml(client.name)}</button></form>`

export function loginPage(state: LoginFormState): string {
  // The focus goes where the next thing to type is: the field of the error, else the first field.
  const localError = state.error !== undefined && state.localLogin !== false
  const upstream = upstreamForm(state, !localError)
  const options = { app: state.client, brand: state.brand, lede: upstream === '' ? 'Sign in with your account to continue.' : 'Sign in with your work account to continue.' }
  const title = `Sign in to ${state.client.name}`
  if (state.localLogin === false) {
    return page(title, `${alert('login-error', state.error)}${upstream}${cancelForm(state.uid, state.client)}`, options)
  }
  const focusUser = (upstream === '' || localError) && state.username === '' ? ' autofocus' : ''
  const focusPassword = (upstream === '' || localError) && state.username !== '' ? ' autofocus' : ''
  // Beside the providers, the local account is the lesser path: a secondary button.
  const local = upstream === '' ? '' : '<p class="divider">or use a local account</p>'
  return page(title, `${upstream}${local}${alert('login-error', state.error)}` +
    `<form method="post" action="${escapeHtml(action(state.uid, 'login'))}" autocomplete="on">` +
    `<div class="field"><label for="username">Username</label><input id="username" name="username" type="text" required autocapitalize="none" ` +
    `autocomplete="username" spellcheck="false" value="${escapeHtml(state.username)}"${invalid('login-error', state.error)}${focusUser}></div>` +
    `<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" required ` +
    `autocomplete="current-password"${invalid('login-error', state.error)}${focusPassword}></div>` +
    `<div class="stack"><button type="submit"${upstream === '' ? '' : ' class="secondary"'}>Sign in</button></div></form>${cancelForm(state.uid, state.client)}`, options)
}

/** What each standard scope lets the application see, in words a person can judge. */
const SCOPE_TEXT: Record<string, { title: string; detail: string }> = {
  openid: { title: 'Who you are', detail: 'A stable identifier for your account, and when and how you signed in' },
  profile: { title: 'Your name and username', detail: 'As your account or your organization\'s identity provider has them' },
  email: { title: 'Your email address', detail: 'And whether it has been verified' },
  groups: { title: 'The groups you belong to', detail: 'Including your organizations\' groups' },
  offline_access: { title: 'Stay connected', detail: 'Keep access while you are not using it, until you sign out of it or it is revoked' },
}

/** One requested scope: a standard one, or an API's with its registered description. */
export interface ScopeRequest {
  scope: string
  /** The API that defines it (resource scopes). */
  api?: string
  description?: string
}

function scopeItem(s: ScopeRequest): string {
  const known = s.api === undefined ? SCOPE_TEXT[s.scope] : undefined
  const title = known?.title ?? s.description ?? (s.api === undefined ? `Access: ${s.scope}` : `${s.scope} on ${s.api}`)
  const detail = known?.detail ?? (s.api === undefined ? undefined : `On ${s.api}`)
  return `<li><strong>${escapeHtml(title)}</strong><small>${detail === undefined ? '' : `${escapeHtml(detail)} · `}<code>${escapeHtml(s.scope)}</code></small></li>`
}

export function consentPage(state: { uid: string; client: AppInfo; scopes: ScopeRequest[]; user?: string; brand?: Brand }): string {
  const who = state.user === undefined ? '' : `<p class="muted">Signed in as <strong>${escapeHtml(state.user)}</strong>.</p>`
  return page('Allow access?', `<p><strong>${escapeHtml(state.client.name)}</strong> would like to:</p>` +
    `<ul class="scopes">${state.scopes.map(scopeItem).join('')}</ul>${who}` +
    `<form method="post" action="${escapeHtml(action(state.uid, 'consent'))}"><div class="row">` +
    '<button type="submit" name="decision" value="deny" class="secondary">Deny</button>' +
    '<button type="submit" name="decision" value="allow" autofocus>Allow</button></div></form>' +
    '<p class="foot">You can take this back later by signing out of the application.</p>', { app: state.client, brand: state.brand })
}

const startAgain = (home: string | undefined, label = 'Go back to the application and start again.') =>
  `<p>${escapeHtml(label)}</p><div class="stack">${home === undefined ? linkButton('/', 'Go to the home page') : linkButton(home, 'Back to the application', true)}</div>`

export function expiredPage(reference?: string, home?: string): string {
  return page('Sign-in expired', '<p>This sign-in has expired or was already completed.</p>' + startAgain(home) + referenceLine(reference), { problem: true })
}

/**
 * An upstream sign-in that ended without a login (refused, expired, replayed). `retry`: the
 * sign-in page of the same request, where another provider can be chosen.
 */
export function upstreamProblemPage(title: string, message: string, reference?: string, retry?: string): string {
  const next = retry === undefined
    ? startAgain(undefined)
    : `<p>Try again, or choose another way to sign in.</p><div class="stack">${linkButton(retry, 'Choose another way to sign in', true)}</div>`
  return page(title, `<p>${escapeHtml(message)}</p>${next}${referenceLine(reference)}`, { problem: true })
}

/** A right password (or upstream sign-in) from someone who belongs to no organization here. */
export function noOrganizationPage(reference?: string): string {
  return page(NO_ORGANIZATION.title, `<p>${escapeHtml(NO_ORGANIZATION.message)}</p>` +
    '<p>Ask an administrator to add you to an organization, then sign in again.</p>' + referenceLine(reference), { problem: true })
}

export function failurePage(reference?: string): string {
  return page('Something went wrong', '<p>Something went wrong on our side, and the sign-in could not go on.</p>' +
    startAgain(undefined, 'Go back to the application and try again. If it keeps happening, tell its administrator and quote the reference below.') + referenceLine(reference), { problem: true })
}
