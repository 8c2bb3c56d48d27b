// Global role bindings: roles whose global scopes apply to one subject everywhere (platform
// administrators, platform-wide readers). Group membership never grants global scopes, so an
// organization administrator cannot make anyone a platform administrator.

import { newUuid, subjectOf } from '../lib/index.ts'
import type { Mutation, RequestContext, TenancyCore } from './core.ts'
import { guardSource } from './core.ts'
import { TenancyError, TenancyErrorCodes } from './errors.ts'
import { bindingRecord, keyOf } from './records.ts'
import { globalBindingInput, parseInput, roleIdsOf } from './schema.ts'
import { KINDS, type TenancyState } from './state.ts'
import type { GlobalBinding, RecordSource } from './types.ts'

const SCOPE = 'identity:roles'

function find(state: TenancyState, idOrSubject: string): GlobalBinding {
  const b = state.bindings.get(idOrSubject) ?? state.bindingBySubject.get(idOrSubject)
  if (b === undefined) throw new TenancyError(TenancyErrorCodes.bindingNotFound, `no global binding ${idOrSubject}`)
  return b
}

export function bindingCommands(core: TenancyCore) {
  const audit = (action: string, b: GlobalBinding, before: GlobalBinding | null, after: GlobalBinding | null) =>
    ({ action: `global_binding.${action}`, target: `global_binding:${b.id}`, outcome: 'success' as const, details: { before, after } as never })

  return {
    list(ctx: RequestContext): GlobalBinding[] {
      core.authorizeGlobal(ctx, SCOPE, 'read')
      return [...core.state.bindings.values()]
    },

    /** Creates or replaces the binding of `subject` (one per subject). */
    async put(ctx: RequestContext, input: unknown, source: RecordSource = 'api'): Promise<GlobalBinding> {
      core.authorizeGlobal(ctx, SCOPE, 'update')
      const spec = parseInput(globalBindingInput, input)
      const key = subjectOf(spec.subject.id, spec.subject.issuer)
      return core.mutate(ctx, (state): Mutation<GlobalBinding> => {
        core.authorizeGlobal(ctx, SCOPE, 'update', state)
        const roleIds = [...new Set(roleIdsOf(spec) ?? [])].map((r) => (state.roles.get(r) ?? state.roleByName.get(r))?.id ?? r)
        for (const rid of roleIds) if (!state.roles.has(rid)) throw new TenancyError(TenancyErrorCodes.unknownReference, `no role ${rid}`, { roleId: rid })
        const before = state.bindingBySubject.get(key)
        if (before) guardSource({ source: before.source, name: subjectOf(before.subject.id, before.subject.issuer) }, source, 'global binding')
        const now = core.now()
        const b: GlobalBinding = { id: before?.id ?? newUuid(), subject: spec.subject, roleIds, source, createdAt: before?.createdAt ?? now, updatedAt: now }
        return { put: [bindingRecord(b)], remove: [], audit: [audit(before ? 'update' : 'create', b, before ?? null, b)], result: b }
      })
    },

    async delete(ctx: RequestContext, idOrSubject: string, source: RecordSource = 'api'): Promise<void> {
      core.authorizeGlobal(ctx, SCOPE, 'delete')
      return core.mutate(ctx, (state): Mutation<void> => {
        core.authorizeGlobal(ctx, SCOPE, 'delete', state)
        const b = find(state, idOrSubject)
        guardSource({ source: b.source, name: subjectOf(b.subject.id, b.subject.issuer) }, source, 'global binding')
        return { put: [], remove: [keyOf(KINDS.globalBinding, b.id)], audit: [audit('delete', b, b, null)], result: undefined }
      })
    },
  }
}
