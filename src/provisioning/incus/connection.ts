// One HTTPS connection pool to an incusd over mutual TLS, and the mapping of its failures to
// delivery errors: whatever may pass (network, timeout, 5xx, 408, 429) is retryable, any other
// refusal is not. Messages name method, path, status and Incus's own error text — never secrets.

import { Agent, request } from 'node:https'
import type { IncomingMessage } from 'node:http'
import { DeliveryError, provisioningConfigError, rejectedDelivery, retryableDelivery } from '../errors.ts'
import { clientCredentials, fetchPinnedCertificate, pinnedIdentity, serverTrust, type IncusTlsOptions } from './tls.ts'

export interface IncusConnectionOptions extends IncusTlsOptions {
  /** Base URL of the Incus API, e.g. `https://incus.example:8443`. */
  url: string
  /** Budget for one request, from connecting to the last byte of the answer. Default 10 s. */
  timeoutMs?: number
  /** Most concurrent connections kept to this server. Default 4. */
  maxSockets?: number
  /** Where in the configuration these options came from, for error messages. */
  where?: string
}

/** An answer from Incus, whatever its status. */
export interface IncusResponse {
  status: number
  etag: string | undefined
  /** Incus's `metadata` (for sync answers) — undefined when the body had none. */
  metadata: unknown
  /** Incus's `error` text on failures ('' when none). */
  error: string
}

export interface IncusRequest {
  body?: unknown
  ifMatch?: string
}

export interface IncusConnection {
  /** Sends one request; throws a retryable DeliveryError only when no answer came. */
  send(method: string, path: string, req?: IncusRequest): Promise<IncusResponse>
  /** The DeliveryError for an answer that was not what the caller could handle. */
  failure(method: string, path: string, res: IncusResponse, hint?: string): DeliveryError
  close(): void
}

const DEFAULT_TIMEOUT_MS = 10_000
/**
 * Incus 6.0 answers some refusals about what a project holds with 500 (a limit below current
 * use, a restriction existing instances break, deleting a project in use): they stay refused.
 */
const REFUSALS_AS_500 = /is too low|Conflict detected when changing|Only empty projects/i
const MAX_BODY_BYTES = 8 * 1024 * 1024

export function createIncusConnection(o: IncusConnectionOptions): IncusConnection {
  const where = o.where ?? 'incus'
  let base: URL
  try {
    base = new URL(o.url)
  } catch {
    throw provisioningConfigError(`${where}.url`, 'is not a URL')
  }
  if (base.protocol !== 'https:') throw provisioningConfigError(`${where}.url`, 'must be an https:// URL')
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const creds = clientCredentials(o, where)
  const trust = serverTrust(o, where)
  const host = base.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(base.port || 443)
  const prefix = base.pathname.replace(/\/+$/, '')

  const makeAgent = (ca: string) => new Agent({
    keepAlive: true,
    maxSockets: o.maxSockets ?? 4,
    ...creds,
    ca,
    // A pinned certificate is its own trust anchor even when it is a leaf issued by some CA.
    allowPartialTrustChain: trust.pin !== undefined,
    ...(trust.pin !== undefined ? { checkServerIdentity: pinnedIdentity(trust.pin) } : {}),
  })
  // With a pin and no CA the certificate is learned (and checked) on first use; a failed
  // attempt is forgotten so the next delivery tries again.
  let agent: Promise<Agent> | undefined
  const getAgent = (): Promise<Agent> => {
    agent ??= trust.ca !== undefined
      ? Promise.resolve(makeAgent(trust.ca))
      : fetchPinnedCertificate(host, port, trust.pin!, timeoutMs).then(makeAgent, (err: unknown) => {
        agent = undefined
        throw err
      })
    return agent
  }

  async function send(method: string, path: string, req: IncusRequest = {}): Promise<IncusResponse> {
    const a = await getAgent()
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body))
    const headers: Record<string, string> = { accept: 'application/json' }
    if (payload) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(payload.length)
    }
    if (req.ifMatch) headers['if-match'] = req.ifMatch
    const signal = AbortSignal.timeout(timeoutMs)
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(a, method, path, payload, headers, signal)
      } catch (err) {
        // A kept-alive socket the server had closed: send once more on a fresh one. Safe for every
        // request made here: GET, PUT under If-Match, and a repeated POST or DELETE is recognised
        // by its answer (duplicate name, not found).
        if (!(err instanceof StaleSocket) || attempt > 1) throw err instanceof StaleSocket ? err.cause : err
      }
    }
  }

  function once(a: Agent, method: string, path: string, payload: Buffer | undefined, headers: Record<string, string>, signal: AbortSignal): Promise<IncusResponse> {
    return new Promise<IncusResponse>((resolve, reject) => {
      const r = request({ host, port, path: prefix + path, method, headers, agent: a, signal }, (res) => {
        readBody(res).then((text) => resolve(parse(res, text)), (err: Error) => {
          const why = signal.aborted ? `no complete answer within ${timeoutMs} ms` : err.message
          reject(retryableDelivery(`Incus ${method} ${path} failed: ${why}`, err, { method, path }))
        })
      })
      r.once('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof DeliveryError) return reject(err)
        // Fail closed, and for good: another attempt meets the same certificate.
        if (isCertificateError(err)) {
          return reject(rejectedDelivery(`Incus ${method} ${path}: the server certificate is not trusted (${err.code ?? err.message})`, err, { method, path }))
        }
        const why = signal.aborted ? `no answer within ${timeoutMs} ms` : `${err.code ?? err.message}`
        const failed = retryableDelivery(`Incus ${method} ${path} failed: ${why}`, err, { method, path })
        const stale = r.reusedSocket && !signal.aborted && (err.code === 'ECONNRESET' || err.code === 'EPIPE')
        reject(stale ? new StaleSocket(failed) : failed)
      })
      r.end(payload)
    })
  }

  function failure(method: string, path: string, res: IncusResponse, hint?: string): DeliveryError {
    const text = `Incus ${method} ${path} answered ${res.status}${res.error ? `: ${res.error}` : ''}${hint ? ` (${hint})` : ''}`
    const details = { method, path, status: res.status, incusError: res.error }
    const retry = (res.status >= 500 && !REFUSALS_AS_500.test(res.error)) || res.status === 408 || res.status === 429 || res.status === 412
    return retry ? retryableDelivery(text, undefined, details) : rejectedDelivery(text, undefined, details)
  }

  return {
    send,
    failure,
    close() {
      agent?.then((a) => a.destroy(), () => undefined)
      agent = undefined
    },
  }
}

class StaleSocket extends Error {
  override readonly cause: DeliveryError
  constructor(cause: DeliveryError) {
    super('stale keep-alive socket')
    this.cause = cause
  }
}

function isCertificateError(err: NodeJS.ErrnoException): boolean {
  return /^ERR_TLS_CERT|CERT|SELF_SIGNED|VERIFY|ISSUER/.test(err.code ?? '')
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    res.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) res.destroy(new Error('answer too large'))
      else chunks.push(c)
    })
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.once('error', reject)
  })
}

function parse(res: IncomingMessage, text: string): IncusResponse {
  let body: { metadata?: unknown; error?: unknown } = {}
  try {
    body = text ? JSON.parse(text) : {}
  } catch {
    // A proxy's HTML error page: the status still tells what happened.
  }
  const etag = res.headers.etag
  return {
    status: res.statusCode ?? 0,
    etag: typeof etag === 'string' ? etag : undefined,
    metadata: body?.metadata ?? undefined,
    error: typeof body?.error === 'string' ? body.error.slice(0, 500) : '',
  }
}
