// Token introspection (Gatehouse-signed JWTs, opaque access tokens) and client_credentials token
// requests on the shared node:http fast path (fast-path.ts), ahead of Fastify and of
// oidc-provider's Koa pipeline. The identity module decides (src/identity/fast-introspection.ts,
// src/identity/fast-token.ts) and declines everything it cannot answer exactly as the provider
// would; a declined request goes to the provider (provider-fast-path.ts) with its body put back
// unread, so the provider sees the very request the client sent.

import type { IncomingMessage } from 'node:http'
import { FastRequest, JSON_CONTENT_TYPE, type FastPath, type RecordRequest } from './fast-path.ts'
import { plainProviderPost, type ProviderHandoff } from './provider-fast-path.ts'

/** The JSON body of the answer to a Basic-authenticated form, or undefined: the provider's to answer. */
export type FastFormAnswer = (authorization: string, form: string) => Promise<string | undefined>

export interface ProviderFormFastPathOptions {
  /** The provider's path (OIDC_ROUTES.introspection, OIDC_ROUTES.token). */
  path: string
  answer: FastFormAnswer
  record: RecordRequest
  /** Where declined requests go: the provider, as Fastify's mount would hand them over. */
  provider: ProviderHandoff
}

const FORM = 'application/x-www-form-urlencoded'
/** oidc-provider's own body limit (lib/shared/selective_body.js); larger bodies are its to refuse. */
const PROVIDER_BODY_LIMIT = 56 * 1024

/**
 * The headers oidc-provider's introspection and token answers carry, in its order: the page
 * headers (providerPageHeaders), its CORS middleware's (the request has no Origin), no-store, and
 * Pragma (protocolAnswers). The fast-path test compares them with the provider's answer.
 */
export function providerAnswerHeaders(pageHeaders: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(pageHeaders)) if (name !== 'cache-control' && name !== 'content-type') headers[name] = value
  return {
    ...headers, vary: 'Origin', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'WWW-Authenticate',
    'cache-control': 'no-store', 'content-type': JSON_CONTENT_TYPE, pragma: 'no-cache',
  }
}

/**
 * Reads exactly `length` bytes without letting the stream end, so that they can be put back
 * (`unshift`) for the provider, which reads the body itself. Undefined when the request ended or
 * failed first (the client went away).
 */
function peekBody(req: IncomingMessage, length: number, done: (body: Buffer | undefined) => void): void {
  const finish = (body: Buffer | undefined) => {
    req.removeListener('readable', onReadable)
    req.removeListener('end', onGone)
    req.removeListener('error', onGone)
    done(body)
  }
  function onReadable() {
    // read(n) with the exact length never triggers 'end', which would forbid unshift.
    const body = req.read(length) as Buffer | null
    if (body !== null) finish(body.length === length ? body : undefined)
  }
  function onGone() {
    finish(undefined)
  }
  req.on('readable', onReadable)
  req.on('end', onGone)
  req.on('error', onGone)
}

export function providerFormFastPath(o: ProviderFormFastPathOptions, headers: Record<string, string>): FastPath {
  const { path: route, answer: answerOf, record, provider } = o
  return (req, res, path) => {
    if (path !== route || !plainProviderPost(req, route)) return false
    const h = req.headers
    const authorization = h.authorization
    // Anything the provider treats specially: a charset, CORS (Origin), a DPoP proof,
    // attestation-based client authentication.
    if (h['content-type'] !== FORM || authorization === undefined || h.origin !== undefined || h.dpop !== undefined ||
      h['oauth-client-attestation'] !== undefined || h['oauth-client-attestation-pop'] !== undefined) return false
    const length = Number(h['content-length'])
    if (!(length > 0 && length <= PROVIDER_BODY_LIMIT)) return false
    const request = new FastRequest(req, res, route, record)
    peekBody(req, length, (body) => {
      if (body === undefined) return provider(req, res)
      const decline = () => {
        req.unshift(body)
        provider(req, res)
      }
      answerOf(authorization, body.toString('utf8')).then((answer) => {
        if (answer === undefined) return decline()
        req.resume()
        request.send(200, headers, answer)
      }, decline)
    })
    return true
  }
}
