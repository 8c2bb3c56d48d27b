// The in-memory tuple index of one store: plain Maps, forward (object → relation → users) for Check,
// Expand and ListUsers, and reverse (user → object type#relation → objects) for ListObjects.
// Model-independent: the same index serves every model version of the store.
import type { TupleChange, TupleKey } from '../../store/types.ts'
import { toRecord, type TupleRecord } from './tuples.ts'

/** The tuples of one object#relation. */
export class Bucket {
  /** Every tuple, keyed by its user string. */
  readonly users = new Map<string, TupleRecord>()
  /** The subset whose user is a wildcard or a userset (what Check has to expand). */
  readonly indirect = new Map<string, TupleRecord>()
}

/** Entries kept in one model's derived cache before it is emptied. */
const DERIVED_MAX = 50_000

export class TupleIndex {
  /** Store revision the index reflects (changes up to and including it are applied). */
  revision: number
  /** Bumped by every change, so a long-running reader can tell that what it memoized is stale. */
  generation = 0
  private count = 0
  private readonly objects = new Map<string, Map<string, Bucket>>()
  private readonly reverse = new Map<string, Map<string, Map<string, TupleRecord>>>()
  private derivedByModel = new WeakMap<object, Map<string, unknown>>()
  private derivedUsed = false

  constructor(revision = 0) {
    this.revision = revision
  }

  static from(tuples: Iterable<TupleKey>, revision = 0): TupleIndex {
    const idx = new TupleIndex(revision)
    for (const t of tuples) idx.add(t)
    return idx
  }

  get size(): number {
    return this.count
  }

  /** Every tuple held, as keys (for copies that are changed without touching this index). */
  *keys(): Generator<TupleKey> {
    for (const rels of this.objects.values()) {
      for (const bucket of rels.values()) {
        for (const r of bucket.users.values()) yield { object: r.object, relation: r.relation, user: r.user, ...(r.condition ? { condition: r.condition } : {}) }
      }
    }
  }

  bucket(object: string, relation: string): Bucket | undefined {
    return this.objects.get(object)?.get(relation)
  }

  /** Tuples `<type>:*#<relation>@user` keyed by object; `relKey` is `type#relation`. */
  byUser(user: string, relKey: string): Map<string, TupleRecord> | undefined {
    return this.reverse.get(user)?.get(relKey)
  }

  /**
   * A per-model scratch space for results derived from the current tuples (e.g. a user's group
   * closure). Emptied by any change, so what it holds is always exact for the current contents.
   */
  derived(model: object): Map<string, unknown> {
    this.derivedUsed = true
    let m = this.derivedByModel.get(model)
    if (!m) { m = new Map(); this.derivedByModel.set(model, m) }
    if (m.size > DERIVED_MAX) m.clear()
    return m
  }

  private changed(): void {
    this.generation++
    if (this.derivedUsed) { this.derivedByModel = new WeakMap(); this.derivedUsed = false }
  }

  /** Adds or replaces (same object, relation, user) a tuple. */
  add(key: TupleKey): void {
    this.changed()
    const rec = toRecord(key)
    let rels = this.objects.get(rec.object)
    if (!rels) { rels = new Map(); this.objects.set(rec.object, rels) }
    let bucket = rels.get(rec.relation)
    if (!bucket) { bucket = new Bucket(); rels.set(rec.relation, bucket) }
    if (!bucket.users.has(rec.user)) this.count++
    bucket.users.set(rec.user, rec)
    if (rec.wildcard || rec.userRelation) bucket.indirect.set(rec.user, rec)
    let byRel = this.reverse.get(rec.user)
    if (!byRel) { byRel = new Map(); this.reverse.set(rec.user, byRel) }
    const relKey = `${rec.objectType}#${rec.relation}`
    let objs = byRel.get(relKey)
    if (!objs) { objs = new Map(); byRel.set(relKey, objs) }
    objs.set(rec.object, rec)
  }

  remove(key: { object: string; relation: string; user: string }): void {
    const rels = this.objects.get(key.object)
    const bucket = rels?.get(key.relation)
    const rec = bucket?.users.get(key.user)
    if (!rels || !bucket || !rec) return
    this.changed()
    bucket.users.delete(key.user)
    bucket.indirect.delete(key.user)
    if (bucket.users.size === 0) {
      rels.delete(key.relation)
      if (rels.size === 0) this.objects.delete(key.object)
    }
    this.count--
    const byRel = this.reverse.get(key.user)
    const relKey = `${rec.objectType}#${rec.relation}`
    const objs = byRel?.get(relKey)
    if (byRel && objs) {
      objs.delete(key.object)
      if (objs.size === 0) {
        byRel.delete(relKey)
        if (byRel.size === 0) this.reverse.delete(key.user)
      }
    }
  }

  apply(change: TupleChange): void {
    if (change.operation === 'write') this.add(change.key)
    else this.remove(change.key)
  }
}
