// The sets of the in-memory tuple index (tuple-index.ts): an object#relation's bucket of several
// tuples, a user's reverse lists, and the set behind both once it grows large.
import type { Shape, Tuple, TupleBucket } from './tuple-records.ts'
import type { TupleRecord } from './tuples.ts'

const EMPTY: Tuple[] = []

/**
 * Tuples keyed by user (a bucket) or by object (a reverse list): an array scanned by key while
 * small, a Map beyond `limit`. An array is replaced, not spliced, on removal, so an iterator a
 * paused ListObjects walk holds never skips an entry. One field holds either, to keep the many
 * small sets small.
 */
export abstract class TupleSet {
  private items: Tuple[] | Map<string, Tuple> = EMPTY

  protected abstract keyOf(t: Tuple): string
  /** Entries at which the array becomes a Map. */
  protected abstract get limit(): number

  get size(): number {
    return this.items instanceof Map ? this.items.size : this.items.length
  }

  get(key: string): Tuple | undefined {
    const items = this.items
    if (items instanceof Map) return items.get(key)
    for (const t of items) if (this.keyOf(t) === key) return t
    return undefined
  }

  values(): IterableIterator<Tuple> {
    return this.items.values()
  }

  /** Adds or replaces by key; returns the tuple replaced. `fresh`: the caller knows the key is new. */
  set(t: Tuple, fresh = false): Tuple | undefined {
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
      const copy = new Array<Tuple>(items.length + 1)
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

  /**
   * Adds a tuple whose key is new, in place: only while an index loads, when no reader holds an
   * iterator. The array then has room to spare until `seal`.
   */
  append(t: Tuple): void {
    const items = this.items
    if (items instanceof Map) items.set(this.keyOf(t), t)
    else if (items === EMPTY) this.items = [t]
    else if (items.length < this.limit) items.push(t)
    else this.set(t, true)
  }

  /** Trims an array filled by `append` to its length. */
  seal(): void {
    if (Array.isArray(this.items) && this.items.length > 1) this.items = this.items.slice()
  }

  delete(key: string): Tuple | undefined {
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

/**
 * Entries at which a bucket's array becomes a Map: Check looks a user up in it. Reverse lists are
 * only walked in full (ListObjects, group closures), so they stay arrays much longer.
 */
const BUCKET_MAX = 12
const REVERSE_MAX = 64

/** Wildcard and userset tuples of a bucket, by user. */
class UserKeyed extends TupleSet {
  protected keyOf(t: Tuple): string { return t.node.text }
  protected get limit(): number { return BUCKET_MAX }
}

const NONE: readonly TupleRecord[] = []

/** Iterates a bucket's chain of tuples: all of them, or only the wildcard and userset ones. */
class Chain implements IterableIterator<TupleRecord> {
  private t: Tuple | undefined
  private readonly indirectOnly: boolean

  constructor(first: Tuple | undefined, indirectOnly: boolean) {
    this.indirectOnly = indirectOnly
    this.t = indirectOnly ? nextIndirect(first) : first
  }

  next(): IteratorResult<TupleRecord> {
    const t = this.t
    if (t === undefined) return { done: true, value: undefined }
    const after = t.next as Tuple | undefined
    this.t = this.indirectOnly ? nextIndirect(after) : after
    return { done: false, value: t }
  }

  [Symbol.iterator](): IterableIterator<TupleRecord> { return this }
}

function isIndirect(t: Tuple): boolean {
  const k = t.node.kind
  return k.wildcard || k.relation !== ''
}

function nextIndirect(t: Tuple | undefined): Tuple | undefined {
  while (t !== undefined && !isIndirect(t)) t = t.next as Tuple | undefined
  return t
}

/**
 * The tuples of one object#relation once it has more than one; `next`: the object's next
 * relation. Up to BUCKET_MAX tuples are a chain linked by their own `next` field (unused while a
 * tuple is not an entry of the object's chain itself), in the order they were added: no array,
 * and Check's lookup scans them as it would scan an array. Beyond that they are a Map by user,
 * with the wildcard and userset tuples (what Check has to expand) in a set of their own. Readers
 * walk a chain synchronously (no paused reader holds a bucket's iterator), so it changes in place.
 */
export class Bucket implements TupleBucket {
  readonly object: string
  readonly shape: Shape
  next: Entry | undefined
  private items: Tuple | Map<string, Tuple> | undefined
  /** Wildcard and userset tuples of a Map bucket, once it has any. */
  private ind: UserKeyed | undefined = undefined

  constructor(object: string, shape: Shape, next: Entry | undefined, first: Tuple) {
    this.object = object
    this.shape = shape
    this.next = next
    first.next = undefined
    this.items = first
  }

  get users(): TupleBucket['users'] {
    return this
  }

  get empty(): boolean {
    const items = this.items
    return items === undefined || (items instanceof Map && items.size === 0)
  }

  get(user: string): Tuple | undefined {
    const items = this.items
    if (items instanceof Map) return items.get(user)
    for (let t = items; t; t = t.next as Tuple | undefined) if (t.node.text === user) return t
    return undefined
  }

  values(): IterableIterator<Tuple> {
    const items = this.items
    return items instanceof Map ? items.values() : new Chain(items, false) as IterableIterator<Tuple>
  }

  indirect(): IterableIterator<TupleRecord> {
    const items = this.items
    if (items instanceof Map) return this.ind ? this.ind.values() : NONE.values()
    return new Chain(items, true)
  }

  /** Adds or replaces (same user) a tuple; returns the tuple replaced. */
  set(t: Tuple): Tuple | undefined {
    const items = this.items
    if (items instanceof Map) {
      const old = items.get(t.node.text)
      items.set(t.node.text, t)
      if (isIndirect(t)) (this.ind ??= new UserKeyed()).set(t, old === undefined)
      return old
    }
    let prev: Tuple | undefined
    let n = 0
    for (let c = items; c; prev = c, c = c.next as Tuple | undefined) {
      n++
      if (c.node === t.node) {
        t.next = c.next
        if (prev) prev.next = t
        else this.items = t
        c.next = undefined
        return c
      }
    }
    t.next = undefined
    if (n < BUCKET_MAX) {
      if (prev) prev.next = t
      else this.items = t
      return undefined
    }
    const map = new Map<string, Tuple>()
    for (let c = items; c;) {
      const after = c.next as Tuple | undefined
      c.next = undefined
      map.set(c.node.text, c)
      if (isIndirect(c)) (this.ind ??= new UserKeyed()).set(c, true)
      c = after
    }
    map.set(t.node.text, t)
    if (isIndirect(t)) (this.ind ??= new UserKeyed()).set(t, true)
    this.items = map
    return undefined
  }

  delete(user: string): Tuple | undefined {
    const items = this.items
    if (items instanceof Map) {
      const old = items.get(user)
      if (old) { items.delete(user); this.ind?.delete(user) }
      return old
    }
    let prev: Tuple | undefined
    for (let c = items; c; prev = c, c = c.next as Tuple | undefined) {
      if (c.node.text !== user) continue
      if (prev) prev.next = c.next
      else this.items = c.next as Tuple | undefined
      c.next = undefined
      return c
    }
    return undefined
  }
}

/** One relation of an object in its chain: a lone tuple, or a bucket of several. */
export type Entry = Tuple | Bucket

/** One reverse list of a user: the tuples naming it, of one object type#relation, by object. */
export class RevList extends TupleSet {
  readonly relKey: string
  next: RevList | undefined

  constructor(relKey: string, next: RevList | undefined) {
    super()
    this.relKey = relKey
    this.next = next
  }

  protected keyOf(t: Tuple): string { return t.object }
  protected get limit(): number { return REVERSE_MAX }
}
