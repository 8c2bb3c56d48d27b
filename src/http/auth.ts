import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { AppError, CommonCodes } from '../lib/index.ts'
import { HttpCodes } from './errors.ts'

const BEARER = /^Bearer\s+(\S+)\s*$/i

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Preshared-key bearer authentication. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither a key's content nor its length leaks through timing, and every
 * configured key is compared on every request.
 */
export function presharedKeyHook(keys: readonly string[]) {
  const digests = keys.map(digest)
  return function authenticate(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const header = request.headers.authorization
    if (header === undefined || header === '') {
      done(new AppError(HttpCodes.bearerTokenMissing, 'missing bearer token (Authorization: Bearer <key>)', { status: 401 }))
      return
    }
    const match = BEARER.exec(header)
    const presented = digest(match === null ? '' : match[1])
    let ok = false
    for (const d of digests) ok = timingSafeEqual(d, presented) || ok
    done(ok && match !== null ? undefined : new AppError(CommonCodes.unauthenticated, 'unauthenticated', { status: 401 }))
  }
}
