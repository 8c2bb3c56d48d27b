// Check and BatchCheck on the shared node:http fast path (fast-path.ts). Every step the Fastify
// route takes is taken here in the same order with the same outcome: request id, preshared-key
// authentication (before the body is read), the body limit (declared, then counted), Fastify's
// own JSON parser and the edge limits of json-body.ts, the engine call, the
// Openfga-Authorization-Model-Id header, the error body, and the request histogram under the
// route pattern. Requests it cannot mirror byte for byte go to Fastify untouched.

import type { IncomingMessage } from 'node:http'
import { errorCodes, type FastifyBaseLogger } from 'fastify'
import type { AppError } from '../lib/index.ts'
import type { AuthzApi, QueryMeta } from './authz-api.ts'
import { FastRequest, JSON_CONTENT_TYPE, type FastPath, type RecordRequest } from './fast-path.ts'
import { bodyOf, MODEL_ID_HEADER } from './routes/shared.ts'

/** Fastify's JSON body parser plus the edge limits, as the app's content type parser runs them. */
export type JsonBodyParser = (text: string, done: (err: Error | null, body?: unknown) => void) => void

export interface QueryFastPathOptions {
  authz: Pick<AuthzApi, 'check' | 'batchCheck'>
  /** The preshared-key check; undefined when the API is open. */
  authenticate?: (authorization: string | undefined) => AppError | undefined
  /** Other bearer tokens may be accepted (a platform administrator's): Fastify's hook judges them. */
  otherCallers?: boolean
  parseJson: JsonBodyParser
  bodyLimit: number
  logger: FastifyBaseLogger
  record: RecordRequest
}

// A store id the router would hand over unchanged: no percent-escapes to decode, within
// find-my-way's parameter length. Anything else is Fastify's to answer (404 or validation).
const QUERY_PATH = /^\/stores\/([0-9A-Za-z_-]{1,100})\/(check|batch-check)$/
const ROUTES = { check: '/stores/:store_id/check', 'batch-check': '/stores/:store_id/batch-check' } as const
const METHODS = { check: 'check', 'batch-check': 'batchCheck' } as const
// The media types Fastify hands to the JSON parser as they are; other spellings, parameters and
// missing types take Fastify's content-type handling.
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8'])

/**
 * Reads the body as Fastify's raw-body reader does: refused when the declared length exceeds the
 * limit, stopped as soon as the bytes read exceed it, refused when fewer arrive than declared.
 */
function readBody(req: IncomingMessage, limit: number, done: (err: Error | null, text?: string) => void): void {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
  const chunks: Buffer[] = []
  let received = 0
  const stop = () => {
    req.removeListener('data', onData)
    req.removeListener('end', onEnd)
    req.removeListener('error', onEnd)
  }
  function onData(chunk: Buffer) {
    received += chunk.length
    if (received > limit) {
      stop()
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
      return
    }
    chunks.push(chunk)
  }
  function onEnd(err?: Error & { statusCode?: number }) {
    stop()
    if (err != null) {
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400
      return done(err)
    }
    if (!Number.isNaN(declared) && received !== declared) return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH())
    done(null, chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, received).toString('utf8'))
  }
  req.on('data', onData)
  req.on('end', onEnd)
  req.on('error', onEnd)
}

export function queryFastPath(o: QueryFastPathOptions): FastPath {
  const { authz, authenticate, parseJson, bodyLimit, logger, record } = o
  return (req, res, path) => {
    if (req.method !== 'POST') return false
    const match = QUERY_PATH.exec(path)
    if (match === null) return false
    const type = req.headers['content-type']
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false
    const name = match[2] as keyof typeof ROUTES
    const request = new FastRequest(req, res, ROUTES[name], record)
    const refused = authenticate?.(req.headers.authorization)
    if (refused !== undefined && o.otherCallers === true && (req.headers.authorization ?? '') !== '') return false
    if (refused !== undefined) {
      request.fail(refused, logger, bodyLimit)
      return true
    }
    const storeId = match[1]
    readBody(req, bodyLimit, (readErr, text) => {
      if (readErr !== null) return request.fail(readErr, logger, bodyLimit, true)
      parseJson(text!, (parseErr, body) => {
        if (parseErr !== null) return request.fail(parseErr, logger, bodyLimit, true)
        const meta: QueryMeta = {}
        authz[METHODS[name]](storeId, bodyOf(body), meta).then((result) => {
          const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPE }
          if (meta.modelId !== undefined && meta.modelId !== '') headers[MODEL_ID_HEADER] = meta.modelId
          request.send(200, headers, JSON.stringify(result))
        }, (err: unknown) => request.fail(err, logger, bodyLimit))
      })
    })
    return true
  }
}
