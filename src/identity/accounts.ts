// Accounts as oidc-provider sees them. Subjects of local accounts are `local:<username>`;
// federated subjects are `ext:<base64url(sha256(issuer + "\n" + sub))>`, served from the
// snapshot taken at sign-in. The claim object under the configured namespace carries the
// account type and, through an extender, the organizations tenancy knows the user in.

import type { Account, FindAccount } from 'oidc-provider'
import type { LocalAccountsRepo } from '../store/index.ts'
import { EXTERNAL_SUBJECT_PREFIX, LOCAL_SUBJECT_PREFIX } from '../lib/index.ts'
import type { MembershipClaim } from '../tenancy/index.ts'
import type { UpstreamAccount } from './upstream/federation.ts'

export type AccountType = 'user' | 'service' | 'system'

export { LOCAL_SUBJECT_PREFIX, localSubject, relationshipUser, RESERVED_SUBJECT_PREFIXES, SERVICE_SUBJECT_PREFIX } from '../lib/index.ts'

/** Extra members for the namespaced claim object (tenancy: organizations). */
export type ClaimExtender = (subject: string, type: AccountType) => Promise<Record<string, unknown>>

/**
 * `organizations: [{ id, name, groups }]` from tenancy, read when the claims are asked for, so a
 * token or userinfo reflects memberships as they are now, not as they were at sign-in. Left
 * out when the user belongs to none: installations without organizations keep the claim as it
 * was, and a consumer reads "absent" as "no organization".
 */
export function organizationClaims(claims: (subject: string, kind: 'user' | 'service') => Promise<MembershipClaim>): ClaimExtender {
  return async (subject, type) => {
    if (type === 'system') return {}
    const { organizations } = await claims(subject, type)
    return organizations.length === 0 ? {} : { organizations }
  }
}

export interface AccountFinderOptions {
  localAccounts: LocalAccountsRepo
  claimNamespace: string
  extenders?: ClaimExtender[]
  /** Snapshot of an upstream user taken at sign-in (`ext:` subjects). */
  upstreamAccount?: (subject: string) => Promise<UpstreamAccount | undefined>
  /**
   * Whether the user may still use Gatehouse (tenancy: still in an organization). A user who
   * is not is unknown to the provider: its session asks for a new sign-in, which refuses it.
   */
  admitted?: (subject: string) => Promise<boolean>
}

export function createFindAccount(options: AccountFinderOptions): FindAccount {
  const { localAccounts, claimNamespace, extenders = [] } = options
  const namespaced = async (sub: string, type: AccountType) => {
    const extra: Record<string, unknown> = {}
    for (const extend of extenders) Object.assign(extra, await extend(sub, type))
    return { ...extra, acctype: type }
  }
  return async (_ctx, sub): Promise<Account | undefined> => {
    if (options.admitted !== undefined && !(await options.admitted(sub))) return undefined
    if (sub.startsWith(EXTERNAL_SUBJECT_PREFIX)) {
      const account = await options.upstreamAccount?.(sub)
      if (!account) return undefined
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: account.email,
            email_verified: account.emailVerified,
            name: account.name,
            preferred_username: account.preferredUsername,
            groups: account.groups,
            [claimNamespace]: await namespaced(sub, 'user'),
          }
        },
      }
    }
    if (!sub.startsWith(LOCAL_SUBJECT_PREFIX)) return undefined
    const record = await localAccounts.get(sub.slice(LOCAL_SUBJECT_PREFIX.length))
    if (!record || record.disabled) return undefined
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: record.username,
          preferred_username: record.username,
          // Set by an operator, who vouches for it: verified, as relying parties such as
          // kube-apiserver require before they accept an email as the username.
          ...(record.email === null ? {} : { email: record.email, email_verified: true }),
          groups: record.groups,
          [claimNamespace]: await namespaced(sub, 'user'),
        }
      },
    }
  }
}
