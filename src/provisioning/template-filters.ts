// The filters of provisioning templates. Each maps text to text (applied to each item of a list),
// except join (list to text) and default (fills in a missing or empty value). A missing value
// passes through the others unchanged, so `| default(...)` may come anywhere after it.

import { incusProjectName } from './incus/names.ts'

/** undefined: the variable has no value for this user. */
export type Value = string | string[] | undefined
export type Kind = 'text' | 'list'

export interface Filter {
  name: string
  input: Kind
  output: Kind
  apply(value: Value): Value
}

export interface FilterMaker {
  argument: 'none' | 'string' | 'integer'
  /** A problem with the argument, found at compile time. */
  check?(arg: string | number | undefined): string | undefined
  build(arg: string | number | undefined): Filter
}

/** A text filter; on a list it applies to each item (items it empties are dropped). */
function textFilter(name: string, f: (s: string) => string): Filter {
  return { name, input: 'text', output: 'text', apply: (v) => (typeof v === 'string' ? f(v) : v) }
}

/** The list form of a text filter, or undefined when there is none (default). */
export function listVariant(filter: Filter): Filter | undefined {
  if (filter.input !== 'text' || filter.output !== 'text' || filter.name === 'default') return undefined
  const apply = filter.apply
  return {
    name: filter.name,
    input: 'list',
    output: 'list',
    apply: (v) => (Array.isArray(v) ? v.map((s) => apply(s) as string).filter((s) => s !== '') : v),
  }
}

function localpart(s: string): string {
  const at = s.lastIndexOf('@')
  return at < 0 ? s : s.slice(0, at)
}

function domain(s: string): string {
  const at = s.lastIndexOf('@')
  return at < 0 ? '' : s.slice(at + 1)
}

/** Lower-case ASCII letters, digits and '-': accents dropped (é → e), other runs become one '-'. */
export function slug(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

function truncate(s: string, n: number): string {
  const chars = Array.from(s)
  return chars.length <= n ? s : chars.slice(0, n).join('')
}

const TEXT: Record<string, (s: string) => string> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  localpart,
  domain,
  slug,
  // The Incus project an incusProject action makes of the same text, so a tuple can name it
  // (`project:{{ user.username | incus_project }}`) even when Incus refuses the text as it is.
  incus_project: incusProjectName,
}

/** Filters by name (looked up with Object.hasOwn only). */
export const FILTERS: Readonly<Record<string, FilterMaker>> = {
  ...Object.fromEntries(Object.entries(TEXT).map(([name, f]) => [name, {
    argument: 'none',
    build: () => textFilter(name, f),
  } satisfies FilterMaker])),
  truncate: {
    argument: 'integer',
    check: (n) => (typeof n === 'number' && n >= 1 ? undefined : 'the length must be at least 1'),
    build: (n) => textFilter('truncate', (s) => truncate(s, n as number)),
  },
  default: {
    argument: 'string',
    build: (fallback) => ({
      name: 'default',
      input: 'text',
      output: 'text',
      apply: (v) => (v === undefined || v === '' ? (fallback as string) : v),
    }),
  },
  join: {
    argument: 'string',
    build: (sep) => ({
      name: 'join',
      input: 'list',
      output: 'text',
      apply: (v) => (Array.isArray(v) ? v.join(sep as string) : v),
    }),
  },
}
