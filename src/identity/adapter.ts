// oidc-provider's Adapter over the store's artefact repository: one factory, one instance per
// model. The store stays ignorant of the protocol; this is where a lost `consume` race becomes
// the protocol error oidc-provider renders (invalid_grant, or invalid_request_uri for PAR).

import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider'
import type { OidcArtifactRefs, OidcArtifactsRepo } from '../store/index.ts'

export interface AdapterOptions {
  repo: OidcArtifactsRepo
  /**
   * Models served by something other than the artefact table, e.g. `Client` from the clients
   * repository (clients configured statically never reach the adapter).
   */
  overrides?: Partial<Record<string, Adapter>>
}

function refsOf(payload: AdapterPayload): OidcArtifactRefs | undefined {
  const refs: OidcArtifactRefs = {}
  if (typeof payload.grantId === 'string') refs.grantId = payload.grantId
  if (typeof payload.uid === 'string') refs.uid = payload.uid
  if (typeof payload.userCode === 'string') refs.userCode = payload.userCode
  // Sessions are listed per person for administrators (and ended by them).
  if (payload.kind === 'Session' && typeof payload.accountId === 'string') refs.subject = payload.accountId
  return Object.keys(refs).length > 0 ? refs : undefined
}

function consumedError(model: string): Error {
  // oidc-provider checks `consumed` before calling consume; reaching here means a concurrent
  // redemption won between its read and this write.
  return model === 'PushedAuthorizationRequest'
    ? new errors.InvalidRequestUri('request_uri already used')
    : new errors.InvalidGrant(`${model} already consumed`)
}

/** A non-async factory, as oidc-provider's `adapter` option accepts. */
export function createAdapterFactory(options: AdapterOptions): AdapterFactory {
  const { repo, overrides = {} } = options
  return (model: string): Adapter => {
    const override = overrides[model]
    if (override) return override
    return {
      async upsert(id, payload, expiresIn) {
        await repo.upsert(model, id, payload as Record<string, unknown>, expiresIn, refsOf(payload))
      },
      async find(id) {
        return (await repo.find(model, id)) as AdapterPayload | undefined
      },
      async findByUid(uid) {
        return (await repo.findByUid(model, uid)) as AdapterPayload | undefined
      },
      async findByUserCode(userCode) {
        return (await repo.findByUserCode(model, userCode)) as AdapterPayload | undefined
      },
      async consume(id) {
        if (!(await repo.consume(model, id))) throw consumedError(model)
      },
      async destroy(id) {
        await repo.destroy(model, id)
      },
      async revokeByGrantId(grantId) {
        await repo.revokeByGrantId(model, grantId)
      },
    }
  }
}
