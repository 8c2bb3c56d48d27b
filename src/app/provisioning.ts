// Wires provisioning: the configured targets as clients, tuples for this Gatehouse's own stores
// through the engine (validated against the store's model), the events of sign-ins and tenancy
// project changes, and the delivery worker.

import type { Authz } from '../authz/index.ts'
import { accessTokenUsername } from '../identity/index.ts'
import type { GatehouseConfig } from '../config/index.ts'
import { buildTargets, compileRules, createProvisioning, type Provisioning, type ProvisioningUser, type TupleBackend } from '../provisioning/index.ts'
import type { Store, TupleKey } from '../store/index.ts'
import type { MembershipClaim, ProjectChange } from '../tenancy/index.ts'
import type { Logger } from './logger.ts'

/** What a sign-in tells provisioning about the user. */
export interface SignInProfile {
  subject: string
  issuer: string
  username: string
  email?: string
  name?: string
  /** Upstream groups as the provider names them, and the upstream's id (for qualified names). */
  groups: readonly string[]
  upstream?: string
}

/** The composed service, or undefined when no rule is configured (nothing is enqueued then). */
export type StartedProvisioning = Provisioning & { closeTargets(): void }

/** Relative file names in the targets are resolved against the working directory (the bootstrap file made its own absolute). */
export function startProvisioning(config: GatehouseConfig, store: Store, authz: Authz, logger: Logger): StartedProvisioning | undefined {
  if (config.provisioning.rules.length === 0) return undefined
  // Rules first: a mistake in a rule is reported before any file is read.
  compileRules(config.provisioning)
  const targets = buildTargets(config.provisioning, { baseDir: process.cwd(), localTuples: (storeId) => engineTuples(authz, store, storeId) })
  const provisioning = createProvisioning({ config: config.provisioning, store, targets, logger })
  provisioning.start()
  return Object.assign(provisioning, { closeTargets: () => targets.close() })
}

/** A Gatehouse store as a tuple backend: reads from the store, writes through the engine. */
function engineTuples(authz: Authz, store: Store, storeId: string): TupleBackend {
  return {
    async existing(keys) {
      const found = new Set<string>()
      for (const k of keys) {
        const colon = k.object.indexOf(':')
        const page = await store.tuples.read(storeId, { objectType: k.object.slice(0, colon), objectId: k.object.slice(colon + 1), relation: k.relation, user: k.user }, { pageSize: 1 })
        if (page.items.length > 0) found.add(`${k.object}#${k.relation}@${k.user}`)
      }
      return found
    },
    async write(writes, deletes) {
      const plain = (t: TupleKey) => ({ object: t.object, relation: t.relation, user: t.user })
      for (let i = 0; i < Math.max(writes.length, deletes.length); i += 50) {
        const w = writes.slice(i, i + 50).map(plain)
        const d = deletes.slice(i, i + 50).map(plain)
        await authz.write(storeId, {
          ...(w.length ? { writes: { tuple_keys: w, on_duplicate: 'ignore' } } : {}),
          ...(d.length ? { deletes: { tuple_keys: d, on_missing: 'ignore' } } : {}),
        })
      }
    },
  }
}

/**
 * The provisioning view of a signed-in user, with the organizations the sign-in leaves them in.
 * The claim holds group ids; events carry names (`<org>/<group>` in conditions, group sync), so
 * `groupName` resolves them.
 */
export function provisioningUser(profile: SignInProfile, claim: MembershipClaim, groupName: (id: string) => string | undefined): ProvisioningUser {
  return {
    subject: profile.subject, issuer: profile.issuer, username: profile.username,
    ...(profile.email ? { email: profile.email } : {}), ...(profile.name ? { name: profile.name } : {}),
    groups: [...profile.groups],
    upstreamGroups: profile.upstream === undefined ? [...profile.groups] : profile.groups.map((g) => `${profile.upstream}:${g}`),
    organizations: claim.organizations.map((o) => ({
      id: o.id, name: o.name, groups: o.groups.map(groupName).filter((n): n is string => n !== undefined).sort(),
    })),
  }
}

export function projectItems(provisioning: Provisioning, changes: ProjectChange[]) {
  return changes.flatMap((c) => provisioning.projectItems(c.type, c.project))
}

/**
 * The user's stable name downstream (Incus projects, `user:<name>` tuples): the
 * `preferred_username` of the user's access tokens, which resource servers such as Incus use.
 */
export function signInUsername(subject: string, account: { preferredUsername?: string; email?: string }): string {
  return accessTokenUsername(subject, { preferred_username: account.preferredUsername, email: account.email }) ?? subject
}


/** The provisioning admin on the configured database, for the CLI: rules compiled, nothing delivered. */
export async function openProvisioningAdmin(config: GatehouseConfig, logger: Logger): Promise<{ admin: Provisioning['admin']; close(): Promise<void> }> {
  const { effectiveConfig } = await import('./bootstrap.ts')
  const { openStore } = await import('./core.ts')
  const effective = effectiveConfig(config)
  const { store } = await openStore(effective, logger)
  try {
    await store.migrate()
    const targets = buildTargets(effective.provisioning, {
      baseDir: process.cwd(),
      localTuples: () => { throw new Error('the command line delivers nothing') },
    })
    const provisioning = createProvisioning({ config: effective.provisioning, store, targets, logger })
    return { admin: provisioning.admin, close: async () => { targets.close(); await store.close() } }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}
