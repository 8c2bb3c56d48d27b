import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CommonCodes, isAppError } from '../lib/index.ts'

export interface ErrorBody {
  code: string
  message: string
}

export const HttpCodes = {
  undefinedEndpoint: 'undefined_endpoint',
  bearerTokenMissing: 'bearer_token_missing',
} as const

/** Translates any thrown value into the status and `{code, message}` body a client sees. */
export function toHttpError(err: unknown, bodyLimit: number): { status: number; body: ErrorBody; internal: boolean } {
  if (isAppError(err)) {
    return { status: err.status, body: { code: err.code, message: err.message }, internal: err.status >= 500 }
  }
  const fastifyError = err as Partial<FastifyError> | null
  const status = typeof fastifyError?.statusCode === 'number' ? fastifyError.statusCode : 500
  if (fastifyError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { status: 413, body: { code: CommonCodes.payloadTooLarge, message: `request body exceeds the limit of ${bodyLimit} bytes` }, internal: false }
  }
  if (fastifyError?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return { status: 400, body: { code: CommonCodes.validation, message: 'request body must be JSON (Content-Type: application/json)' }, internal: false }
  }
  // Fastify's own client errors (bad JSON, bad Content-Length, schema validation) carry
  // messages written for clients; anything else may carry internals and is masked.
  const fromFastify = typeof fastifyError?.code === 'string' && fastifyError.code.startsWith('FST_')
  if ((fromFastify || fastifyError?.validation !== undefined || err instanceof SyntaxError) && status >= 400 && status < 500) {
    return { status: 400, body: { code: CommonCodes.validation, message: fastifyError?.message ?? 'invalid request' }, internal: false }
  }
  return { status: 500, body: { code: CommonCodes.internal, message: 'internal server error' }, internal: true }
}

export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = toHttpError(err, bodyLimit)
    if (internal) request.log.error({ err }, 'request failed')
    else request.log.debug({ code: body.code, status }, 'request rejected')
    return reply.code(status).type('application/json').send(body)
  })
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    return reply.code(404).send({ code: HttpCodes.undefinedEndpoint, message: `no endpoint ${request.method} ${request.url.split('?')[0]}` })
  })
}
