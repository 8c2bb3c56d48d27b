// Tuple writes and reads against an external OpenFGA server (or another Gatehouse), over
// OpenFGA's HTTP API. Writes are idempotent (on_duplicate / on_missing: ignore), so the outbox can
// replay a whole action after a failure part-way: OpenFGA takes at most 100 tuple keys per write,
// so a larger action goes out in several requests, each atomic on its own.

import type { TupleKey } from '../store/index.ts'
import { provisioningConfigError, rejectedDelivery } from './errors.ts'
import { checkTargetUrl, classifyReply, excerpt, sendOnce, type HttpReply } from './http-delivery.ts'

/** OpenFGA's maxTuplesPerWrite default: writes and deletes together. */
export const OPENFGA_MAX_TUPLES_PER_WRITE = 100
/** OpenFGA's largest Read page. */
export const OPENFGA_READ_PAGE_SIZE = 100
const DEFAULT_MAX_READ_TUPLES = 10_000
const MAX_WRITE_REPLY_BYTES = 64 * 1024
/** 100 tuples with condition contexts (each ≤ a few KiB) fit with room to spare. */
const MAX_READ_REPLY_BYTES = 4 * 1024 * 1024

export interface RemoteOpenFgaOptions {
  /** Base URL of the API, e.g. `https://fga.example.com` (https unless loopback or `allowInsecure`). */
  url: string
  storeId: string
  /** Sent as `Authorization: Bearer <token>` (OpenFGA's preshared-key authentication). */
  token?: string
  timeoutMs: number
  /** Pins writes to one model; else the store's latest model validates them. */
  authorizationModelId?: string
  allowInsecure?: boolean
  /** read() fails rather than hold more tuples than this (default 10000). */
  maxReadTuples?: number
}

export interface RemoteTupleFilter { object?: string; relation?: string; user?: string }

export interface RemoteTupleWriter {
  /** Deletes, then writes; tuples already there (or already gone) are no-ops. */
  write(writes: readonly TupleKey[], deletes: readonly TupleKey[]): Promise<void>
  /** Every tuple matching the filter, through all pages. OpenFGA requires `object` (at least `type:`) once any field is set. */
  read(filter: RemoteTupleFilter): Promise<TupleKey[]>
}

export interface WriteChunk { writes: TupleKey[]; deletes: TupleKey[] }

const keyOf = (t: TupleKey) => `${t.object}#${t.relation}@${t.user}`

function checkTuple(t: TupleKey, what: string): void {
  if (typeof t?.object !== 'string' || typeof t.relation !== 'string' || typeof t.user !== 'string') {
    throw rejectedDelivery(`OpenFGA ${what}: expected tuple keys with text object, relation and user`)
  }
}

/**
 * Splits an action into requests of at most `max` tuple keys, deletes first (access is removed
 * before any is granted), dropping repeats (OpenFGA refuses a tuple twice in one request).
 */
export function chunkTupleWrites(writes: readonly TupleKey[], deletes: readonly TupleKey[], max = OPENFGA_MAX_TUPLES_PER_WRITE): WriteChunk[] {
  const unique = (list: readonly TupleKey[], what: string) => {
    const seen = new Map<string, TupleKey>()
    for (const t of list) { checkTuple(t, what); if (!seen.has(keyOf(t))) seen.set(keyOf(t), t) }
    return seen
  }
  const w = unique(writes, 'write')
  const d = unique(deletes, 'delete')
  for (const k of w.keys()) {
    if (d.has(k)) throw rejectedDelivery(`OpenFGA write: tuple ${k} is both written and deleted in one action`)
  }
  const all = [...[...d.values()].map((t) => ({ t, del: true })), ...[...w.values()].map((t) => ({ t, del: false }))]
  const chunks: WriteChunk[] = []
  for (let i = 0; i < all.length; i += max) {
    const part = all.slice(i, i + max)
    chunks.push({
      writes: part.filter((p) => !p.del).map((p) => p.t),
      // A delete names the tuple only; OpenFGA refuses a condition there.
      deletes: part.filter((p) => p.del).map(({ t }) => ({ object: t.object, relation: t.relation, user: t.user })),
    })
  }
  return chunks
}

/** OpenFGA answers errors as `{"code": "...", "message": "..."}`. */
function describeOpenFga(reply: HttpReply): string {
  try {
    const body = JSON.parse(reply.body) as { code?: unknown; message?: unknown }
    if (typeof body?.code === 'string' || typeof body?.message === 'string') {
      return excerpt([body.code, body.message].filter((x) => typeof x === 'string').join(': '))
    }
  } catch { /* not JSON: fall through */ }
  return excerpt(reply.body)
}

/** Validates the options (throwing a configuration error naming `where`) and returns the client. */
export function createRemoteTupleWriter(options: RemoteOpenFgaOptions, where = 'openfga'): RemoteTupleWriter {
  const base = checkTargetUrl(options?.url, `${where}.url`, options.allowInsecure === true)
  if (typeof options.storeId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(options.storeId)) {
    throw provisioningConfigError(`${where}.storeId`, 'expected a store id (letters, digits, - and _)')
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '' || /[\s\0]/.test(options.token))) {
    throw provisioningConfigError(`${where}.token`, 'expected a token without white space')
  }
  if (options.authorizationModelId !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(options.authorizationModelId)) {
    throw provisioningConfigError(`${where}.authorizationModelId`, 'expected a model id')
  }
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 1 || options.timeoutMs > 300_000) {
    throw provisioningConfigError(`${where}.timeoutMs`, 'expected a whole number of milliseconds from 1 to 300000')
  }
  const maxRead = options.maxReadTuples ?? DEFAULT_MAX_READ_TUPLES
  const prefix = base.href.replace(/\/+$/, '') + `/stores/${encodeURIComponent(options.storeId)}`
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (options.token) headers.authorization = `Bearer ${options.token}`

  async function post(op: 'write' | 'read', body: unknown): Promise<unknown> {
    const label = `OpenFGA ${op} ${base.origin}`
    const reply = await sendOnce({
      label,
      url: new URL(`${prefix}/${op}`),
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      timeoutMs: options.timeoutMs,
      maxBodyBytes: op === 'read' ? MAX_READ_REPLY_BYTES : MAX_WRITE_REPLY_BYTES,
    })
    // 409 is how OpenFGA reports a transaction that lost a race with a concurrent write.
    const failure = classifyReply(label, reply, { describe: describeOpenFga, alsoRetryable: [409] })
    if (failure) throw failure
    if (reply.truncated) throw rejectedDelivery(`${label}: the answer is larger than ${MAX_READ_REPLY_BYTES} bytes`)
    try {
      return reply.body === '' ? {} : JSON.parse(reply.body)
    } catch (err) {
      throw rejectedDelivery(`${label}: the answer is not JSON: ${excerpt(reply.body)}`, err)
    }
  }

  const model = options.authorizationModelId === undefined ? {} : { authorization_model_id: options.authorizationModelId }

  return {
    async write(writes, deletes) {
      for (const chunk of chunkTupleWrites(writes, deletes)) {
        await post('write', {
          ...(chunk.writes.length > 0 ? { writes: { tuple_keys: chunk.writes, on_duplicate: 'ignore' } } : {}),
          ...(chunk.deletes.length > 0 ? { deletes: { tuple_keys: chunk.deletes, on_missing: 'ignore' } } : {}),
          ...model,
        })
      }
    },

    async read(filter) {
      const tupleKey = Object.fromEntries(Object.entries(filter ?? {}).filter(([k, v]) => ['object', 'relation', 'user'].includes(k) && v))
      const out: TupleKey[] = []
      const seen = new Set<string>()
      let token = ''
      for (;;) {
        const page = await post('read', {
          ...(Object.keys(tupleKey).length > 0 ? { tuple_key: tupleKey } : {}),
          page_size: OPENFGA_READ_PAGE_SIZE,
          ...(token ? { continuation_token: token } : {}),
        }) as { tuples?: { key?: TupleKey }[]; continuation_token?: string }
        if (!Array.isArray(page?.tuples)) throw rejectedDelivery('OpenFGA read: the answer has no tuples list')
        for (const t of page.tuples) {
          if (!t?.key) throw rejectedDelivery('OpenFGA read: a tuple without a key')
          checkTuple(t.key, 'read')
          out.push(t.key.condition ? t.key : { object: t.key.object, relation: t.key.relation, user: t.key.user })
        }
        if (out.length > maxRead) throw rejectedDelivery(`OpenFGA read: more than ${maxRead} tuples match ${JSON.stringify(tupleKey)}`)
        token = typeof page.continuation_token === 'string' ? page.continuation_token : ''
        if (token === '') return out
        // A server that hands out a token twice would otherwise keep this loop going forever.
        if (seen.has(token)) throw rejectedDelivery('OpenFGA read: the server repeated a continuation token')
        seen.add(token)
      }
    },
  }
}
