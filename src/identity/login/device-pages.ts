// The pages of the device authorization grant (RFC 8628) in the style of the sign-in pages: the
// user-code form, the confirmation that names the client and shows the code to compare with the
// device, the success page, and the refusal when an address entered too many codes.

import { escapeHtml, page } from '../pages.ts'

/** Why the code form is shown again; oidc-provider's re-render error names. */
export type UserCodeProblem = 'NoCodeError' | 'NotFoundError' | 'ExpiredError' | 'AlreadyUsedError' | 'AbortedError' | 'other'

const PROBLEMS: Record<UserCodeProblem, string> = {
  NoCodeError: 'Enter the code shown on your device.',
  NotFoundError: 'That code is not valid. Check it and try again.',
  ExpiredError: 'That code has expired. Start again on your device to get a new one.',
  AlreadyUsedError: 'That code was already used. Start again on your device to get a new one.',
  AbortedError: 'The sign-in was cancelled. Start again on your device if you want to connect it.',
  other: 'Something went wrong. Start again on your device.',
}

export function userCodePage(state: { action: string; xsrf: string; code?: string; problem?: UserCodeProblem }): string {
  const error = state.problem === undefined ? '' : `<p id="code-error" role="alert">${escapeHtml(PROBLEMS[state.problem])}</p>`
  const described = state.problem === undefined ? '' : ' aria-describedby="code-error" aria-invalid="true"'
  return page('Connect a device', error +
    `<form method="post" action="${escapeHtml(state.action)}">` +
    `<input type="hidden" name="xsrf" value="${escapeHtml(state.xsrf)}">` +
    `<div class="field"><label for="user_code">Code shown on your device</label><input id="user_code" name="user_code" type="text" required autocomplete="off" ` +
    `autocapitalize="characters" spellcheck="false" maxlength="32" class="code-input" placeholder="XXXX-XXXX" value="${escapeHtml(state.code ?? '')}"${described} autofocus></div>` +
    '<div class="stack"><button type="submit">Continue</button></div></form>', { lede: 'Sign in a TV, a command line or another device.' })
}

/** `form` is oidc-provider's hidden form (xsrf, code, confirm); both buttons submit it. */
export function confirmDevicePage(state: { form: string; client: string; userCode: string; logoUrl?: string }): string {
  return page('Connect a device?', `${state.form}<p><strong>${escapeHtml(state.client)}</strong> asks to sign in as you on a device.</p>` +
    `<p>Continue only if you started this yourself and your device shows this code:</p><p><code class="code">${escapeHtml(state.userCode)}</code></p>` +
    '<div class="row"><button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Cancel</button>' +
    '<button type="submit" form="op.deviceConfirmForm" autofocus>Continue</button></div>', { app: { name: state.client, logoUrl: state.logoUrl } })
}

export function deviceSuccessPage(client: string): string {
  return page('Device connected', `<p><strong>${escapeHtml(client)}</strong> is signed in.</p><p>You can close this window and go back to your device.</p>`,
    { done: true })
}

export function tooManyCodesPage(): string {
  return page('Too many attempts', '<p>Too many codes were entered from your network. Wait a few minutes, then try again.</p>', { problem: true })
}
