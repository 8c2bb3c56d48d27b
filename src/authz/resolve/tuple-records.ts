// The records of the in-memory tuple index (tuple-index.ts): parsed users, tuples, and the shapes
// that share a validity memo. The sets that hold several tuples are in tuple-sets.ts.
//
// A million tuples must fit a process, so every per-tuple byte counts: a tuple record is four
// fields (its object string, its shape, its user node and, while it is the only tuple of its
// object#relation, the next entry of the object's chain). Everything tuples have in common lives
// on shared objects: the user's parsed parts on its UserNode, the object type and relation on
// its Shape, and whether it is valid under a model on that Shape as well, since for a
// well-formed tuple without a condition validity depends on nothing else. Tuples with a
// condition (its context is checked against the model's parameters) or with a malformed object
// or user keep their own memo (OwnTuple).
import type { TupleCondition } from '../../store/types.ts'
import type { CompiledModel } from '../model/compiled.ts'
import type { Entry, RevList } from './tuple-sets.ts'
import type { TupleRecord, ValidityMemo } from './tuples.ts'

/** What user nodes of one type, userset relation and wildcard flag have in common. */
export class UserKind {
  readonly type: string
  /** '' unless a userset. */
  readonly relation: string
  readonly wildcard: boolean
  /** False when the user string is not one the schema accepts (its tuples keep their own memo). */
  readonly wellFormed: boolean
  /** Position of this kind's shape in a relation's list of shapes. */
  readonly id: number

  constructor(type: string, relation: string, wildcard: boolean, wellFormed: boolean, id: number) {
    this.type = type
    this.relation = relation
    this.wildcard = wildcard
    this.wellFormed = wellFormed
    this.id = id
  }
}

/** One distinct user string of the index, parsed once; the head of its reverse lists. */
export class UserNode {
  readonly text: string
  /** `type:id` (or `type:*`) without the userset relation. */
  readonly object: string
  readonly kind: UserKind
  /** Reverse lists: tuples naming this user, by object type#relation. */
  rev: RevList | undefined = undefined

  constructor(text: string, object: string, kind: UserKind) {
    this.text = text
    this.object = object
    this.kind = kind
  }
}

/**
 * An object type#relation together with a kind of user: every tuple of one shape is equally valid
 * under a model (unless it keeps its own memo), so the shape holds that answer for all of them.
 */
export class Shape implements ValidityMemo {
  readonly objectType: string
  readonly relation: string
  /** `type#relation`, the key of the reverse lists. */
  readonly relKey: string
  /** The shapes of this type#relation, by UserKind id. */
  readonly siblings: Shape[]
  vm: CompiledModel | undefined = undefined
  vok = false

  constructor(objectType: string, relation: string, relKey: string, siblings: Shape[]) {
    this.objectType = objectType
    this.relation = relation
    this.relKey = relKey
    this.siblings = siblings
  }
}

/** Iterates one record: what a chain entry holding a single tuple answers for its "set". */
class One implements IterableIterator<TupleRecord> {
  private t: TupleRecord | undefined
  constructor(t: TupleRecord | undefined) { this.t = t }
  next(): IteratorResult<TupleRecord> {
    const t = this.t
    if (t === undefined) return { done: true, value: undefined }
    this.t = undefined
    return { done: false, value: t }
  }
  [Symbol.iterator](): IterableIterator<TupleRecord> { return this }
}

/** The tuples of one object#relation as Check, Expand and ListUsers read them. */
export interface TupleBucket {
  readonly users: { get(user: string): TupleRecord | undefined; values(): IterableIterator<TupleRecord> }
  /** Wildcard and userset tuples (what Check has to expand). */
  indirect(): IterableIterator<TupleRecord>
}

/**
 * A stored tuple. While it is the only tuple of its object#relation it is also that relation's
 * entry in the object's chain (no Bucket): `next` is then the object's next relation.
 */
export class Tuple implements TupleRecord, TupleBucket {
  readonly object: string
  readonly shape: Shape
  readonly node: UserNode
  next: Entry | undefined = undefined

  constructor(object: string, shape: Shape, node: UserNode) {
    this.object = object
    this.shape = shape
    this.node = node
  }

  get objectType(): string { return this.shape.objectType }
  get relation(): string { return this.shape.relation }
  get user(): string { return this.node.text }
  get userType(): string { return this.node.kind.type }
  get userObject(): string { return this.node.object }
  get userRelation(): string { return this.node.kind.relation }
  get wildcard(): boolean { return this.node.kind.wildcard }
  get condition(): TupleCondition | undefined { return undefined }
  get memo(): ValidityMemo { return this.shape }

  // As a chain entry of one tuple.
  get users(): TupleBucket['users'] { return this }
  get(user: string): TupleRecord | undefined { return this.node.text === user ? this : undefined }
  values(): IterableIterator<TupleRecord> { return new One(this) }
  indirect(): IterableIterator<TupleRecord> {
    const k = this.node.kind
    return new One(k.wildcard || k.relation ? this : undefined)
  }
}

/** A tuple with a condition, or a malformed object or user: it keeps its own validity memo. */
export class OwnTuple extends Tuple implements ValidityMemo {
  private readonly cond: TupleCondition | undefined
  vm: CompiledModel | undefined = undefined
  vok = false

  constructor(object: string, shape: Shape, node: UserNode, condition: TupleCondition | undefined) {
    super(object, shape, node)
    this.cond = condition
  }

  override get condition(): TupleCondition | undefined { return this.cond }
  override get memo(): ValidityMemo { return this }
}
