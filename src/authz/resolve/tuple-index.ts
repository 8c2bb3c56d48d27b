// The in-memory tuple index of one store, forward (object → relation → users) for Check, Expand
// and ListUsers, and reverse (user → object type#relation → objects) for ListObjects.
// Model-independent: the same index serves every model version of the store.
//
// Memory is what limits how many tuples a process can hold, so the layout is compact (measured at
// 1M tuples: ~500 bytes per tuple in per-edge Maps before, see docs/performance.md): each distinct
// user string is parsed and stored once (a UserNode, which also heads that user's reverse lists);
// object, type and relation strings are shared by every tuple naming them; an object's relations
// are a short linked list of buckets instead of a Map; and a bucket holds its tuples in a plain
// array until it grows past SMALL_MAX, when it switches to a Map keyed by user (or object).
import type { TupleChange, TupleCondition, TupleKey } from '../../store/types.ts'
import { typeOf, type TupleRecord } from './tuples.ts'
import type { CompiledModel } from '../model/compiled.ts'

/** Entries at which a set of tuples switches from a scanned array to a Map. */
const SMALL_MAX = 12

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
  readonly objectType: string
  readonly relation: string
  readonly node: UserNode
  readonly condition: TupleCondition | undefined
  vm: CompiledModel | undefined = undefined
  vok = false

  constructor(object: string, objectType: string, relation: string, node: UserNode, condition: TupleCondition | undefined) {
    this.object = object
    this.objectType = objectType
    this.relation = relation
    this.node = node
    this.condition = condition
  }

  get user(): string { return this.node.text }
  get userType(): string { return this.node.type }
  get userObject(): string { return this.node.object }
  get userRelation(): string { return this.node.relation }
  get wildcard(): boolean { return this.node.wildcard }
}

const EMPTY: IndexedTuple[] = []

/**
 * Tuples keyed by user (a bucket) or by object (a reverse list): an array scanned by key while
 * small, a Map beyond SMALL_MAX. An array is replaced, not spliced, on removal, so an iterator a
 * paused ListObjects walk holds never skips an entry.
 */
class TupleSet {
  private small: IndexedTuple[] | undefined = EMPTY
  private big: Map<string, IndexedTuple> | undefined = undefined
  private readonly byObject: boolean

  constructor(byObject: boolean) {
    this.byObject = byObject
  }

  get size(): number {
    return this.small ? this.small.length : this.big!.size
  }

  private keyOf(t: IndexedTuple): string {
    return this.byObject ? t.object : t.node.text
  }

  get(key: string): IndexedTuple | undefined {
    if (this.big) return this.big.get(key)
    for (const t of this.small!) if (this.keyOf(t) === key) return t
    return undefined
  }

  values(): IterableIterator<IndexedTuple> {
    return this.small ? this.small.values() : this.big!.values()
  }

  /** Adds or replaces by key; returns the tuple replaced. */
  set(t: IndexedTuple): IndexedTuple | undefined {
    const key = this.keyOf(t)
    if (this.big) {
      const old = this.big.get(key)
      this.big.set(key, t)
      return old
    }
    const small = this.small!
    for (let i = 0; i < small.length; i++) {
      if (this.keyOf(small[i]) === key) {
        const old = small[i]
        const copy = small.slice()
        copy[i] = t
        this.small = copy
        return old
      }
    }
    if (small.length < SMALL_MAX) {
      // A copy of exactly the new length: push would reserve room for 16 more entries.
      const copy = new Array<IndexedTuple>(small.length + 1)
      for (let i = 0; i < small.length; i++) copy[i] = small[i]
      copy[small.length] = t
      this.small = copy
      return undefined
    }
    this.big = new Map(small.map((x) => [this.keyOf(x), x]))
    this.big.set(key, t)
    this.small = undefined
    return undefined
  }

  delete(key: string): IndexedTuple | undefined {
    if (this.big) {
      const old = this.big.get(key)
      if (old) this.big.delete(key)
      return old
    }
    const old = this.get(key)
    if (old) this.small = this.small!.filter((t) => t !== old)
    return old
  }
}

/** The tuples of one object#relation, by user; the next bucket holds another relation of the object. */
export class Bucket extends TupleSet {
  readonly object: string
  readonly relation: string
  next: Bucket | undefined = undefined
  /** Wildcard and userset tuples (what Check has to expand), once the bucket has any. */
  private ind: TupleSet | undefined = undefined

  constructor(object: string, relation: string) {
    super(false)
    this.object = object
    this.relation = relation
  }

  /** Every tuple, keyed by user. */
  get users(): TupleSet {
    return this
  }

  indirect(): IterableIterator<TupleRecord> {
    return this.ind ? this.ind.values() : NONE.values()
  }

  /** Returns the tuple replaced. */
  override set(t: IndexedTuple): IndexedTuple | undefined {
    const old = super.set(t)
    if (t.node.wildcard || t.node.relation) (this.ind ??= new TupleSet(false)).set(t)
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
    super(true)
    this.relKey = relKey
    this.next = next
  }
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
    if (!bucket) {
      bucket = new Bucket(head ? head.object : key.object, relation)
      if (head) { bucket.next = head.next; head.next = bucket } else { head = bucket; this.objects.set(key.object, bucket) }
    }
    let node = this.users.get(key.user)
    if (!node) { node = new UserNode(key.user, this.strings); this.users.set(key.user, node) }
    const objectType = this.strings.get(typeOf(bucket.object))
    const condition = key.condition && key.condition.name ? key.condition : undefined
    const t = new IndexedTuple(bucket.object, objectType, relation, node, condition)
    if (!bucket.set(t)) this.count++
    const relKey = this.strings.get(`${objectType}#${relation}`)
    let rev = node.rev
    while (rev && rev.relKey !== relKey) rev = rev.next
    if (!rev) { rev = new RevList(relKey, node.rev); node.rev = rev }
    rev.set(t)
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
    const relKey = `${old.objectType}#${old.relation}`
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
