// The baseline: the simplest correct evaluator of a model without conditions — recursive, over
// plain Maps, no memo, no compilation. Benchmarks compare Gatehouse's engine against it.

type Userset = {
  this?: object
  computedUserset?: { relation: string }
  tupleToUserset?: { tupleset: { relation: string }; computedUserset: { relation: string } }
  union?: { child: Userset[] }
  intersection?: { child: Userset[] }
  difference?: { base: Userset; subtract: Userset }
}

interface ModelJson {
  type_definitions: { type: string; relations?: Record<string, Userset> }[]
}

export class NaiveEvaluator {
  private readonly index = new Map<string, string[]>()
  private readonly relations = new Map<string, Record<string, Userset>>()

  constructor(model: ModelJson, tuples: Iterable<{ object: string; relation: string; user: string }>) {
    for (const td of model.type_definitions) this.relations.set(td.type, td.relations ?? {})
    for (const t of tuples) {
      const k = `${t.object}#${t.relation}`
      const list = this.index.get(k)
      if (list) list.push(t.user)
      else this.index.set(k, [t.user])
    }
  }

  check(object: string, relation: string, user: string, depth = 0): boolean {
    if (depth > 25) return false
    const type = object.slice(0, object.indexOf(':'))
    const rewrite = this.relations.get(type)?.[relation]
    return rewrite ? this.eval(rewrite, object, relation, user, depth) : false
  }

  private eval(u: Userset, object: string, relation: string, user: string, depth: number): boolean {
    if (u.this) {
      const userType = user.slice(0, user.indexOf(':'))
      for (const candidate of this.index.get(`${object}#${relation}`) ?? []) {
        if (candidate === user || candidate === `${userType}:*`) return true
        const hash = candidate.indexOf('#')
        if (hash > 0 && this.check(candidate.slice(0, hash), candidate.slice(hash + 1), user, depth + 1)) return true
      }
      return false
    }
    if (u.computedUserset) return this.check(object, u.computedUserset.relation, user, depth + 1)
    if (u.tupleToUserset) {
      for (const parent of this.index.get(`${object}#${u.tupleToUserset.tupleset.relation}`) ?? []) {
        if (this.check(parent, u.tupleToUserset.computedUserset.relation, user, depth + 1)) return true
      }
      return false
    }
    if (u.union) return u.union.child.some((c) => this.eval(c, object, relation, user, depth))
    if (u.intersection) return u.intersection.child.every((c) => this.eval(c, object, relation, user, depth))
    if (u.difference) {
      return this.eval(u.difference.base, object, relation, user, depth) &&
        !this.eval(u.difference.subtract, object, relation, user, depth)
    }
    return false
  }
}
