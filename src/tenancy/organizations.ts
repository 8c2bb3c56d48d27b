// Organization commands. Creating, deleting and re-pointing an organization's email domains or
// upstreams are platform-wide acts: a domain routes every sign-in of that domain, so an
// organization administrator must not be able to claim one.

import { newUuid } from '../lib/index.ts'
import { visibleOrganizations } from './acl.ts'
import { guardSource, type Mutation, type RequestContext, type TenancyCore } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { assertNotReserved, newNamespace } from './names.ts'
import { groupRecord, keyOf, organizationKeys, organizationRecords, projectKeys, serviceAccountRecord } from './records.ts'
import { organizationInput, organizationUpdate, parseInput } from './schema.ts'
import { KINDS, type TenancyState } from './state.ts'
import type { Organization, RecordSource } from './types.ts'

export interface OrganizationRules {
  reserved: ReadonlySet<string>
  /** Ids of the configured upstream providers. */
  upstreams: () => ReadonlySet<string>
}

const SCOPE = 'identity:organizations'

export function findOrganization(state: TenancyState, idOrName: string): Organization | undefined {
  return state.organizations.get(idOrName) ?? state.orgByName.get(idOrName)
}

function checkRouting(state: TenancyState, rules: OrganizationRules, o: Organization): void {
  for (const d of o.domains) {
    const owner = state.orgByDomain.get(d)
    if (owner !== undefined && owner.id !== o.id) throw new TenancyError(TenancyErrorCodes.domainTaken, `domain ${d} belongs to another organization`, { domain: d })
  }
  const known = rules.upstreams()
  for (const u of o.upstreams) {
    if (!known.has(u)) throw new TenancyError(TenancyErrorCodes.unknownReference, `no upstream provider "${u}" is configured`, { upstream: u })
  }
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

export function organizationCommands(core: TenancyCore, rules: OrganizationRules) {
  const audit = (action: string, o: Organization, before: Organization | null, after: Organization | null) =>
    ({ action: `organization.${action}`, target: `organization:${o.id}`, outcome: 'success' as const, organizationId: o.id, details: { before, after } as never })

  return {
    list(ctx: RequestContext): Organization[] {
      return visibleOrganizations(core.state, ctx.actor)
    },

    get(ctx: RequestContext, idOrName: string): Organization {
      return core.standing(ctx, idOrName).organization
    },

    async create(ctx: RequestContext, input: unknown, source: RecordSource = 'api'): Promise<Organization> {
      core.authorizeGlobal(ctx, SCOPE, 'create')
      const spec = parseInput(organizationInput, input)
      assertNotReserved(rules.reserved, spec.name, 'organization')
      return core.mutate(ctx, (state): Mutation<Organization> => {
        core.authorizeGlobal(ctx, SCOPE, 'create', state)
        if (state.orgByName.has(spec.name)) throw new TenancyError(TenancyErrorCodes.nameTaken, `an organization named ${spec.name} exists`, { name: spec.name })
        const now = core.now()
        const o: Organization = {
          id: newUuid(), name: spec.name, displayName: spec.displayName ?? spec.name, description: spec.description ?? '',
          domains: [...new Set(spec.domains ?? [])].sort(), upstreams: [...new Set(spec.upstreams ?? [])],
          namespace: newNamespace(state, spec.name), source, createdAt: now, updatedAt: now,
        }
        checkRouting(state, rules, o)
        return { put: organizationRecords(o), remove: [], audit: [audit('create', o, null, o)], result: o }
      })
    },

    async update(ctx: RequestContext, idOrName: string, input: unknown, source: RecordSource = 'api'): Promise<Organization> {
      const spec = parseInput(organizationUpdate, input)
      return core.mutate(ctx, (state): Mutation<Organization> => {
        // Everything from the state this change is computed from: an update racing another one
        // must neither restore a domain the other removed nor skip a check the other made necessary.
        const before = core.authorize(ctx, idOrName, SCOPE, 'update', undefined, state).organization
        if (spec.name !== undefined && spec.name !== before.name) {
          throw new TenancyError(TenancyErrorCodes.immutableName, 'an organization\'s name cannot change (it is part of downstream names); change displayName instead')
        }
        const domains = spec.domains === undefined ? before.domains : [...new Set(spec.domains)].sort()
        const upstreams = spec.upstreams === undefined ? before.upstreams : [...new Set(spec.upstreams)]
        if (!sameList(domains, before.domains) || !sameList(upstreams, before.upstreams)) core.authorizeGlobal(ctx, SCOPE, 'update', state)
        guardSource(before, source, 'organization')
        const o: Organization = {
          ...before, displayName: spec.displayName ?? before.displayName, description: spec.description ?? before.description,
          domains, upstreams, source, updatedAt: core.now(),
        }
        checkRouting(state, rules, o)
        return { put: organizationRecords(o), remove: organizationKeys(before), audit: [audit('update', o, before, o)], result: o }
      })
    },

    /** Deletes the organization with its groups, projects and service accounts. */
    async delete(ctx: RequestContext, idOrName: string, source: RecordSource = 'api'): Promise<void> {
      return core.mutate(ctx, (state): Mutation<void> => {
        const o = core.standing(ctx, idOrName, state).organization
        core.authorizeGlobal(ctx, SCOPE, 'delete', state)
        guardSource(o, source, 'organization')
        const remove = [...organizationKeys(o)]
        for (const g of state.groupsByOrg.get(o.id) ?? []) remove.push(keyOf(KINDS.group, groupRecord(g).id))
        for (const p of state.projectsByOrg.get(o.id) ?? []) remove.push(...projectKeys(p))
        for (const sa of state.serviceAccounts.values()) if (sa.organizationId === o.id) remove.push(keyOf(KINDS.serviceAccount, serviceAccountRecord(sa).id))
        return { put: [], remove, audit: [audit('delete', o, o, null)], result: undefined }
      })
    },
  }
}
