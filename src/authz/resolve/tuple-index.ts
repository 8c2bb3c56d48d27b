// The in-memory tuple index of one store, forward (object → relation → users) for Check, Expand
// and ListUsers, and reverse (user → object type#relation → objects) for ListObjects.
// Model-independent: the same index serves every model version of the store.
//
// Memory is what limits how many tuples a process can hold, so the layout is compact (749 bytes
// of heap per tuple with a Map per edge before, 225 after; see docs/performance.md): each distinct
// user string is parsed and stored once (a UserNode, which also heads that user's reverse lists);
// type and relation strings are shared, and every tuple of an object shares one object string; an
// object's relations are a short linked list of buckets instead of a Map; and a set of tuples is an
// exactly-sized array until it outgrows BUCKET_MAX (REVERSE_MAX), then a Map.
import type { TupleChange, TupleCondition, TupleKey } from '../../store/types.ts'
import { typeOf, type TupleRecord } from './tuples.ts'
import type { CompiledModel } from '../model/compiled.ts'

/**
 * Entries at which a bucket's array becomes a Map: Check looks a user up in it. Reverse lists are
 * only walked in full (ListObjects, group closures), so they stay arrays much longer.
 */
const BUCKET_MAX = 12
const REVERSE_MAX = 64

/** One distinct user string of the index, parsed once; the head of its reverse lists. */
class UserNode {
  readonly text: string
  readonly type: string
  readonly object: string
  readonly relation: string
  readonly wildcard: boolean
  /** Reverse lists: tuples naming this user, by object type#relation. */
  rev: RevList | undefined = undefined

  constructor(text: string, strings: Interner) {
    this.text = text
    const hash = text.indexOf('#')
    this.object = hash < 0 ? text : text.slice(0, hash)
    this.type = strings.get(typeOf(this.object))
    this.relation = hash < 0 ? '' : strings.get(text.slice(hash + 1))
    this.wildcard = this.object.endsWith(':*')
  }
}

/** A stored tuple: its strings are the index's shared ones, the user's parsed parts its UserNode's. */
class IndexedTuple implements TupleRecord {
  readonly object: string
  readonly relation: string
  readonly node: UserNode
  readonly condition: TupleCondition | undefined
  vm: CompiledModel | undefined = undefined
  vok = false

  constructor(object: string, relation: string, node: UserNode, condition: TupleCondition | undefined) {
    this.object = object
    this.relation = relation
    this.node = node
    this.condition = condition
  }

  /** Only validation reads it, once per tuple and model (vm, vok): not worth a field per tuple. */
  get objectType(): string { return typeOf(this.object) }
  get user(): string { return this.node.text }
  get userType(): string { return this.node.type }
  get userObject(): string { return this.node.object }
  get userRelation(): string { return this.node.relation }
  get wildcard(): boolean { return this.node.wildcard }
}

const EMPTY: IndexedTuple[] = []

/**
 * Tuples keyed by user (a bucket) or by object (a reverse list): an array scanned by key while
 * small, a Map beyond `limit`. An array is replaced, not spliced, on removal, so an iterator a
 * paused ListObjects walk holds never skips an entry. One field holds either, to keep the many
 * small sets small.
 */
abstract class TupleSet {
  private items: IndexedTuple[] | Map<string, IndexedTuple> = EMPTY

  protected abstract keyOf(t: IndexedTuple): string
  /** Entries at which the array becomes a Map. */
  protected abstract get limit(): number

  get size(): number {
    return this.items instanceof Map ? this.items.size : this.items.length
  }

  get(key: string): IndexedTuple | undefined {
    const items = this.items
    if (items instanceof Map) return items.get(key)
    for (const t of items) if (this.keyOf(t) === key) return t
    return undefined
  }

  values(): IterableIterator<IndexedTuple> {
    return this.items.values()
  }

  /** Some tuple of a set known not to be empty. */
  any(): IndexedTuple {
    const items = this.items
    return items instanceof Map ? items.values().next().value! : items[0]
  }

  /** Adds or replaces by key; returns the tuple replaced. `fresh`: the caller knows the key is new. */
  set(t: IndexedTuple, fresh = false): IndexedTuple | undefined {
    const key = this.keyOf(t)
    const items = this.items
    if (items instanceof Map) {
      const old = fresh ? undefined : items.get(key)
      items.set(key, t)
      return old
    }
    if (!fresh) for (let i = 0; i < items.length; i++) {
      if (this.keyOf(items[i]) === key) {
        const old = items[i]
        const copy = items.slice()
        copy[i] = t
        this.items = copy
        return old
      }
    }
    if (items.length < this.limit) {
      // A copy of exactly the new length: push would reserve room for 16 more entries.
      const copy = new Array<IndexedTuple>(items.length + 1)
      for (let i = 0; i < items.length; i++) copy[i] = items[i]
      copy[items.length] = t
      this.items = copy
      return undefined
    }
    const map = new Map(items.map((x) => [this.keyOf(x), x]))
    map.set(key, t)
    this.items = map
    return undefined
  }

  delete(key: string): IndexedTuple | undefined {
    const items = this.items
    if (items instanceof Map) {
      const old = items.get(key)
      if (old) items.delete(key)
      return old
    }
    const old = this.get(key)
    if (old) this.items = items.filter((t) => t !== old)
    return old
  }
}

/** Wildcard and userset tuples of a bucket, by user. */
class UserKeyed extends TupleSet {
  protected keyOf(t: IndexedTuple): string { return t.node.text }
  protected get limit(): number { return BUCKET_MAX }
}

/** The tuples of one object#relation, by user; the next bucket holds another relation of the object. */
export class Bucket extends TupleSet {
  readonly relation: string
  /** `type#relation`, the key of the reverse lists its tuples are on. */
  readonly relKey: string
  next: Bucket | undefined = undefined
  /** Wildcard and userset tuples (what Check has to expand), once the bucket has any. */
  private ind: UserKeyed | undefined = undefined

  constructor(relation: string, relKey: string) {
    super()
    this.relation = relation
    this.relKey = relKey
  }

  protected keyOf(t: IndexedTuple): string { return t.node.text }
  protected get limit(): number { return BUCKET_MAX }

  /** Every tuple, keyed by user. */
  get users(): TupleSet {
    return this
  }

  indirect(): IterableIterator<TupleRecord> {
    return this.ind ? this.ind.values() : NONE.values()
  }

  /** Returns the tuple replaced. */
  override set(t: IndexedTuple): IndexedTuple | undefined {
    const old = super.set(t, false)
    if (t.node.wildcard || t.node.relation) (this.ind ??= new UserKeyed()).set(t)
    return old
  }

  override delete(user: string): IndexedTuple | undefined {
    this.ind?.delete(user)
    return super.delete(user)
  }
}

const NONE: readonly TupleRecord[] = []

/** One reverse list of a user: the tuples naming it, of one object type#relation, by object. */
class RevList extends TupleSet {
  readonly relKey: string
  next: RevList | undefined

  constructor(relKey: string, next: RevList | undefined) {
    super()
    this.relKey = relKey
    this.next = next
  }

  protected keyOf(t: IndexedTuple): string { return t.object }
  protected get limit(): number { return REVERSE_MAX }
}

/** Shares one copy of each short repeated string (types, relations). */
class Interner {
  private readonly strings = new Map<string, string>()
  get(s: string): string {
    const have = this.strings.get(s)
    if (have !== undefined) return have
    this.strings.set(s, s)
    return s
  }
}

/** Entries kept in one model's derived cache before it is emptied. */
const DERIVED_MAX = 50_000

export class TupleIndex {
  /** Store revision the index reflects (changes up to and including it are applied). */
  revision: number
  /** Bumped by every change, so a long-running reader can tell that what it memoized is stale. */
  generation = 0
  private count = 0
  /** First bucket of each object; the rest hang off `next`. */
  private readonly objects = new Map<string, Bucket>()
  private readonly users = new Map<string, UserNode>()
  private readonly strings = new Interner()
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
    for (const first of this.objects.values()) {
      for (let bucket: Bucket | undefined = first; bucket; bucket = bucket.next) {
        for (const r of bucket.values()) yield { object: r.object, relation: r.relation, user: r.user, ...(r.condition ? { condition: r.condition } : {}) }
      }
    }
  }

  bucket(object: string, relation: string): Bucket | undefined {
    for (let b = this.objects.get(object); b; b = b.next) if (b.relation === relation) return b
    return undefined
  }

  /** Tuples `<type>:*#<relation>@user`; `relKey` is `type#relation`. */
  byUser(user: string, relKey: string): { values(): IterableIterator<TupleRecord> } | undefined {
    for (let r = this.users.get(user)?.rev; r; r = r.next) if (r.relKey === relKey) return r
    return undefined
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
    const relation = this.strings.get(key.relation)
    let head = this.objects.get(key.object)
    let bucket: Bucket | undefined
    for (let b = head; b; b = b.next) if (b.relation === relation) { bucket = b; break }
    // Every tuple of an object shares the first one's object string (buckets are never empty).
    const object = head ? head.any().object : key.object
    if (!bucket) {
      bucket = new Bucket(relation, this.strings.get(`${typeOf(object)}#${relation}`))
      if (head) { bucket.next = head.next; head.next = bucket } else { head = bucket; this.objects.set(object, bucket) }
    }
    let node = this.users.get(key.user)
    if (!node) { node = new UserNode(key.user, this.strings); this.users.set(key.user, node) }
    const condition = key.condition && key.condition.name ? key.condition : undefined
    const t = new IndexedTuple(object, relation, node, condition)
    const replaced = bucket.set(t)
    if (!replaced) this.count++
    const relKey = bucket.relKey
    let rev = node.rev
    while (rev && rev.relKey !== relKey) rev = rev.next
    if (!rev) { rev = new RevList(relKey, node.rev); node.rev = rev }
    // The bucket already said whether the object is on this list: no scan for a new tuple.
    rev.set(t, !replaced)
  }

  remove(key: { object: string; relation: string; user: string }): void {
    const head = this.objects.get(key.object)
    let prev: Bucket | undefined
    let bucket = head
    while (bucket && bucket.relation !== key.relation) { prev = bucket; bucket = bucket.next }
    const old = bucket?.delete(key.user)
    if (!bucket || !old) return
    this.changed()
    this.count--
    if (bucket.size === 0) {
      if (prev) prev.next = bucket.next
      else if (bucket.next) this.objects.set(key.object, bucket.next)
      else this.objects.delete(key.object)
    }
    const node = old.node
    let prevRev: RevList | undefined
    let rev = node.rev
    const relKey = bucket.relKey
    while (rev && rev.relKey !== relKey) { prevRev = rev; rev = rev.next }
    if (!rev) return
    rev.delete(key.object)
    if (rev.size > 0) return
    if (prevRev) prevRev.next = rev.next
    else node.rev = rev.next
    // Every tuple naming the user is on one of its reverse lists: none left, no tuple names it.
    if (!node.rev) this.users.delete(node.text)
  }

  apply(change: TupleChange): void {
    if (change.operation === 'write') this.add(change.key)
    else this.remove(change.key)
  }
}
