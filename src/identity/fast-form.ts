// The form bodies of the fast answers (token, introspection) without querystring.parse in the
// common case: a few `name=value` pairs of known names, each once, with values in plain or
// percent-encoded URL characters (token values, resource URIs, scopes). Anything else is parsed
// by querystring.parse, so every body reads exactly as it did before.

import { parse as parseForm } from 'node:querystring'

/** Characters this split takes: URL characters, `%` escapes and `+` for a space. */
const SIMPLE = /^[A-Za-z0-9._~:/=&%+-]*$/

/** querystring's decoding of a value where decodeURIComponent succeeds (`+` is a space); undefined otherwise. */
function decodeValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

export type FormParams = Record<string, string | string[] | undefined>

/**
 * querystring.parse's result for `body`. Where every pair names one of `names` once (not
 * encoded), with a value that decodes as a URI component, it is split here directly (the same
 * result); otherwise the body goes to querystring.parse.
 */
export function parseFastForm(body: string, names: ReadonlySet<string>): FormParams {
  if (!SIMPLE.test(body)) return parseForm(body)
  const params: FormParams = {}
  let start = 0
  while (start <= body.length) {
    let end = body.indexOf('&', start)
    if (end === -1) end = body.length
    const eq = body.indexOf('=', start)
    if (eq === -1 || eq >= end - 1) return parseForm(body)
    const name = body.slice(start, eq)
    if (!names.has(name) || params[name] !== undefined) return parseForm(body)
    let value: string | undefined = body.slice(eq + 1, end)
    if (value.includes('%') || value.includes('+')) {
      value = decodeValue(value)
      if (value === undefined) return parseForm(body)
    }
    params[name] = value
    start = end + 1
  }
  return params
}
