// Pages of the second step of sign-in and of enrolment: the factor prompt, adding an
// authenticator app (QR code, the otpauth URI and the secret as text) or a passkey, and the
// recovery codes shown once. Built on the shared page helpers; only the passkey pages load a
// script, the static one named in their Content-Security-Policy.

import { PAGE_CSP, pageHeaders } from '../../lib/index.ts'
import { escapeHtml, page } from '../pages.ts'
import type { TotpEnrolment } from './service.ts'
import { WEBAUTHN_SCRIPT_PATH } from './webauthn-script.ts'

/**
 * The shared page headers with the passkey script allowed by its exact URL (a path-restricted
 * source, so no other script on the origin may run). `referrer`: as the page's form needs.
 */
export function passkeyPageHeaders(issuer: string, options: Parameters<typeof pageHeaders>[0] = {}): Record<string, string> {
  const csp = PAGE_CSP.replace('script-src;', `script-src ${new URL(WEBAUTHN_SCRIPT_PATH, issuer).href};`)
  return { ...pageHeaders(options), 'content-security-policy': csp }
}

const scriptTag = `<script src="${WEBAUTHN_SCRIPT_PATH}" defer></script>`

const errorBlock = (id: string, message: string | undefined) =>
  message === undefined ? '' : `<p id="${id}" role="alert"><strong>${escapeHtml(message)}</strong></p>`

const hidden = (fields: Record<string, string>) =>
  Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('')

/** A form that runs the passkey ceremony in `options` and posts the answer with `fields`. */
function passkeyForm(action: string, mode: 'create' | 'get', options: unknown, fields: Record<string, string>, button: string, extra = ''): string {
  return `<form method="post" action="${escapeHtml(action)}" data-webauthn="${mode}" data-options="${escapeHtml(JSON.stringify(options))}">` +
    `${hidden(fields)}<input type="hidden" name="credential" value="">${extra}` +
    // Enabled by the script once it listens: without it (or before it ran) the button does nothing.
    `<p><button type="button" data-webauthn-start disabled>${escapeHtml(button)}</button></p><p data-webauthn-status role="status"></p></form>`
}

export interface ChallengeState {
  action: string
  /** Extra hidden fields of every form (the step). */
  fields: Record<string, string>
  error?: string
  /** Assertion options when the account has a passkey. */
  passkey?: { options: unknown; challenge: string }
  /** Whether a code field is offered (an app or recovery codes). */
  codes: boolean
}

/** The second step of sign-in: a code, a recovery code, or a passkey. */
export function challengePage(state: ChallengeState): string {
  const described = state.error === undefined ? '' : ' aria-describedby="mfa-error" aria-invalid="true"'
  const passkey = state.passkey === undefined
    ? ''
    : '<h2>Passkey</h2>' + passkeyForm(state.action, 'get', state.passkey.options, { ...state.fields, challenge: state.passkey.challenge }, 'Use a passkey')
  const code = !state.codes
    ? ''
    : `<h2>Code</h2><form method="post" action="${escapeHtml(state.action)}">${hidden(state.fields)}` +
      '<p><label for="code">Code from your authenticator app, or a recovery code</label><br>' +
      `<input id="code" name="code" type="text" required autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="32"${described} autofocus></p>` +
      '<p><button type="submit">Verify</button></p></form>'
  return page('Two-step sign-in', `<p>Confirm it is you with your second factor.</p>${errorBlock('mfa-error', state.error)}${passkey}${code}` +
    (state.passkey === undefined ? '' : scriptTag))
}

export interface EnrolState {
  /** Where the TOTP confirmation and the passkey answer are posted. */
  totpAction: string
  passkeyAction: string
  fields: Record<string, string>
  totp: TotpEnrolment
  passkey: { ref: string; options: unknown }
  error?: string
  /** Shown above the choices (why enrolment is asked for). */
  intro: string
  title?: string
}

/** Adding a factor: an authenticator app (after one right code) or a passkey. */
export function enrolPage(state: EnrolState): string {
  const described = state.error === undefined ? '' : ' aria-describedby="enrol-error" aria-invalid="true"'
  const app = '<h2>Authenticator app</h2>' +
    '<p>Scan this code with an authenticator app, or enter the key by hand, then type the six-digit code it shows.</p>' +
    `<figure>${state.totp.qrSvg}<figcaption>QR code of the setup link</figcaption></figure>` +
    `<p>Key: <code>${escapeHtml(state.totp.secret.match(/.{1,4}/g)!.join(' '))}</code></p>` +
    `<p>Setup link: <code>${escapeHtml(state.totp.uri)}</code></p>` +
    `<form method="post" action="${escapeHtml(state.totpAction)}">${hidden({ ...state.fields, ref: state.totp.ref })}` +
    '<p><label for="label">Name (optional)</label><br><input id="label" name="label" type="text" maxlength="64" placeholder="Authenticator app"></p>' +
    '<p><label for="code">Six-digit code</label><br>' +
    `<input id="code" name="code" type="text" inputmode="numeric" required autocomplete="one-time-code" maxlength="9"${described}></p>` +
    '<p><button type="submit">Add authenticator app</button></p></form>'
  const passkey = '<h2>Passkey</h2><p>Use this device\'s screen lock or a security key.</p>' +
    passkeyForm(state.passkeyAction, 'create', state.passkey.options, { ...state.fields, ref: state.passkey.ref }, 'Add a passkey',
      '<p><label for="passkey-label">Name (optional)</label><br><input id="passkey-label" name="label" type="text" maxlength="64" placeholder="Passkey"></p>')
  return page(state.title ?? 'Set up two-step sign-in', `<p>${escapeHtml(state.intro)}</p>${errorBlock('enrol-error', state.error)}${app}${passkey}${scriptTag}`)
}

/** The recovery codes, shown once, then a way on. */
export function recoveryCodesPage(input: { codes: string[]; next: string; action?: string; fields?: Record<string, string>; label?: string }): string {
  const list = input.codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')
  const on = input.action === undefined
    ? `<p><a href="${escapeHtml(input.next)}">${escapeHtml(input.label ?? 'Continue')}</a></p>`
    : `<form method="post" action="${escapeHtml(input.action)}">${hidden(input.fields ?? {})}<p><button type="submit" autofocus>${escapeHtml(input.label ?? 'Continue')}</button></p></form>`
  return page('Recovery codes', '<p>Keep these codes somewhere safe, apart from your devices. Each signs you in once when your ' +
    'authenticator app or passkey is not at hand. They are shown only now.</p>' +
    `<ol>${list}</ol>${on}`)
}
