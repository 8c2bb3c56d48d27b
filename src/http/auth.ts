import { createHash, timingSafeEqual } from 'node:crypto'
import type { X509Certificate } from 'node:crypto'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { AppError, CommonCodes } from '../lib/index.ts'
import { HttpCodes } from './errors.ts'

const BEARER = /^Bearer\s+(\S+)\s*$/i

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Whether `presented` is one of the preshared keys. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither a key's content nor its length leaks through timing, and every
 * configured key is compared on every call.
 */
export function presharedKeyMatcher(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest)
  return (presented) => {
    const d = digest(presented)
    let ok = false
    for (const k of digests) ok = timingSafeEqual(k, d) || ok
    return ok
  }
}

/** The bearer credential of an Authorization header, or undefined when it is not `Bearer <token>`. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : BEARER.exec(header)
  return match === null ? undefined : match[1]
}

/**
 * Why an Authorization header does not carry one of the preshared keys, or undefined when it does.
 * Shared by the Fastify hook and the node:http fast path, so both refuse with the same error.
 */
export function presharedKeyCheck(keys: readonly string[]): (header: string | undefined) => AppError | undefined {
  const matches = presharedKeyMatcher(keys)
  return (header) => {
    if (header === undefined || header === '') {
      return new AppError(HttpCodes.bearerTokenMissing, 'missing bearer token (Authorization: Bearer <key>)', { status: 401 })
    }
    const token = bearerToken(header)
    // Compared even when malformed, so a malformed header costs what a wrong key costs.
    const ok = matches(token ?? '')
    return ok && token !== undefined ? undefined : new AppError(CommonCodes.unauthenticated, 'unauthenticated', { status: 401 })
  }
}

/** Preshared-key bearer authentication for the OpenFGA and admin APIs. */
export function presharedKeyHook(keys: readonly string[]) {
  const check = presharedKeyCheck(keys)
  return function authenticate(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    done(check(request.headers.authorization))
  }
}

/**
 * Admin APIs a platform administrator's access token may call as well as the preshared key: the
 * console works with the signed-in administrator's token, never with a key of its own.
 */
export const ADMIN_TOKEN_PREFIXES = [
  '/api/v1/clients', '/api/v1/forward-auth/applications', '/api/v1/audit', '/api/v1/provisioning',
  '/api/v1/accounts', '/api/v1/people', '/api/v1/resource-servers', '/api/v1/upstreams',
  // The OpenFGA API and the store tools: the console's relationship pages.
  '/stores', '/api/v1/stores',
] as const

/**
 * Resolves the caller of an admin API request from its Authorization header (a preshared key or
 * an access token); throws a 401 AppError when it cannot tell who it is, a 403 when it is not a
 * platform administrator.
 */
export type AdminCaller = (authorization: string | undefined, request: { write: boolean; peerCertificate?: X509Certificate }) => Promise<string | void>

/** Who called an admin API, for audit entries: the administrator's subject, or `api` (a preshared key). */
const actors = new WeakMap<FastifyRequest, string>()
export function rememberAdminActor(request: FastifyRequest, actor: string | void): void {
  if (typeof actor === 'string' && actor !== '') actors.set(request, actor)
}
export function adminActorOf(request: FastifyRequest): string {
  return actors.get(request) ?? 'api'
}

export function isAdminTokenPath(routeUrl: string | undefined): boolean {
  if (routeUrl === undefined) return false
  return ADMIN_TOKEN_PREFIXES.some((p) => routeUrl === p || routeUrl.startsWith(`${p}/`))
}
