// The role catalogue is platform-wide: platform administrators define roles, organization
// administrators bind the unprotected ones to their groups. Built-in roles cannot change.

import { newUuid } from '../lib/index.ts'
import { BUILTIN_ROLES, builtinRoleId } from './builtin-roles.ts'
import { guardSource, type Mutation, type RequestContext, type TenancyCore } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { canonical, keyOf, roleRecord } from './records.ts'
import { parseInput, roleInput } from './schema.ts'
import { KINDS, type TenancyState } from './state.ts'
import type { RecordSource, Role } from './types.ts'

const SCOPE = 'identity:roles'

export function findRole(state: TenancyState, idOrName: string): Role {
  const r = state.roles.get(idOrName) ?? state.roleByName.get(idOrName)
  if (r === undefined) throw new TenancyError(TenancyErrorCodes.roleNotFound, `no role ${idOrName}`)
  return r
}

export function roleCommands(core: TenancyCore) {
  const audit = (action: string, r: Role, before: Role | null, after: Role | null) =>
    ({ action: `role.${action}`, target: `role:${r.id}`, outcome: 'success' as const, details: { before, after } as never })

  const mutable = (r: Role, source: RecordSource) => {
    if (r.source === 'builtin') throw new TenancyError(TenancyErrorCodes.builtinRole, `role ${r.name} is built in`)
    guardSource(r, source, 'role')
  }

  return {
    /** Anyone signed in may read the catalogue: role names and scopes are not secrets. */
    list(_ctx: RequestContext): Role[] {
      return [...core.state.roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
    },

    get(_ctx: RequestContext, idOrName: string): Role {
      return findRole(core.state, idOrName)
    },

    async create(ctx: RequestContext, input: unknown, source: RecordSource = 'api'): Promise<Role> {
      core.authorizeGlobal(ctx, SCOPE, 'create')
      const spec = parseInput(roleInput, input)
      return core.mutate(ctx, (state): Mutation<Role> => {
        core.authorizeGlobal(ctx, SCOPE, 'create', state)
        if (state.roleByName.has(spec.name)) throw new TenancyError(TenancyErrorCodes.nameTaken, `a role named ${spec.name} exists`, { name: spec.name })
        const now = core.now()
        const r: Role = { id: newUuid(), name: spec.name, description: spec.description ?? '', protected: spec.protected ?? false, scopes: spec.scopes, source, createdAt: now, updatedAt: now }
        return { put: [roleRecord(r)], remove: [], audit: [audit('create', r, null, r)], result: r }
      })
    },

    /** Replaces description, protection and scopes; every binding follows at once. */
    async update(ctx: RequestContext, idOrName: string, input: unknown, source: RecordSource = 'api'): Promise<Role> {
      core.authorizeGlobal(ctx, SCOPE, 'update')
      const spec = parseInput(roleInput, input)
      return core.mutate(ctx, (state): Mutation<Role> => {
        core.authorizeGlobal(ctx, SCOPE, 'update', state)
        const before = findRole(state, idOrName)
        mutable(before, source)
        if (spec.name !== before.name) throw new TenancyError(TenancyErrorCodes.immutableName, 'a role\'s name cannot change')
        const r: Role = { ...before, description: spec.description ?? '', protected: spec.protected ?? false, scopes: spec.scopes, source, updatedAt: core.now() }
        return { put: [roleRecord(r)], remove: [], audit: [audit('update', r, before, r)], result: r }
      })
    },

    async delete(ctx: RequestContext, idOrName: string, source: RecordSource = 'api'): Promise<void> {
      core.authorizeGlobal(ctx, SCOPE, 'delete')
      return core.mutate(ctx, (state): Mutation<void> => {
        core.authorizeGlobal(ctx, SCOPE, 'delete', state)
        const r = findRole(state, idOrName)
        mutable(r, source)
        const users = [...state.groups.values()].filter((g) => g.roleIds.includes(r.id)).length + [...state.bindings.values()].filter((b) => b.roleIds.includes(r.id)).length
        if (users > 0) throw new TenancyError(TenancyErrorCodes.roleInUse, `role ${r.name} is bound ${users} time(s); unbind it first`)
        return { put: [], remove: [keyOf(KINDS.role, r.id)], audit: [audit('delete', r, r, null)], result: undefined }
      })
    },

    /** Writes the built-in roles when missing or different (every start, every replica). */
    async ensureBuiltins(ctx: RequestContext): Promise<void> {
      const differs = (state: TenancyState) => BUILTIN_ROLES.filter((b) => {
        const r = state.roles.get(builtinRoleId(b.name))
        return r === undefined || canonical([r.description, r.protected, r.scopes]) !== canonical([b.description, b.protected, b.scopes])
      })
      if (differs(core.state).length === 0) return
      await core.mutate(ctx, (state): Mutation<void> => {
        const now = core.now()
        const put = differs(state).map((b) => {
          const id = builtinRoleId(b.name)
          const r: Role = { id, ...b, source: 'builtin', createdAt: state.roles.get(id)?.createdAt ?? now, updatedAt: now }
          return roleRecord(r)
        })
        return { put, remove: [], audit: put.map((r) => ({ action: 'role.builtin', target: `role:${r.id}`, outcome: 'success' as const, details: { name: r.name } })), result: undefined }
      })
    },
  }
}
