// Tuples a rule keeps in step for one subject, removing only what it wrote itself: a tuple that
// already existed when the rule wanted it (an operator wrote it by hand) is never claimed, so it
// is never deleted. Ownership is recorded before the write, so a crash between the two leaves a
// claim the next delivery honours (the write is repeated; writes ignore duplicates).

import type { OutboxRepo, TupleKey } from '../store/index.ts'

/** A relationship store tuples are written to: one of this Gatehouse's, or an OpenFGA server. */
export interface TupleBackend {
  /** Which of `keys` exist now (as `tupleId`s). */
  existing(keys: readonly TupleKey[]): Promise<Set<string>>
  /** Writes ignore existing tuples and deletes ignore missing ones. */
  write(writes: readonly TupleKey[], deletes: readonly TupleKey[]): Promise<void>
}

export function tupleId(t: TupleKey): string {
  return `${t.object}#${t.relation}@${t.user}`
}

function parseTupleId(id: string): TupleKey {
  const hash = id.indexOf('#')
  const at = id.indexOf('@', hash)
  return { object: id.slice(0, hash), relation: id.slice(hash + 1, at), user: id.slice(at + 1) }
}

export interface TupleSyncResult {
  written: TupleKey[]
  deleted: TupleKey[]
}

export async function syncOwnedTuples(
  backend: TupleBackend, outbox: OutboxRepo, owner: string, subject: string, desired: readonly TupleKey[],
): Promise<TupleSyncResult> {
  const owned = new Set(await outbox.owned(owner, subject))
  const wanted = new Map(desired.map((t) => [tupleId(t), t]))
  const present = await backend.existing([...wanted.values()])
  // Ours to write: wanted and absent, or wanted and already ours (a repeat after a crash).
  const written = [...wanted].filter(([id]) => !present.has(id)).map(([, t]) => t)
  const claim = written.map(tupleId).filter((id) => !owned.has(id))
  const deleted = [...owned].filter((id) => !wanted.has(id)).map(parseTupleId)
  if (written.length === 0 && deleted.length === 0) return { written, deleted }
  await outbox.changeOwned({ owner, subject, add: claim, remove: [] })
  await backend.write(written, deleted)
  await outbox.changeOwned({ owner, subject, add: [], remove: deleted.map(tupleId) })
  return { written, deleted }
}
