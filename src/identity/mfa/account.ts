// The account page of a signed-in local account: its second factors (kind, name, when added and
// last used), adding an authenticator app or a passkey, and removing one or replacing the
// recovery codes — both only with the password again, so a session left open somewhere is not
// enough to weaken the account. The caller has already established who is signed in.

import { AppError } from '../../lib/index.ts'
import { LocalAccountErrorCodes, type LocalAccounts } from '../local-accounts.ts'
import { escapeHtml, page } from '../pages.ts'
import { overviewHtml, type AccountOverview } from '../account-overview.ts'
import { enrolPage, passkeyPageHeaders, recoveryCodesPage } from './pages.ts'
import { MfaErrorCodes, type Enrolled, type FactorView, type MfaService } from './service.ts'

export const ACCOUNT_PATH = '/account'
const ADD_PATH = `${ACCOUNT_PATH}/mfa/add`
export const ACCOUNT_ACTIONS = {
  totp: `${ACCOUNT_PATH}/mfa/totp`,
  passkey: `${ACCOUNT_PATH}/mfa/passkey`,
  remove: `${ACCOUNT_PATH}/mfa/remove`,
  recoveryCodes: `${ACCOUNT_PATH}/mfa/recovery-codes`,
} as const

export interface AccountPage { status: number; html: string; headers: Record<string, string> }

export interface AccountPages {
  /**
   * `username` undefined: a federated user, whose factors are their identity provider's business.
   * `overview`: the profile, organizations and sessions shown above the factors.
   */
  show(username: string | undefined, overview: AccountOverview, notice?: string): Promise<AccountPage>
  add(username: string): Promise<AccountPage>
  /** POST of one of ACCOUNT_ACTIONS; `address` is the client's, for throttling the password. */
  post(username: string, action: keyof typeof ACCOUNT_ACTIONS, form: Record<string, unknown>, address: string | undefined, overview: AccountOverview): Promise<AccountPage>
}

export interface AccountPagesOptions {
  mfa: MfaService
  localAccounts: Pick<LocalAccounts, 'verify'>
  issuer: string
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const KIND_NAMES = { totp: 'Authenticator app', webauthn: 'Passkey' } as const
const when = (d: Date | null) => (d === null ? 'never' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`)

function factorRow(f: FactorView): string {
  return `<tr><td>${escapeHtml(f.label)}</td><td>${KIND_NAMES[f.kind]}</td><td>${when(f.createdAt)}</td><td>${when(f.lastUsedAt)}</td>` +
    `<td><form method="post" action="${ACCOUNT_ACTIONS.remove}"><input type="hidden" name="id" value="${escapeHtml(f.id)}">` +
    `<div class="field"><label for="password-${escapeHtml(f.id)}">Password</label><input id="password-${escapeHtml(f.id)}" name="password" type="password" required autocomplete="current-password"></div>` +
    `<button type="submit" class="secondary danger">Remove ${escapeHtml(f.label)}</button></form></td></tr>`
}

function accountHtml(username: string, overview: AccountOverview, factors: FactorView[], codesLeft: number, notice?: string, error?: string): string {
  const alert = error === undefined ? '' : `<p role="alert">${escapeHtml(error)}</p>`
  const told = notice === undefined ? '' : `<p role="status">${escapeHtml(notice)}</p>`
  const list = factors.length === 0
    ? '<p>No second factor: your password alone signs you in.</p>'
    : '<div class="table"><table aria-label="Second factors"><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Remove</th></tr></thead>' +
      `<tbody>${factors.map(factorRow).join('')}</tbody></table></div>`
  const codes = factors.length === 0
    ? ''
    : `<h2>Recovery codes</h2><p>${codesLeft} of 10 left.</p><form method="post" action="${ACCOUNT_ACTIONS.recoveryCodes}">` +
      '<div class="field"><label for="codes-password">Password</label><input id="codes-password" name="password" type="password" required autocomplete="current-password"></div>' +
      '<div class="stack"><button type="submit" class="secondary">Make new recovery codes</button></div></form>'
  return accountFrame(username, overview, `${alert}${told}`,
    `<h2>Two-step sign-in</h2>${list}<div class="stack"><a class="button secondary" href="${ADD_PATH}">Add an authenticator app or passkey</a></div>${codes}`)
}

/** The account page: notices first, then the overview, then the second factors. */
function accountFrame(user: string, overview: AccountOverview, notices: string, factors: string): string {
  return page('Your account', `${notices}${overviewHtml(overview)}${factors}`,
    { wide: true, lede: `Signed in as ${user}` })
}

export function createAccountPages(options: AccountPagesOptions): AccountPages {
  const { mfa } = options
  const headers = passkeyPageHeaders(options.issuer, { referrer: 'same-origin' })
  const answer = (status: number, html: string, extra: Record<string, string> = {}): AccountPage => ({ status, html, headers: { ...headers, ...extra } })

  async function show(username: string, overview: AccountOverview, status = 200, notice?: string, error?: string, extra?: Record<string, string>): Promise<AccountPage> {
    const [factors, codesLeft] = await Promise.all([mfa.factors(username), mfa.recoveryCodesLeft(username)])
    return answer(status, accountHtml(username, overview, factors, codesLeft, notice, error), extra)
  }

  async function enrol(username: string, status = 200, error?: string, totpRef?: string): Promise<AccountPage> {
    const totp = totpRef === undefined ? await mfa.beginTotp(username) : await mfa.pendingTotp(username, totpRef).catch(() => mfa.beginTotp(username))
    return answer(status, enrolPage({
      title: 'Add a second factor', totpAction: ACCOUNT_ACTIONS.totp, passkeyAction: ACCOUNT_ACTIONS.passkey, fields: {},
      totp, passkey: await mfa.beginPasskey(username), error,
      intro: 'After your password, sign-in will ask for this factor (or another one you added).',
    }))
  }

  const added = (result: Enrolled) => result.recoveryCodes === undefined
    ? null
    : answer(200, recoveryCodesPage({ codes: result.recoveryCodes, next: ACCOUNT_PATH, label: 'Back to your account' }))

  /** Signs the password in again; undefined when right, else the page saying why not. */
  async function reauthenticate(username: string, overview: AccountOverview, form: Record<string, unknown>, address: string | undefined): Promise<AccountPage | undefined> {
    try {
      await options.localAccounts.verify(username, str(form.password), { address })
      return undefined
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      if (err.code === LocalAccountErrorCodes.rateLimited) {
        const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
        return show(username, overview, 429, undefined, 'Too many attempts. Wait a while, then try again.', retry === undefined ? {} : { 'retry-after': String(retry) })
      }
      if (err.code === LocalAccountErrorCodes.invalidCredentials) return show(username, overview, 401, undefined, 'Wrong password: nothing was changed.')
      if (err.status < 500) return show(username, overview, err.status, undefined, err.message)
      throw err
    }
  }

  return {
    async show(username, overview, notice) {
      if (username === undefined) {
        const told = notice === undefined ? '' : `<p role="status">${escapeHtml(notice)}</p>`
        return answer(200, accountFrame(overview.email ?? overview.username ?? overview.subject, overview, told,
          '<h2>Two-step sign-in</h2><p>You sign in through your organization\'s identity provider: set up two-step sign-in there.</p>'))
      }
      return show(username, overview, 200, notice)
    },

    add: (username) => enrol(username),

    async post(username, action, form, address, overview) {
      try {
        switch (action) {
          case 'totp':
            return added(await mfa.confirmTotp(username, str(form.ref), form.code, form.label)) ?? await show(username, overview, 200, 'Authenticator app added.')
          case 'passkey':
            return added(await mfa.finishPasskey(username, str(form.ref), form.credential, form.label)) ?? await show(username, overview, 200, 'Passkey added.')
          case 'remove': {
            const refused = await reauthenticate(username, overview, form, address)
            if (refused) return refused
            await mfa.remove(username, str(form.id))
            return await show(username, overview, 200, 'Removed.')
          }
          case 'recoveryCodes': {
            const refused = await reauthenticate(username, overview, form, address)
            if (refused) return refused
            return answer(200, recoveryCodesPage({ codes: await mfa.regenerateRecoveryCodes(username), next: ACCOUNT_PATH, label: 'Back to your account' }))
          }
        }
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err
        if ((action === 'totp' || action === 'passkey') && err.code !== MfaErrorCodes.enrolmentExpired) {
          const again = action === 'totp' && err.code === MfaErrorCodes.invalidFactor ? str(form.ref) : undefined
          const message = again === undefined ? err.message : 'That code was not right. Check the time on your device, then try the next code.'
          return enrol(username, err.status === 401 ? 400 : err.status, message, again)
        }
        return show(username, overview, err.status, undefined, err.message)
      }
      return show(username, overview, 404)
    },
  }
}
