// Client records for the provider without a store read per request: every token and
// introspection request looks its client up, and that read (plus parsing its metadata) was a
// measurable part of each. Changes made through this repository take effect at once; changes
// made elsewhere (another replica, the CLI) within `ttlMs`, the bound forward-auth already
// accepts for a revoked session. Absent clients are not remembered, so a new client works at once.

import type { OidcClientRecord, OidcClientsRepo } from '../store/index.ts'

export interface ClientCacheOptions {
  /** How long a record read from the store is served without reading it again. Default 2,000 ms. */
  ttlMs?: number
  /** Most records kept; the oldest goes first. Default 1,000. */
  maxEntries?: number
  now?: () => number
}

/** A record with its metadata as JSON text: each caller gets its own parsed copy. */
interface Frozen {
  record: OidcClientRecord
  metadata: string
}

interface Entry {
  record: Promise<Frozen | null>
  /** The record once read. */
  settled?: Frozen | null
  expires: number
}

/**
 * What a cached repository is serving for a client right now, as an identity: the same object
 * means the same record from the same read, still fresh. Undefined when nothing fresh is cached.
 */
export type ClientRecordStamp = (clientId: string) => object | undefined

const stamps = new WeakMap<OidcClientsRepo, ClientRecordStamp>()

/** The stamp of a repository made by cachedClientsRepo; undefined for any other repository. */
export function clientRecordStampOf(repo: OidcClientsRepo): ClientRecordStamp | undefined {
  return stamps.get(repo)
}

export function cachedClientsRepo(repo: OidcClientsRepo, options: ClientCacheOptions = {}): OidcClientsRepo {
  const ttlMs = options.ttlMs ?? 2000
  const maxEntries = options.maxEntries ?? 1000
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  // Bumped by every write, so a read that started before a write never lands in the cache.
  let generation = 0

  const forget = (clientId: string) => {
    generation++
    entries.delete(clientId)
  }

  const repository: OidcClientsRepo = {
    async get(clientId) {
      const entry = entries.get(clientId)
      if (entry !== undefined && entry.expires > now()) return thaw(await entry.record)
      const started = generation
      const record = repo.get(clientId).then(freeze)
      if (entry !== undefined) entries.delete(clientId)
      const fresh: Entry = { record, expires: now() + ttlMs }
      record.then((found) => { fresh.settled = found }, () => undefined)
      entries.set(clientId, fresh)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
      try {
        const found = await record
        if (found === null || generation !== started) {
          if (entries.get(clientId) === fresh) entries.delete(clientId)
        }
        return thaw(found)
      } catch (err) {
        if (entries.get(clientId) === fresh) entries.delete(clientId)
        throw err
      }
    },
    list: (page) => repo.list(page),
    async upsert(input) {
      forget(input.clientId)
      try {
        return await repo.upsert(input)
      } finally {
        forget(input.clientId)
      }
    },
    async delete(clientId) {
      forget(clientId)
      try {
        return await repo.delete(clientId)
      } finally {
        forget(clientId)
      }
    },
  }
  // Only entries still in the map: a write removes the entry of its client before and after it.
  stamps.set(repository, (clientId) => {
    const entry = entries.get(clientId)
    return entry !== undefined && entry.expires > now() && entry.settled ? entry.settled : undefined
  })
  return repository
}

const freeze = (record: OidcClientRecord | null): Frozen | null => (record === null ? null : { record, metadata: JSON.stringify(record.metadata) })

/** Callers get their own copy: the provider builds its client from the metadata and may change it. */
function thaw(frozen: Frozen | null): OidcClientRecord | null {
  if (frozen === null) return null
  const { record, metadata } = frozen
  return { ...record, metadata: JSON.parse(metadata) as OidcClientRecord['metadata'], createdAt: new Date(record.createdAt), updatedAt: new Date(record.updatedAt) }
}
