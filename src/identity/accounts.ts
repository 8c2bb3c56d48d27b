// Accounts as oidc-provider sees them. Subjects of local accounts are `local:<username>`;
// federated subjects arrive with upstream login. The claim object under the configured
// namespace carries the account type, and is where tenancy adds organization ids.

import type { Account, FindAccount } from 'oidc-provider'
import type { LocalAccountsRepo } from '../store/index.ts'

export type AccountType = 'user' | 'service' | 'system'

export const LOCAL_SUBJECT_PREFIX = 'local:'

export function localSubject(username: string): string {
  return LOCAL_SUBJECT_PREFIX + username.normalize('NFKC').toLowerCase()
}

/** Extra members for the namespaced claim object (tenancy: organization ids). */
export type ClaimExtender = (subject: string, type: AccountType) => Promise<Record<string, unknown>>

export interface AccountFinderOptions {
  localAccounts: LocalAccountsRepo
  claimNamespace: string
  extenders?: ClaimExtender[]
}

export function createFindAccount(options: AccountFinderOptions): FindAccount {
  const { localAccounts, claimNamespace, extenders = [] } = options
  return async (_ctx, sub): Promise<Account | undefined> => {
    if (!sub.startsWith(LOCAL_SUBJECT_PREFIX)) return undefined
    const record = await localAccounts.get(sub.slice(LOCAL_SUBJECT_PREFIX.length))
    if (!record || record.disabled) return undefined
    return {
      accountId: sub,
      async claims() {
        const extra: Record<string, unknown> = {}
        for (const extend of extenders) Object.assign(extra, await extend(sub, 'user'))
        return {
          sub,
          name: record.username,
          preferred_username: record.username,
          groups: [],
          [claimNamespace]: { ...extra, acctype: 'user' satisfies AccountType },
        }
      },
    }
  }
}
