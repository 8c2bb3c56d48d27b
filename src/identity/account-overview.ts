// The top of the account page: who is signed in (profile), the identity provider account it is
// linked to, its organizations and their groups, and its active sessions with "sign out
// everywhere". Pure HTML from what the caller looked up; the second factors follow (mfa/account.ts).

import { escapeHtml } from './pages.ts'

export const SIGN_OUT_EVERYWHERE_PATH = '/account/sessions/end'

export interface AccountOverview {
  subject: string
  username?: string
  name?: string
  email?: string
  /** The upstream account a federated user signed in with. */
  upstream?: { provider: string; issuer: string; sub: string }
  organizations: ReadonlyArray<{ name: string; groups: readonly string[] }>
  /** Groups outside any organization (the identity provider's, or a local account's). */
  groups: readonly string[]
  sessions: ReadonlyArray<{ createdAt: number; lastSeenAt: number; userAgent?: string; current: boolean }>
}

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** "Chrome on Linux" from a User-Agent header; the header itself when it names nothing known. */
export function describeBrowser(userAgent: string | undefined): string {
  if (userAgent === undefined || userAgent === '') return 'Unknown browser'
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome'
    : /Safari\//.test(userAgent) ? 'Safari' : /curl\//.test(userAgent) ? 'curl' : undefined
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows'
    : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : undefined
  if (browser === undefined) return userAgent.slice(0, 60)
  return os === undefined ? browser : `${browser} on ${os}`
}

const row = (label: string, value: string | undefined) => (value === undefined || value === '' ? '' : `<dt>${label}</dt><dd>${value}</dd>`)
const chips = (label: string, items: readonly string[]) => items.length === 0
  ? '<span class="muted">none</span>'
  : `<ul class="chips" aria-label="${escapeHtml(label)}">${items.map((g) => `<li>${escapeHtml(g)}</li>`).join('')}</ul>`

export function overviewHtml(o: AccountOverview): string {
  const profile = '<h2>Profile</h2><dl>' +
    row('Name', o.name && escapeHtml(o.name)) + row('Username', o.username && escapeHtml(o.username)) +
    row('Email', o.email && escapeHtml(o.email)) + row('Account id', `<code>${escapeHtml(o.subject)}</code>`) + '</dl>'
  const linked = o.upstream === undefined
    ? '<h2>Sign-in method</h2><p>A local account of this server, with its own password.</p>'
    : `<h2>Linked identity provider</h2><dl>${row('Provider', escapeHtml(o.upstream.provider))}` +
      `${row('Issuer', `<code>${escapeHtml(o.upstream.issuer)}</code>`)}${row('Subject', `<code>${escapeHtml(o.upstream.sub)}</code>`)}</dl>`
  const orgs = o.organizations.length === 0
    ? '<p>You are not a member of any organization.</p>'
    : `<div class="table"><table aria-label="Organizations"><thead><tr><th scope="col">Organization</th><th scope="col">Your groups</th></tr></thead><tbody>` +
      o.organizations.map((org) => `<tr><td>${escapeHtml(org.name)}</td><td>${chips(`Groups in ${org.name}`, org.groups)}</td></tr>`).join('') +
      '</tbody></table></div>'
  const groups = o.groups.length === 0 ? '' : `<p>Other groups:</p>${chips('Other groups', o.groups)}`
  const sessions = o.sessions.length === 0
    ? '<p>No active sessions.</p>'
    : '<div class="table"><table aria-label="Active sessions"><thead><tr><th scope="col">Browser</th><th scope="col">Signed in</th><th scope="col">Last active</th></tr></thead><tbody>' +
      o.sessions.map((s) => `<tr><td>${escapeHtml(describeBrowser(s.userAgent))}${s.current ? ' <strong>(this browser)</strong>' : ''}</td>` +
        `<td>${when(s.createdAt)}</td><td>${when(s.lastSeenAt)}</td></tr>`).join('') + '</tbody></table></div>'
  return profile + linked + `<h2>Organizations</h2>${orgs}${groups}` +
    `<h2>Active sessions</h2>${sessions}<form method="post" action="${SIGN_OUT_EVERYWHERE_PATH}">` +
    '<div class="stack"><button type="submit" class="secondary danger">Sign out everywhere</button></div></form>'
}
