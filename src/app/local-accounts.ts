// For the CLI: local accounts (bootstrap and break-glass) on the configured database, so an
// operator who lost the admin password can set a new one without the server's help. Also the
// bootstrap admin's platform-administrator binding, which every start makes sure of.
import type { GatehouseConfig } from '../config/index.ts'
import { createLocalAccounts, type LocalAccounts } from '../identity/index.ts'
import { LOCAL_ISSUER, localSubject, systemClock } from '../lib/index.ts'
import { compileRules, fanOut, userEvent } from '../provisioning/index.ts'
import { provisioningUser, signInUsername } from './provisioning.ts'
import type { LocalAccountRecord } from '../store/index.ts'
import { PLATFORM_ADMINISTRATOR, SYSTEM_PRINCIPAL, type Tenancy } from '../tenancy/index.ts'
import { createTenancyOn, openStore } from './core.ts'
import type { Logger } from './logger.ts'

export interface LocalAccountAdmin {
  accounts: LocalAccounts
  /** Disables or enables an account; disabling sends `user.disabled` to the provisioning rules (in the same transaction). */
  setDisabled(username: string, disabled: boolean): Promise<boolean>
  list(): Promise<Array<Pick<LocalAccountRecord, 'username' | 'disabled' | 'email' | 'groups'>>>
  /** An account's second factors (never a secret or key) and recovery codes left; null for an unknown account. */
  factors(username: string): Promise<{ username: string; factors: FactorSummary[]; recoveryCodesLeft: number } | null>
  /** Removes every factor and recovery code (a lost phone or key); null for an unknown account. */
  resetFactors(username: string): Promise<{ username: string; factors: number; recoveryCodes: number } | null>
  close(): Promise<void>
}

export interface FactorSummary { id: string; kind: string; label: string; createdAt: string; lastUsedAt: string | null }

export async function openLocalAccountAdmin(config: GatehouseConfig, logger?: Logger): Promise<LocalAccountAdmin> {
  const { store } = await openStore(config, logger)
  let tenancy: Tenancy
  try {
    await store.migrate()
    // Read once, not followed: the command is over long before anything could change.
    tenancy = createTenancyOn(store, () => config, logger)
    await tenancy.core.reload()
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
  const bootstrapAdmin = localSubject(config.bootstrapAdminUsername)
  // Managing accounts stays possible while local login is turned off.
  const accounts = createLocalAccounts({
    repo: store.localAccounts, enabled: true,
    // The configured admin may keep its (reserved) name: the server would create it under that name anyway.
    checkNewUsername: (username) => { if (localSubject(username) !== bootstrapAdmin) tenancy.checkUsername(username) },
  })
  const { effectiveConfig } = await import('./bootstrap.ts')
  const provisioning = effectiveConfig(config).provisioning
  const rules = provisioning.rules.length > 0 ? compileRules(provisioning) : undefined
  return {
    accounts,
    setDisabled(username, disabled) {
      if (!disabled || rules === undefined) return accounts.setDisabled(username, disabled)
      const subject = localSubject(username)
      const claim = tenancy.claimFor({ kind: 'user', subject, upstreamGroups: [] })
      const user = provisioningUser({ subject, issuer: config.issuer, username: signInUsername(subject, {}), groups: [] }, claim, (id) => tenancy.core.state.groups.get(id)?.name)
      return accounts.setDisabled(username, disabled, fanOut(rules, userEvent('user.disabled', user, systemClock)))
    },
    async list() {
      const out: Array<Pick<LocalAccountRecord, 'username' | 'disabled' | 'email' | 'groups'>> = []
      let continuationToken = ''
      do {
        const page = await store.localAccounts.list({ pageSize: 100, continuationToken })
        out.push(...page.items.map((r) => ({ username: r.username, disabled: r.disabled, email: r.email, groups: r.groups })))
        continuationToken = page.continuationToken
      } while (continuationToken !== '')
      return out
    },
    async factors(username) {
      const account = await store.localAccounts.get(username)
      if (!account) return null
      const factors = (await store.localMfa.listFactors(username)).map((f) => ({
        id: f.id, kind: f.kind, label: f.label, createdAt: f.createdAt.toISOString(), lastUsedAt: f.lastUsedAt?.toISOString() ?? null,
      }))
      return { username: account.username, factors, recoveryCodesLeft: await store.localMfa.countRecoveryCodes(username) }
    },
    async resetFactors(username) {
      const account = await store.localAccounts.get(username)
      if (!account) return null
      return { username: account.username, ...(await store.localMfa.reset(username)) }
    },
    close: () => store.close(),
  }
}

/**
 * The bootstrap admin's subject, when local accounts are on. It is the way back in: sign-in never
 * refuses it for belonging to no organization, even when its global binding was removed (the
 * next start restores the binding, but an operator must not need one to get in).
 */
export function bootstrapAdminSubject(config: GatehouseConfig): string | undefined {
  return config.localLogin ? localSubject(config.bootstrapAdminUsername) : undefined
}

/**
 * Binds the bootstrap admin to platform-administrator unless it has a global binding already
 * (one an operator changed is left alone). Source `builtin`: Gatehouse implies it from the
 * configuration, as it does the built-in roles. `bootstrap` would claim the bootstrap file
 * declares it, which it does not: the API would refuse changes with "change it there", and a
 * sync of the file's declarations would find it undeclared. Answers whether it was created.
 */
export async function ensureAdminBinding(tenancy: Tenancy, username: string): Promise<boolean> {
  if (tenancy.core.state.bindingBySubject.has(localSubject(username))) return false
  await tenancy.bindings.put({ actor: SYSTEM_PRINCIPAL }, { subject: { id: username, issuer: LOCAL_ISSUER }, roleIds: [PLATFORM_ADMINISTRATOR] }, 'builtin')
  return true
}
