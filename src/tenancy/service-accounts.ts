// Service accounts: an OIDC client (client_credentials over mutual TLS) bound to exactly one
// organization; its groups there give it roles like any member.

import { newUuid } from '../lib/index.ts'
import { guardSource, type Mutation, type RequestContext, type TenancyCore } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { groupRecord, keyOf, serviceAccountRecord } from './records.ts'
import { limit, LIMITS } from './guards.ts'
import { parseInput, serviceAccountInput } from './schema.ts'
import { KINDS, type TenancyState } from './state.ts'
import type { RecordSource, ServiceAccount } from './types.ts'

const SCOPE = 'identity:serviceaccounts'

function find(state: TenancyState, organizationId: string, idOrName: string): ServiceAccount {
  const sa = state.serviceAccounts.get(idOrName) ?? [...state.serviceAccounts.values()].find((x) => x.organizationId === organizationId && x.name === idOrName)
  if (sa === undefined || sa.organizationId !== organizationId) throw new TenancyError(TenancyErrorCodes.serviceAccountNotFound, `no service account ${idOrName} in this organization`)
  return sa
}

export function serviceAccountCommands(core: TenancyCore) {
  const audit = (action: string, sa: ServiceAccount, before: ServiceAccount | null, after: ServiceAccount | null) =>
    ({ action: `service_account.${action}`, target: `service_account:${sa.id}`, outcome: 'success' as const, organizationId: sa.organizationId, details: { before, after } as never })

  function build(ctx: RequestContext, state: TenancyState, organizationId: string, input: unknown, base: ServiceAccount | undefined, source: RecordSource): ServiceAccount {
    const spec = parseInput(serviceAccountInput, input)
    // Which client acts for an organization is the platform's call: an organization administrator
    // binding another tenant's client id would take over that client's standing.
    if (spec.clientId !== base?.clientId && !core.holdsGlobal(ctx, SCOPE, 'create', state)) {
      throw new TenancyError(TenancyErrorCodes.permissionDenied, 'binding a client to an organization needs a platform-wide identity:serviceaccounts grant', { scope: SCOPE, operation: 'create' })
    }
    const count = [...state.serviceAccounts.values()].filter((x) => x.organizationId === organizationId).length
    if (base === undefined && count >= LIMITS.serviceAccountsPerOrganization) throw limit(`an organization holds at most ${LIMITS.serviceAccountsPerOrganization} service accounts`)
    const bound = state.serviceAccountByClient.get(spec.clientId)
    if (bound !== undefined && bound.id !== base?.id) {
      throw new TenancyError(TenancyErrorCodes.clientTaken, `client ${spec.clientId} is already a service account`, { clientId: spec.clientId })
    }
    const clash = [...state.serviceAccounts.values()].find((x) => x.organizationId === organizationId && x.name === spec.name && x.id !== base?.id)
    if (clash) throw new TenancyError(TenancyErrorCodes.nameTaken, `a service account named ${spec.name} exists in this organization`, { name: spec.name })
    const now = core.now()
    return {
      id: base?.id ?? newUuid(), organizationId, name: spec.name, description: spec.description ?? '', clientId: spec.clientId,
      source, createdAt: base?.createdAt ?? now, updatedAt: now,
    }
  }

  return {
    list(ctx: RequestContext, org: string): ServiceAccount[] {
      const id = core.authorize(ctx, org, SCOPE, 'read').organization.id
      return [...core.state.serviceAccounts.values()].filter((s) => s.organizationId === id).sort((a, b) => (a.name < b.name ? -1 : 1))
    },

    get(ctx: RequestContext, org: string, idOrName: string): ServiceAccount {
      return find(core.state, core.authorize(ctx, org, SCOPE, 'read').organization.id, idOrName)
    },

    async create(ctx: RequestContext, org: string, input: unknown, source: RecordSource = 'api'): Promise<ServiceAccount> {
      return core.mutate(ctx, (state): Mutation<ServiceAccount> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'create', undefined, state).organization.id
        const sa = build(ctx, state, orgId, input, undefined, source)
        return { put: [serviceAccountRecord(sa)], remove: [], audit: [audit('create', sa, null, sa)], result: sa }
      })
    },

    async update(ctx: RequestContext, org: string, idOrName: string, input: unknown, source: RecordSource = 'api'): Promise<ServiceAccount> {
      return core.mutate(ctx, (state): Mutation<ServiceAccount> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'update', undefined, state).organization.id
        const before = find(state, orgId, idOrName)
        guardSource(before, source, 'service account')
        const sa = build(ctx, state, orgId, input, before, source)
        return { put: [serviceAccountRecord(sa)], remove: [], audit: [audit('update', sa, before, sa)], result: sa }
      })
    },

    /** Deletes the account and takes it out of its groups. */
    async delete(ctx: RequestContext, org: string, idOrName: string, source: RecordSource = 'api'): Promise<void> {
      return core.mutate(ctx, (state): Mutation<void> => {
        const orgId = core.authorize(ctx, org, SCOPE, 'delete', undefined, state).organization.id
        const sa = find(state, orgId, idOrName)
        guardSource(sa, source, 'service account')
        const now = core.now()
        const put = [...state.groups.values()].filter((g) => g.serviceAccountIds.includes(sa.id))
          .map((g) => groupRecord({ ...g, serviceAccountIds: g.serviceAccountIds.filter((x) => x !== sa.id), updatedAt: now }))
        return { put, remove: [keyOf(KINDS.serviceAccount, sa.id)], audit: [audit('delete', sa, sa, null)], result: undefined }
      })
    },
  }
}
