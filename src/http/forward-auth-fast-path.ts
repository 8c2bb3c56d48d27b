// The forward-auth decision endpoints answered straight from node:http, ahead of Fastify's
// router, hooks and reply pipeline: every proxied request of every protected application
// passes here, and that pipeline cost more than the decision itself. Same answers, same
// request ids, same metrics; bad input gets the same JSON error bodies.

import type { FastifyBaseLogger } from 'fastify'
import {
  deniedPage, headerValue, misconfiguredPage, unknownHostPage, type AuthOutcome, type ForwardAuth, type ProxyContract,
} from '../forwardauth/index.ts'
import { pageHeaders } from '../lib/index.ts'
import { toHttpError } from './errors.ts'
import { FastRequest, type FastPath, type RecordRequest } from './fast-path.ts'

export interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

export const FORWARD_AUTH_PREFIX = '/api/forward-auth'
export const DECISION_PATHS: Readonly<Record<string, ProxyContract>> = {
  [`${FORWARD_AUTH_PREFIX}/caddy`]: 'forwarded',
  [`${FORWARD_AUTH_PREFIX}/traefik`]: 'forwarded',
  [`${FORWARD_AUTH_PREFIX}/nginx`]: 'nginx',
}

const DEBUG_HEADER = 'x-gatehouse-deny-reason'
export const PAGE_HEADERS = { ...pageHeaders(), 'content-type': 'text/html; charset=utf-8' }
/** The sign-out page: its form is checked by Origin, which no-referrer would blank. */
export const SIGN_OUT_PAGE_HEADERS = { ...pageHeaders({ referrer: 'same-origin' }), 'content-type': 'text/html; charset=utf-8' }

const page = (status: number, body: string, extra: Record<string, string> = {}): Answer => ({ status, headers: { ...PAGE_HEADERS, ...extra }, body })

/** The HTTP answer for a decision; every answer carries no-store so no cache replays an identity. */
export function answerFor(outcome: AuthOutcome, requestId: string): Answer {
  const { decision, request } = outcome
  const noStore = { 'cache-control': 'no-store' }
  switch (decision.kind) {
    case 'allow':
    case 'skip':
      return { status: 200, headers: { ...noStore, ...decision.headers }, body: '' }
    case 'login': {
      const headers: Record<string, string> = { ...noStore }
      if (decision.location) headers.location = decision.location
      if (decision.status === 401) headers['www-authenticate'] = 'Bearer realm="gatehouse"'
      return { status: decision.status, headers, body: '' }
    }
    case 'deny': {
      // Group names may be any text: encoded so the header cannot break.
      const debug: Record<string, string> = outcome.debugReason ? { [DEBUG_HEADER]: headerValue(outcome.debugReason) } : {}
      if (!request.acceptsHtml) {
        return { status: 403, headers: { ...noStore, ...debug, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: 'forwardauth_denied', message: 'access denied' }) }
      }
      const user = outcome.identity?.username ?? outcome.identity?.email ?? outcome.identity?.subject
      return page(403, deniedPage({ application: decision.application, user, reason: outcome.debugReason, requestId: outcome.reference ?? requestId, switchUrl: decision.switchUrl }), debug)
    }
    case 'misconfigured':
      return page(400, misconfiguredPage(decision.reason))
    case 'unknown_host':
      return page(403, unknownHostPage(decision.host))
  }
}

/** The decision paths answered on the shared fast path (fast-path.ts). */
export function forwardAuthFastPath(service: ForwardAuth, logger: FastifyBaseLogger, record: RecordRequest, bodyLimit: number): FastPath {
  return (req, res, path) => {
    const contract = DECISION_PATHS[path]
    if (contract === undefined) return false
    const request = new FastRequest(req, res, path, record)
    service.authorize(contract, { headers: req.headers, peerAddress: req.socket.remoteAddress ?? '' })
      .then((outcome) => {
        const answer = answerFor(outcome, request.id)
        request.send(answer.status, answer.headers, answer.body)
      })
      .catch((err: unknown) => request.fail(err, logger, bodyLimit))
    return true
  }
}
