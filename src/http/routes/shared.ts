import type { FastifyReply } from 'fastify'
import type { QueryMeta, QueryParams } from '../authz-api.ts'

export interface StoreParams {
  store_id: string
}

export interface ModelParams extends StoreParams {
  id: string
}

export interface AssertionParams extends StoreParams {
  authorization_model_id: string
}

export type { QueryParams }

export const MODEL_ID_HEADER = 'openfga-authorization-model-id'

/** A body-less POST reaches the engine as {} so it reports missing fields, not a crash. */
export function bodyOf(body: unknown): unknown {
  return body ?? {}
}

export function setModelHeader(reply: FastifyReply, meta: QueryMeta): void {
  if (meta.modelId !== undefined && meta.modelId !== '') reply.header(MODEL_ID_HEADER, meta.modelId)
}
