// One HTTP attempt against a downstream system, classified for the outbox: whether trying again
// can help (network errors, timeouts, 5xx, 408, 429) or not (other 4xx, redirects). Shared by the
// webhook and remote OpenFGA clients. Messages name the target by origin only: paths and query
// strings of webhook URLs often carry secrets, and these messages are shown to operators.

import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isLoopbackHost } from '../config/index.ts'
import { provisioningConfigError, rejectedDelivery, retryableDelivery, type DeliveryError } from './errors.ts'

/** Longest wait a Retry-After header may ask for; a longer one is taken as this. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000

/**
 * Parses a target URL: http or https only, no credentials in it, and https unless the host is a
 * loopback address or `allowInsecure` is set (a signed webhook over plain http still leaks its body).
 */
export function checkTargetUrl(raw: unknown, where: string, allowInsecure = false): URL {
  let url: URL
  try {
    if (typeof raw !== 'string') throw new TypeError()
    url = new URL(raw)
  } catch {
    throw provisioningConfigError(where, 'expected an absolute http or https URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw provisioningConfigError(where, `unsupported scheme ${JSON.stringify(url.protocol)}: expected http or https`)
  }
  if (url.username !== '' || url.password !== '') {
    throw provisioningConfigError(where, 'the URL must not hold credentials: send them in a header instead')
  }
  if (url.protocol === 'http:' && !allowInsecure && !isLoopbackHost(url.hostname)) {
    throw provisioningConfigError(where, `plain http to ${url.host} is refused: use https (or set allowInsecure on a trusted network)`)
  }
  return url
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Header names must be tokens and values must not hold CR, LF or NUL (no header injection). */
export function checkHeaders(headers: unknown, where: string, reserved: readonly string[]): Record<string, string> {
  if (headers === undefined) return {}
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw provisioningConfigError(where, 'expected an object of header names to values')
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw provisioningConfigError(where, `invalid header name ${JSON.stringify(name.slice(0, 60))}`)
    if (reserved.includes(name.toLowerCase())) throw provisioningConfigError(`${where}.${name}`, 'this header is set by Gatehouse')
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw provisioningConfigError(`${where}.${name}`, 'expected text without line breaks')
    out[name] = value
  }
  return out
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds from `now`, capped; undefined if absent or invalid. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined
  const text = header.trim()
  let ms: number
  if (/^\d+$/.test(text)) ms = Number(text) * 1000
  else {
    const at = Date.parse(text)
    if (Number.isNaN(at)) return undefined
    ms = at - now
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS)
}

export interface HttpReply {
  status: number
  headers: Headers
  /** The body's first `maxBodyBytes` bytes as text. */
  body: string
  truncated: boolean
}

export interface HttpAttempt {
  /** Names the call in messages, e.g. `webhook POST https://hooks.example.com`. */
  label: string
  url: URL
  method: string
  headers: Record<string, string>
  body?: string
  timeoutMs: number
  maxBodyBytes: number
}

// node:http, not fetch: a delivery is one small request to a known host, and fetch's stream
// machinery cost about 1 ms of CPU per request, more than the rest of a delivery together.
// Keep-alive agents reuse connections to the same target across deliveries.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 16 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
}

function headersOf(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  return headers
}

class DeliveryTimeout extends Error {
  override name = 'TimeoutError'
}

function networkFailure(label: string, err: unknown, timeoutMs: number): DeliveryError {
  const e = err as { name?: string; code?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return retryableDelivery(`${label}: no answer within ${timeoutMs} ms`, err)
  const why = e?.code ?? e?.cause?.code ?? e?.cause?.message ?? (err instanceof Error ? err.message : String(err))
  return retryableDelivery(`${label}: connection failed (${why})`, err)
}

/**
 * Sends one request with a deadline covering the whole exchange; never follows redirects. Reads
 * at most `maxBodyBytes` of the answer, then stops the download: a hostile server cannot fill memory.
 */
export function sendOnce(a: HttpAttempt): Promise<HttpReply> {
  return new Promise<HttpReply>((resolve, reject) => {
    const request = a.url.protocol === 'https:' ? httpsRequest : httpRequest
    const body = a.body === undefined ? undefined : Buffer.from(a.body)
    const headers: Record<string, string> = { 'accept-encoding': 'identity', ...a.headers }
    if (body !== undefined) headers['content-length'] = String(body.length)
    let settled = false
    const fail = (err: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      reject(networkFailure(a.label, err, a.timeoutMs))
    }
    const req = request(a.url, { method: a.method, headers, agent: agents[a.url.protocol as 'http:' | 'https:'] }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      let truncated = false
      const finish = () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (truncated) res.destroy()
        resolve({ status: res.statusCode ?? 0, headers: headersOf(res.headers), body: Buffer.concat(chunks).subarray(0, a.maxBodyBytes).toString('utf8'), truncated })
      }
      res.on('data', (chunk: Buffer) => {
        if (truncated) return
        chunks.push(chunk)
        size += chunk.length
        if (size > a.maxBodyBytes) { truncated = true; finish() }
      })
      res.on('end', finish)
      res.on('error', fail)
      res.on('aborted', () => fail(new Error('the answer was cut off')))
    })
    const timer = setTimeout(() => fail(new DeliveryTimeout()), a.timeoutMs).unref()
    req.on('error', fail)
    req.end(body)
  })
}

/** One line of at most 200 printable characters of a response body, for operators. */
export function excerpt(text: string): string {
  const line = text.replace(/[\x00-\x1f\x7f\s]+/g, ' ').trim()
  return line.length > 200 ? line.slice(0, 200) + '…' : line
}

/** Where a redirect points, by origin only (its path may carry a secret). */
function redirectTarget(location: string | null): string {
  if (!location) return ''
  try { return ` to ${new URL(location).origin}` } catch { return ' to a relative path' }
}

export interface ClassifyOptions {
  /** What the body says about the failure (default: an excerpt of it). */
  describe?(reply: HttpReply): string
  /** Statuses beyond 5xx, 408 and 429 that are worth another attempt. */
  alsoRetryable?: readonly number[]
}

/** undefined for a 2xx; else the delivery error the outbox acts on. */
export function classifyReply(label: string, reply: HttpReply, options: ClassifyOptions = {}): DeliveryError | undefined {
  const { status } = reply
  if (status >= 200 && status < 300) return undefined
  const details: Record<string, unknown> = { status }
  if (status >= 300 && status < 400) {
    const to = redirectTarget(reply.headers.get('location'))
    return rejectedDelivery(`${label} answered ${status}, a redirect${to}: redirects are not followed, configure the final URL`, undefined, details)
  }
  const said = (options.describe ?? ((r: HttpReply) => excerpt(r.body)))(reply)
  const message = `${label} answered ${status}${said ? `: ${said}` : ''}`
  if (status >= 500 || status === 408 || status === 429 || options.alsoRetryable?.includes(status)) {
    const wait = retryAfterMs(reply.headers.get('retry-after'))
    if (wait !== undefined) details.retryAfterMs = wait
    return retryableDelivery(message, undefined, details)
  }
  return rejectedDelivery(message, undefined, details)
}
