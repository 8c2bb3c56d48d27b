// Wires the people admin API: local accounts and upstream users from the store, organizations
// from tenancy (group names, not ids), OpenID Connect and forward-auth sessions, and a disable
// that tells the provisioning rules (user.disabled) in the same transaction, as the CLI's does.
import type { GatehouseConfig } from '../config/index.ts'
import type { SessionStore } from '../forwardauth/index.ts'
import { createLocalAccounts, createPeople, type People } from '../identity/index.ts'
import { localSubject } from '../lib/index.ts'
import type { Core } from './core.ts'
import type { Logger } from './logger.ts'
import { provisioningUser, signInUsername } from './provisioning.ts'

export function createPeopleAdmin(core: Core, config: GatehouseConfig, forwardAuthSessions: SessionStore, logger: Logger): People {
  const tenancy = core.tenancy
  const groupName = (id: string) => tenancy.core.state.groups.get(id)?.name
  // Managing accounts stays possible while local login is turned off, as on the command line.
  const accounts = createLocalAccounts({ repo: core.store.localAccounts, enabled: true })
  return createPeople({
    repo: core.store.localAccounts, accounts, userRecords: core.store.userRecords, oidc: core.store.oidc,
    sessionSources: [{ kind: 'forward_auth', list: (subject) => forwardAuthSessions.listFor(subject), revoke: (subject, id) => forwardAuthSessions.revoke(subject, id) }],
    organizations: async (subject) => (await tenancy.claims(subject, 'user')).organizations
      .map((o) => ({ id: o.id, name: o.name, groups: o.groups.map((g) => groupName(g) ?? g) })),
    setDisabled: async (username, disabled) => {
      const provisioning = core.provisioning
      if (!disabled || provisioning === undefined) return accounts.setDisabled(username, disabled)
      const subject = localSubject(username)
      const claim = tenancy.claimFor({ kind: 'user', subject, upstreamGroups: [] })
      const user = provisioningUser({ subject, issuer: config.issuer, username: signInUsername(subject, {}), groups: [] }, claim, groupName)
      return accounts.setDisabled(username, disabled, provisioning.userItems('user.disabled', user))
    },
    audit: core.store.audit,
    onAuditError: (err) => logger.warn({ err }, 'could not record a people action in the audit log'),
  })
}
