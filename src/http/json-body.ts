// Limits on what a parsed JSON body may contain, checked once at the edge so no handler has to:
// nesting depth, strings the databases can store, numbers JSON can express.

/**
 * Deepest nesting a request body may have. Handlers and the engine walk bodies recursively (model
 * rewrites, condition contexts, serialization); a few thousand levels overflow the stack, and no
 * real request comes near this: a model's rewrite tree adds three levels per operator.
 */
export const MAX_JSON_DEPTH = 128

/**
 * Why a parsed body is unacceptable, or undefined. Rejected: nesting beyond `maxDepth`; strings
 * (values or keys) with NUL, which PostgreSQL cannot store, or with an unpaired UTF-16 surrogate
 * (not Unicode; databases silently replace it, so the stored value would differ from the one
 * sent); numbers beyond the double range, which JSON.parse turns into Infinity.
 */
export function jsonBodyProblem(body: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  // Iterative on purpose: recursion is exactly what a hostile body is built to overflow.
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }]
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!
    if (typeof value === 'string') {
      const problem = stringProblem(value)
      if (problem !== undefined) return problem
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return 'request body contains a number out of range'
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= maxDepth) return `request body nests deeper than ${maxDepth} levels`
      if (Array.isArray(value)) {
        for (const item of value) stack.push({ value: item, depth: depth + 1 })
      } else {
        for (const [key, item] of Object.entries(value)) {
          const problem = stringProblem(key)
          if (problem !== undefined) return problem
          stack.push({ value: item, depth: depth + 1 })
        }
      }
    }
  }
  return undefined
}

function stringProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'request body contains a NUL character (\\u0000)'
  if (!s.isWellFormed()) return 'request body contains an unpaired UTF-16 surrogate (not valid Unicode)'
  return undefined
}
