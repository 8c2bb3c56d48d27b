// Webhook deliveries signed the Standard Webhooks way (https://www.standardwebhooks.com/), so
// receivers can verify them with that project's libraries or a few lines of their own:
// `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list
// of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret while secrets rotate.

import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import { provisioningConfigError, rejectedDelivery } from './errors.ts'
import { checkHeaders, checkTargetUrl, classifyReply, sendOnce } from './http-delivery.ts'

export const WEBHOOK_SECRET_PREFIX = 'whsec_'
/** Headers the delivery sets itself; a target's extra headers may not replace them. */
export const WEBHOOK_RESERVED_HEADERS: readonly string[] = [
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-length', 'host', 'connection', 'transfer-encoding',
]
/** The window the Standard Webhooks libraries accept a timestamp in, either side of now. */
export const DEFAULT_TOLERANCE_SECONDS = 300
/** Bytes of a receiver's answer read (for the error message); the rest is not downloaded. */
const MAX_REPLY_BYTES = 4096

export interface WebhookTarget {
  /** https, or http to a loopback address; other plain http only with `allowInsecure`. */
  url: string
  /** `whsec_<base64>`; every one signs, the first being the current secret. */
  secrets: string[]
  timeoutMs: number
  headers?: Record<string, string>
  allowInsecure?: boolean
}

export interface WebhookMessage {
  /** Stable across attempts of one message: receivers deduplicate on it. */
  id: string
  /**
   * The time of this attempt, not of the event: receivers refuse timestamps further than their
   * tolerance (5 minutes by default) from their clock, so a retry needs a fresh one.
   */
  timestamp: Date
  body: string
}

/** The HMAC key of a `whsec_<base64>` secret (24 to 64 bytes, as Standard Webhooks recommends). */
export function parseWebhookSecret(secret: unknown, where = 'webhook.secrets'): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw provisioningConfigError(where, `expected a secret of the form ${WEBHOOK_SECRET_PREFIX}<base64>`)
  }
  const b64 = secret.slice(WEBHOOK_SECRET_PREFIX.length)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw provisioningConfigError(where, `the part after ${WEBHOOK_SECRET_PREFIX} is not base64`)
  }
  const key = Buffer.from(b64, 'base64')
  if (key.length < 24 || key.length > 64) {
    throw provisioningConfigError(where, `the secret holds ${key.length} bytes: expected 24 to 64`)
  }
  return key
}

/** A new random secret (32 bytes) for a webhook target and its receiver. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64')
}

function signatureOf(key: KeyObject, id: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest()
}

/**
 * HMAC keys of the secrets seen so far. Given a raw Buffer, createHmac imports the key afresh on
 * every call, which costs several times the HMAC of a whole event; a KeyObject is imported once.
 * Bounded: a few targets' secrets, plus old ones after rotations.
 */
const hmacKeys = new Map<string, KeyObject>()
const MAX_CACHED_KEYS = 64

function keysOf(secrets: readonly string[], where: string): KeyObject[] {
  if (!Array.isArray(secrets) || secrets.length === 0) throw provisioningConfigError(where, 'expected at least one secret')
  return secrets.map((s, i) => {
    let key = hmacKeys.get(s)
    if (key === undefined) {
      key = createSecretKey(parseWebhookSecret(s, `${where}[${i}]`))
      if (hmacKeys.size >= MAX_CACHED_KEYS) hmacKeys.clear()
      hmacKeys.set(s, key)
    }
    return key
  })
}

/** The `webhook-signature` value: `v1,<base64>` per secret, space-separated. */
export function signWebhook(secrets: readonly string[], id: string, timestamp: number, body: string | Uint8Array): string {
  return keysOf(secrets, 'webhook.secrets').map((key) => `v1,${signatureOf(key, id, timestamp, body).toString('base64')}`).join(' ')
}

export type WebhookVerification = { ok: true; id: string; timestamp: number } | { ok: false; reason: string }

type HeaderBag = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const value = key === undefined ? undefined : headers[key]
  return typeof value === 'string' ? value : value?.[0]
}

/**
 * Checks a delivery as a receiver should: the three headers present, the timestamp within
 * `toleranceSeconds` of `now` (replays), and one `v1` signature matching one of `secrets`,
 * compared in constant time. `body` must be the raw bytes received, before any JSON parsing.
 */
export function verifyWebhook(
  secrets: readonly string[],
  headers: HeaderBag,
  body: string | Uint8Array,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  now: Date = new Date(),
): WebhookVerification {
  const keys = keysOf(secrets, 'secrets')
  const id = header(headers, 'webhook-id')
  const ts = header(headers, 'webhook-timestamp')
  const signatures = header(headers, 'webhook-signature')
  if (!id) return { ok: false, reason: 'missing webhook-id header' }
  if (!ts) return { ok: false, reason: 'missing webhook-timestamp header' }
  if (!signatures) return { ok: false, reason: 'missing webhook-signature header' }
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'invalid webhook-timestamp: expected unix seconds' }
  const timestamp = Number(ts)
  const skew = Math.floor(now.getTime() / 1000) - timestamp
  if (skew > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp too old' }
  if (skew < -toleranceSeconds) return { ok: false, reason: 'webhook-timestamp too far in the future' }
  const expected = keys.map((key) => signatureOf(key, id, timestamp, body))
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',')
    // Other versions (v1a: asymmetric) may sit next to v1 entries; they are skipped, not errors.
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue
    const given = Buffer.from(entry.slice(comma + 1), 'base64')
    if (expected.some((e) => e.length === given.length && timingSafeEqual(e, given))) return { ok: true, id, timestamp }
  }
  return { ok: false, reason: 'no signature matches' }
}

/** Validates a target as configured (URL, secrets, headers, timeout); throws a configuration error naming `where`. */
export function checkWebhookTarget(target: WebhookTarget, where: string): URL {
  const url = checkTargetUrl(target?.url, `${where}.url`, target?.allowInsecure === true)
  keysOf(target.secrets, `${where}.secrets`)
  checkHeaders(target.headers, `${where}.headers`, WEBHOOK_RESERVED_HEADERS)
  if (!Number.isInteger(target.timeoutMs) || target.timeoutMs < 1 || target.timeoutMs > 300_000) {
    throw provisioningConfigError(`${where}.timeoutMs`, 'expected a whole number of milliseconds from 1 to 300000')
  }
  return url
}

/**
 * POSTs `message.body` (JSON) signed with every secret. Resolves on a 2xx; otherwise throws a
 * DeliveryError: retryable for network errors, timeouts, 5xx, 408 and 429 (with `Retry-After` in
 * `details.retryAfterMs`), rejected for other 4xx and for redirects, which are never followed.
 */
export async function deliverWebhook(target: WebhookTarget, message: WebhookMessage): Promise<{ status: number }> {
  let url: URL
  try {
    url = checkWebhookTarget(target, 'webhook')
  } catch (err) {
    throw rejectedDelivery(`webhook target: ${(err as Error).message}`, err)
  }
  if (typeof message.id !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(message.id)) {
    throw rejectedDelivery('webhook message id: expected 1 to 256 printable ASCII characters')
  }
  const timestamp = Math.floor(message.timestamp.getTime() / 1000)
  if (!Number.isFinite(timestamp)) throw rejectedDelivery('webhook message timestamp: invalid date')
  const label = `webhook POST ${url.origin}`
  // Headers, not an object spread: a configured 'Content-Type' must replace the default, not join it.
  const headers = new Headers({ 'content-type': 'application/json', 'user-agent': 'Gatehouse-Webhooks' })
  for (const [name, value] of Object.entries(target.headers ?? {})) headers.set(name, value)
  headers.set('webhook-id', message.id)
  headers.set('webhook-timestamp', String(timestamp))
  headers.set('webhook-signature', signWebhook(target.secrets, message.id, timestamp, message.body))
  const reply = await sendOnce({
    label,
    url,
    method: 'POST',
    headers: Object.fromEntries(headers),
    body: message.body,
    timeoutMs: target.timeoutMs,
    maxBodyBytes: MAX_REPLY_BYTES,
  })
  const failure = classifyReply(label, reply)
  if (failure) throw failure
  return { status: reply.status }
}
