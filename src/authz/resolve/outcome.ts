// Check outcomes and the request's user, shared by the evaluator's parts.
import { typeOf } from './tuples.ts'

export const FALSE = 0
export const TRUE = 1
/** False because the path revisited a question. */
export const CYCLE = 2
/** The evaluator's `err` holds why. */
export const ERROR = 3
export type Outcome = 0 | 1 | 2 | 3

export class EvalError {
  readonly kind: 'condition' | 'depth'
  readonly message: string
  constructor(kind: 'condition' | 'depth', message: string) {
    this.kind = kind
    this.message = message
  }
}

/** A request's user, split once. */
export interface UserRef {
  text: string
  type: string
  /** `type:id` without a userset relation. */
  object: string
  relation: string
  wildcard: boolean
  /** `type:*` for this user's type. */
  wildcardText: string
}

export function userRef(text: string): UserRef {
  const hash = text.indexOf('#')
  const object = hash < 0 ? text : text.slice(0, hash)
  const type = typeOf(object)
  return { text, type, object, relation: hash < 0 ? '' : text.slice(hash + 1), wildcard: object.endsWith(':*'), wildcardText: `${type}:*` }
}

/** Marks a trace node with an outcome (and the error message when there is one). */
export function finish<T extends { allowed: boolean; error?: string; cycle?: true }>(node: T, r: Outcome, err: EvalError | undefined): T {
  node.allowed = r === TRUE
  if (r === CYCLE) node.cycle = true
  if (r === ERROR && err) node.error = err.message
  return node
}
