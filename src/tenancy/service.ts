// The tenancy service: starts the system store (model, built-in roles, mirror repair), follows
// other replicas, and offers the commands, the ACL, sign-in sync and token claims.

import { compileModelJson } from '../authz/index.ts'
import { newUlid, relationshipUser, type Clock } from '../lib/index.ts'
import type { OutboxItemInput, Store, StoreLogger, TupleKey } from '../store/index.ts'
import { isStoreError, StoreErrorCodes } from '../store/index.ts'
import { endpoints, globalGrantsOf, visibleOrganizations } from './acl.ts'
import { createAclCache } from './acl-cache.ts'
import { bindingCommands } from './bindings.ts'
import { TenancyCore, type RequestContext } from './core.ts'
import { groupCommands } from './groups.ts'
import { allTuples, tupleDiff } from './mirror.ts'
import { SYSTEM_STORE_ID, SYSTEM_STORE_NAME, upstreamGroupObject } from './model.ts'
import { TENANCY_MODEL_JSON } from './model-json.ts'
import { assertUsernameFree, DEFAULT_RESERVED_NAMES, foldName } from './names.ts'
import { organizationCommands } from './organizations.ts'
import { projectChanges, type ProjectChange } from './project-changes.ts'
import { projectCommands } from './projects.ts'
import { roleCommands } from './roles.ts'
import { serviceAccountCommands } from './service-accounts.ts'
import { SYSTEM_PRINCIPAL, type Acl, type CallerAcl, type Principal } from './types.ts'

export interface TenancyOptions {
  store: Store
  clock?: Clock
  logger?: StoreLogger
  /** Names organizations, projects and new accounts may not take (folded); default DEFAULT_RESERVED_NAMES. */
  reservedNames?: readonly string[]
  /** Ids of the configured upstream providers (organizations may name only these). */
  upstreamIds?: () => ReadonlySet<string>
  pollIntervalMs?: number
  /** Provisioning events of tenancy projects created, changed or deleted, committed with the change. */
  projectEvents?: (changes: ProjectChange[]) => OutboxItemInput[]
  /** After a commit that enqueued events. */
  onEvents?: () => void
}

/** The namespaced token claim's tenancy part. */
export interface MembershipClaim {
  organizations: Array<{ id: string; name: string; groups: string[] }>
}

const SYSTEM_CTX: RequestContext = { actor: SYSTEM_PRINCIPAL }
/** Upstream groups kept per user; more are ignored (sorted, so the same ones every time). */
const MAX_UPSTREAM_GROUPS = 1000

export type Tenancy = ReturnType<typeof createTenancy>

export function createTenancy(options: TenancyOptions) {
  const projectEvents = options.projectEvents
  const core = new TenancyCore({
    store: options.store, clock: options.clock, logger: options.logger, pollIntervalMs: options.pollIntervalMs, onEvents: options.onEvents,
    changeEvents: projectEvents && ((before, after, changed) => {
      const changes = projectChanges(before, after, changed)
      return changes.length === 0 ? [] : projectEvents(changes)
    }),
  })
  const reserved = new Set((options.reservedNames ?? DEFAULT_RESERVED_NAMES).map(foldName))
  const upstreamIds = options.upstreamIds ?? (() => new Set<string>())
  const store = options.store
  const roles = roleCommands(core)
  const aclCache = createAclCache()

  async function ensureSystemStore(): Promise<void> {
    if ((await store.stores.get(SYSTEM_STORE_ID)) === null) {
      try {
        await store.stores.create({ id: SYSTEM_STORE_ID, name: SYSTEM_STORE_NAME })
      } catch (err) {
        if (!isStoreError(err, StoreErrorCodes.alreadyExists)) throw err
      }
    }
    const model = TENANCY_MODEL_JSON
    compileModelJson(model)
    const latest = await store.models.latest(SYSTEM_STORE_ID)
    if (latest === null || JSON.stringify(latest.model) !== JSON.stringify(model)) await store.models.write(SYSTEM_STORE_ID, newUlid(), model)
  }

  /** Makes the system store hold exactly the tuples the records imply (sign-in memberships aside). */
  async function repairMirror(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      await core.reload()
      const state = core.state
      const stored = (await store.tuples.snapshot(SYSTEM_STORE_ID)).tuples.filter((t) => !t.object.startsWith('upstream_group:'))
      const diff = tupleDiff(stored, allTuples(state))
      const changes = diff.writes.length + diff.deletes.length
      if (changes === 0) return 0
      try {
        await store.tenancy.commit({
          expectedRevision: state.revision, put: [], remove: [], tuples: { storeId: SYSTEM_STORE_ID, ...diff },
          audit: [{ actor: 'system', actorType: 'system', action: 'tenancy.mirror_repaired', target: `store:${SYSTEM_STORE_ID}`, outcome: 'success', details: { writes: diff.writes.length, deletes: diff.deletes.length } }],
        })
        return changes
      } catch (err) {
        if (!isStoreError(err, StoreErrorCodes.versionConflict) || attempt > 5) throw err
      }
    }
  }

  /** The caller as stored state knows it: its upstream groups from its last sign-in. */
  async function principalFor(subject: string, kind: 'user' | 'service'): Promise<Principal> {
    if (kind === 'service') return { kind, subject, upstreamGroups: [] }
    const record = await store.tenancy.upstreamGroups(subject)
    return { kind, subject, upstreamGroups: record?.groups ?? [] }
  }

  function claimFor(principal: Principal): MembershipClaim {
    const state = core.state
    const organizations = [...state.organizationsOf(principal.subject, principal.upstreamGroups)]
      .map(([id, groups]) => ({ id, name: state.organizations.get(id)?.name ?? '', groups: groups.sort() }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
    return { organizations }
  }

  return {
    core,
    organizations: organizationCommands(core, { reserved, upstreams: upstreamIds }),
    groups: groupCommands(core),
    projects: projectCommands(core, reserved),
    roles,
    serviceAccounts: serviceAccountCommands(core),
    bindings: bindingCommands(core),

    async start(follow = true): Promise<void> {
      await ensureSystemStore()
      await core.reload()
      await roles.ensureBuiltins(SYSTEM_CTX)
      const repaired = await repairMirror()
      if (repaired > 0) options.logger?.warn({ tuples: repaired }, 'tenancy mirror repaired')
      if (follow) core.follow()
    },
    stop: () => core.stop(),
    repairMirror,
    principalFor,

    /** The caller's ACL in every organization it can see, with its global grants (also in none). */
    callerAcl(ctx: RequestContext): CallerAcl {
      const organizations = visibleOrganizations(core.state, ctx.actor).map((o) => aclCache.get(core.state, o.id, ctx.actor).organization)
      const global = endpoints(globalGrantsOf(core.state, ctx.actor))
      return global.length > 0 ? { global, organizations } : { organizations }
    },

    /** Frozen and shared between callers with the same standing until the state changes. */
    acl(ctx: RequestContext, organization: string): Acl {
      return aclCache.get(core.state, organization, ctx.actor)
    },

    /**
     * Reconciles a user's upstream groups at sign-in (added, removed, audited, in one
     * transaction) and answers whether the user belongs anywhere: with organizations defined,
     * a user in none (and without a global binding) is refused.
     */
    async signIn(
      subject: string, upstreamGroups: readonly string[], sourceIp?: string,
      /** Provisioning events of this sign-in, from the memberships it results in. */
      events?: (claim: MembershipClaim, member: boolean) => OutboxItemInput[],
    ): Promise<{ principal: Principal; member: boolean }> {
      // Bounded: an upstream's groups claim is not ours to trust with the size of the system store.
      const groups = [...new Set(upstreamGroups)].filter((g) => g.length <= 200).sort().slice(0, MAX_UPSTREAM_GROUPS)
      const user = relationshipUser(subject)
      const principal: Principal = { kind: 'user', subject, upstreamGroups: groups }
      const outbox = events?.(claimFor(principal), core.state.admits(subject, groups)) ?? []
      await store.tenancy.replaceUpstreamGroups({
        outbox,
        subject, groups, storeId: SYSTEM_STORE_ID,
        tupleFor: (g): TupleKey => ({ object: upstreamGroupObject(g), relation: 'member', user }),
        audit: (add, remove) => ({
          actor: subject, actorType: 'user', action: 'membership.sync', target: `user:${subject}`, outcome: 'success',
          ...(sourceIp ? { sourceIp } : {}), details: { added: add, removed: remove },
        }),
      })
      if (outbox.length > 0) options.onEvents?.()
      const state = core.state
      return { principal, member: state.admits(subject, groups) }
    },

    /** Whether a user may go on using Gatehouse where membership is required (its stored groups). */
    async admitted(subject: string): Promise<boolean> {
      // Sessions are re-checked often: read the stored groups only when they can matter.
      if (core.state.admits(subject, [])) return true
      return core.state.admits(subject, (await principalFor(subject, 'user')).upstreamGroups)
    },

    /** The tenancy part of the namespaced claim, from stored state. */
    async claims(subject: string, kind: 'user' | 'service'): Promise<MembershipClaim> {
      return claimFor(await principalFor(subject, kind))
    },
    claimFor,
    visibleOrganizations: (principal: Principal) => visibleOrganizations(core.state, principal),

    /** Throws reserved_name / name_taken when a new local account may not take `username`. */
    checkUsername(username: string): void {
      assertUsernameFree(core.state, reserved, username)
    },
  }
}
