// Makes the stored bootstrap clients equal to the declared list: creates, updates, deletes the
// ones no longer declared, and writes nothing when nothing changed (a secret that still verifies
// against the stored hash keeps that hash). Clients created through the API or CLI are never
// touched, and a declared id that belongs to one is refused before anything is written.

import { AppError } from '../../lib/index.ts'
import type { JsonObject, OidcClientRecord, OidcClientsRepo } from '../../store/index.ts'
import { GENERATED_SECRET_PARAMS, hashSecret, verifySecret } from '../secrets.ts'
import { needsSecret, type ClientSpec } from './schema.ts'
import type { ClientService } from './service.ts'

export interface DeclaredClient {
  spec: ClientSpec
  /** Plaintext secret (from `secret` or `secretFile`); required when the auth method uses one. */
  secret?: string
  /** Where the entry came from, for messages (e.g. `clients[2]`). */
  where: string
}

export interface SyncCounts {
  created: number
  updated: number
  deleted: number
  unchanged: number
}

export const SyncErrorCodes = {
  invalid: 'bootstrap_invalid',
} as const

async function allClients(repo: OidcClientsRepo): Promise<OidcClientRecord[]> {
  const out: OidcClientRecord[] = []
  let continuationToken = ''
  do {
    const page = await repo.list({ pageSize: 100, continuationToken })
    out.push(...page.items)
    continuationToken = page.continuationToken
  } while (continuationToken !== '')
  return out
}

export async function syncBootstrapClients(repo: OidcClientsRepo, service: ClientService, declared: DeclaredClient[]): Promise<SyncCounts> {
  const fail = (where: string, message: string) => new AppError(SyncErrorCodes.invalid, `${where}: ${message}`, { status: 400 })
  const stored = new Map((await allClients(repo)).map((c) => [c.clientId, c]))

  // Everything is checked before the first write, so a bad entry leaves the store as it was.
  const seen = new Set<string>()
  const planned: { input: { clientId: string; metadata: JsonObject; secret?: string }; current?: OidcClientRecord }[] = []
  for (const entry of declared) {
    const id = entry.spec.id
    if (seen.has(id)) throw fail(entry.where, `client ${id} is declared twice`)
    seen.add(id)
    const current = stored.get(id)
    if (current && current.source !== 'bootstrap') {
      throw fail(entry.where, `client ${id} was created through the ${current.source === 'cli' ? 'CLI' : 'admin API'}; rename the entry or delete that client first`)
    }
    if (needsSecret(entry.spec) && entry.secret === undefined) throw fail(entry.where, `client ${id} is confidential: give secret or secretFile`)
    let metadata: JsonObject
    try {
      metadata = await service.check(entry.spec)
    } catch (err) {
      throw err instanceof AppError && err.status < 500 ? fail(entry.where, err.message) : err
    }
    planned.push({ input: { clientId: id, metadata, secret: needsSecret(entry.spec) ? entry.secret : undefined }, current })
  }

  const counts: SyncCounts = { created: 0, updated: 0, deleted: 0, unchanged: 0 }
  for (const { input, current } of planned) {
    let secretHash: string | null = null
    if (input.secret !== undefined) {
      const keep = current?.secretHash != null && await verifySecret(input.secret, current.secretHash).catch(() => false)
      secretHash = keep ? current!.secretHash : await hashSecret(input.secret, GENERATED_SECRET_PARAMS)
    }
    const { changed } = await repo.upsert({ clientId: input.clientId, metadata: input.metadata, secretHash, source: 'bootstrap' })
    if (!changed) counts.unchanged++
    else if (current) counts.updated++
    else counts.created++
  }
  for (const record of stored.values()) {
    if (record.source === 'bootstrap' && !seen.has(record.clientId) && await repo.delete(record.clientId)) counts.deleted++
  }
  return counts
}
