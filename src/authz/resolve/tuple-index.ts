// The in-memory tuple index of one store, forward (object → relation → users) for Check, Expand
// and ListUsers, and reverse (user → object type#relation → objects) for ListObjects.
// Model-independent: the same index serves every model version of the store.
//
// Memory is what limits how many tuples a process can hold, so the layout is compact (749 bytes
// of heap per tuple with a Map per edge at first, 225 with a record and a bucket per edge, ~130
// now; see docs/performance.md and tuple-records.ts): each distinct user string is parsed and
// stored once (a UserNode, which also heads that user's reverse lists); type and relation strings
// are shared, and every tuple of an object shares one object string; an object's relations are a
// short chain of entries instead of a Map, where a relation with one tuple is that tuple itself
// and one with more is a Bucket; a set of tuples is an exactly-sized array until it outgrows its
// limit, then a Map.
import type { TupleChange, TupleKey } from '../../store/types.ts'
import { OwnTuple, Shape, Tuple, UserKind, UserNode, type TupleBucket } from './tuple-records.ts'
import { Bucket, RevList, type Entry } from './tuple-sets.ts'
import { isValidObject, isValidUserShape, typeOf, type TupleRecord } from './tuples.ts'

export type { TupleBucket } from './tuple-records.ts'

/** Shares one copy of each short repeated string (types, relations, condition names). */
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
  /** First entry of each object's chain; the rest hang off `next`. */
  private readonly objects = new Map<string, Entry>()
  private readonly users = new Map<string, UserNode>()
  private readonly strings = new Interner()
  private readonly kinds = new Map<string, UserKind>()
  /** The shapes of each object type#relation, by UserKind id. */
  private readonly shapes = new Map<string, Shape[]>()
  /** The object last added, and whether it is well formed (a store is loaded in object order). */
  private lastObject = ''
  private lastObjectOk = false
  private derivedByModel = new WeakMap<object, Map<string, unknown>>()
  private derivedUsed = false
  /** Between beginLoad and endLoad: reverse lists grow in place. */
  private loading = false

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
      for (let e: Entry | undefined = first; e; e = e.next) {
        for (const r of e.values()) {
          yield { object: r.object, relation: r.relation, user: r.user, ...(r.condition ? { condition: r.condition } : {}) }
        }
      }
    }
  }

  bucket(object: string, relation: string): TupleBucket | undefined {
    for (let e = this.objects.get(object); e; e = e.next) if (e.shape.relation === relation) return e
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

  /**
   * A bulk load (no reader until endLoad): a user's reverse list grows as the load reaches its
   * objects, one tuple at a time, far apart, so copying it at every add (what keeps a paused
   * reader's iterator exact) left ~120 MB of garbage at a million tuples, mostly promoted to the
   * old generation before it died. Lists grow in place instead and are trimmed by endLoad.
   */
  beginLoad(): void {
    this.loading = true
  }

  endLoad(): void {
    if (!this.loading) return
    this.loading = false
    for (const node of this.users.values()) for (let r = node.rev; r; r = r.next) r.seal()
  }

  private changed(): void {
    this.generation++
    if (this.derivedUsed) { this.derivedByModel = new WeakMap(); this.derivedUsed = false }
  }

  private node(user: string): UserNode {
    let node = this.users.get(user)
    if (node) return node
    const hash = user.indexOf('#')
    const object = hash < 0 ? user : user.slice(0, hash)
    const type = typeOf(object)
    const relation = hash < 0 ? '' : user.slice(hash + 1)
    const wildcard = object.endsWith(':*')
    const wellFormed = isValidUserShape(user)
    // NUL never occurs in a stored string, so no two kinds share a key (a relation may hold '#'
    // in a malformed stored tuple).
    const k = `${type}\0${relation}\0${wildcard ? '*' : ''}\0${wellFormed ? '' : '!'}`
    let kind = this.kinds.get(k)
    if (!kind) {
      kind = new UserKind(this.strings.get(type), this.strings.get(relation), wildcard, wellFormed, this.kinds.size)
      this.kinds.set(k, kind)
    }
    node = new UserNode(user, object, kind)
    this.users.set(user, node)
    return node
  }

  private shapeOf(object: string, relation: string, kind: UserKind, sameRelation: Entry | undefined): Shape {
    let siblings = sameRelation?.shape.siblings
    const type = typeOf(object)
    if (!siblings) {
      // Keyed apart by NUL: `type#relation` is ambiguous when a malformed stored string holds '#'.
      const key = `${type}\0${relation}`
      siblings = this.shapes.get(key)
      if (!siblings) { siblings = []; this.shapes.set(key, siblings) }
    }
    let shape = siblings[kind.id]
    if (!shape) {
      shape = new Shape(this.strings.get(type), relation, this.strings.get(`${type}#${relation}`), siblings)
      siblings[kind.id] = shape
    }
    return shape
  }

  private wellFormedObject(object: string): boolean {
    if (object !== this.lastObject) {
      this.lastObject = object
      this.lastObjectOk = isValidObject(object) && !object.endsWith(':*')
    }
    return this.lastObjectOk
  }

  /** Adds or replaces (same object, relation, user) a tuple. */
  add(key: TupleKey): void {
    this.changed()
    const relation = this.strings.get(key.relation)
    const head = this.objects.get(key.object)
    let prev: Entry | undefined
    let entry: Entry | undefined
    for (let e = head; e; prev = e, e = e.next) if (e.shape.relation === relation) { entry = e; break }
    // Every tuple of an object shares the first one's object string.
    const object = head ? head.object : key.object
    const node = this.node(key.user)
    const shape = this.shapeOf(object, relation, node.kind, entry)
    // The condition's name is shared; its context stays the one given.
    const c = key.condition
    const condition = !c || !c.name ? undefined
      : c.context === undefined ? { name: this.strings.get(c.name) } : { name: this.strings.get(c.name), context: c.context }
    const t = condition || !node.kind.wellFormed || !this.wellFormedObject(object)
      ? new OwnTuple(object, shape, node, condition)
      : new Tuple(object, shape, node)
    let replaced: Tuple | undefined
    if (!entry) {
      // A relation new to the object: the tuple is its entry, after the head.
      if (head) { t.next = head.next; head.next = t } else this.objects.set(object, t)
    } else if (entry instanceof Bucket) {
      replaced = entry.set(t)
    } else {
      let next: Entry
      if (entry.node === node) {
        replaced = entry
        t.next = entry.next
        entry.next = undefined
        next = t
      } else {
        next = new Bucket(object, entry.shape, entry.next, entry)
        next.set(t)
      }
      if (prev) prev.next = next
      else this.objects.set(object, next)
    }
    if (!replaced) this.count++
    const relKey = shape.relKey
    let rev = node.rev
    while (rev && rev.relKey !== relKey) rev = rev.next
    if (!rev) { rev = new RevList(relKey, node.rev); node.rev = rev }
    // The forward side already said whether the object is on this list: no scan for a new tuple.
    if (this.loading && !replaced) rev.append(t)
    else rev.set(t, !replaced)
  }

  remove(key: { object: string; relation: string; user: string }): void {
    const head = this.objects.get(key.object)
    let prev: Entry | undefined
    let entry = head
    while (entry && entry.shape.relation !== key.relation) { prev = entry; entry = entry.next }
    if (!entry) return
    let old: Tuple | undefined
    if (entry instanceof Bucket) {
      old = entry.delete(key.user)
      if (!old) return
    } else {
      if (entry.node.text !== key.user) return
      old = entry
    }
    this.changed()
    this.count--
    if (old === entry || (entry as Bucket).empty) {
      if (prev) prev.next = entry.next
      else if (entry.next) this.objects.set(key.object, entry.next)
      else this.objects.delete(key.object)
      entry.next = undefined
    }
    const node = old.node
    let prevRev: RevList | undefined
    let rev = node.rev
    const relKey = entry.shape.relKey
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
