// HTTP: the Fastify app — error mapping, preshared-key auth, request ids, health, metrics, OpenFGA, admin and tenancy routes.
// May import: src/lib, src/config and module index.ts files (authz and above); the only place that imports fastify.
export { buildHttpServer, type HttpServerOptions } from './server.ts'
export type { OidcMount } from './routes/oidc.ts'
export { FORWARD_AUTH_PREFIX, type ForwardAuthMount } from './routes/forward-auth.ts'
export type { AccountMount } from './routes/account.ts'
export { toHttpError, type ErrorBody } from './errors.ts'
export type { AuthzApi, PingableStore, QueryMeta, QueryParams } from './authz-api.ts'
export type { FastifyInstance as HttpServer } from 'fastify'
export { ADMIN_TOKEN_PREFIXES, bearerToken, presharedKeyMatcher, type AdminCaller } from './auth.ts'
export { CONSOLE_CONFIG_PATH, type ConsoleMount } from './routes/console.ts'
export { TENANCY_PREFIXES, type TenancyMount } from './routes/tenancy.ts'
export { openapiDocument, OPENAPI_PATH } from './openapi.ts'
