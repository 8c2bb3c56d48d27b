// The form bodies of the fast answers (token, introspection) without querystring.parse in the
// common case: a few `name=value` pairs whose characters need no decoding (token values,
// resource URIs without query strings, scopes without spaces). Anything else is parsed by
// querystring.parse, so every body reads exactly as it did before.

import { parse as parseForm } from 'node:querystring'

/** Characters that querystring.parse takes literally, `=` and `&` aside. */
const LITERAL = /^[A-Za-z0-9._~:/=&-]*$/

export type FormParams = Record<string, string | string[] | undefined>

/**
 * querystring.parse's result for `body`. Where every pair names one of `names` once, with a
 * value, and needs no decoding, it is split here directly (the same result); otherwise the
 * body goes to querystring.parse.
 */
export function parseFastForm(body: string, names: ReadonlySet<string>): FormParams {
  if (!LITERAL.test(body)) return parseForm(body)
  const params: FormParams = {}
  let start = 0
  while (start <= body.length) {
    let end = body.indexOf('&', start)
    if (end === -1) end = body.length
    const eq = body.indexOf('=', start)
    if (eq === -1 || eq >= end - 1) return parseForm(body)
    const name = body.slice(start, eq)
    if (!names.has(name) || params[name] !== undefined) return parseForm(body)
    params[name] = body.slice(eq + 1, end)
    start = end + 1
  }
  return params
}
