// Tools for a store's administrators beyond the OpenFGA API (the console's relationship pages):
// tuples by any filter, the model as DSL, DSL checked with line and column before it is saved, and the change preview.
// Behind the preshared key, or a platform administrator's token (ADMIN_TOKEN_PREFIXES).
import type { FastifyInstance } from 'fastify'
import type { AuthzApi } from '../authz-api.ts'
import { bodyOf, type QueryParams } from './shared.ts'

interface StoreParams {
  store: string
}

export const STORE_TOOLS_BASE = '/api/v1/stores'

export function storeToolRoutes(root: FastifyInstance, authz: AuthzApi): void {
  void root.register(async (app) => routes(app, authz))
}

function routes(app: FastifyInstance, authz: AuthzApi): void {
  const base = `${STORE_TOOLS_BASE}/:store`
  app.get<{ Params: StoreParams; Querystring: { id?: string } }>(`${base}/model-dsl`, async (request) =>
    authz.modelDsl(request.params.store, typeof request.query.id === 'string' ? request.query.id : ''))
  app.post<{ Params: StoreParams }>(`${base}/model-dsl/validate`, async (request) =>
    authz.validateModelDsl(request.params.store, bodyOf(request.body)))
  app.get<{ Params: StoreParams; Querystring: QueryParams }>(`${base}/tuples`, async (request) =>
    authz.browseTuples(request.params.store, request.query))
  app.post<{ Params: StoreParams }>(`${base}/change-preview`, async (request) =>
    authz.changePreview(request.params.store, bodyOf(request.body)))
}
