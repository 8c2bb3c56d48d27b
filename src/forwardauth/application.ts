// Applications behind forward-auth: the input schema (shared by the admin API, the CLI and the
// bootstrap file) and the compiled form the decision reads — regular expressions compiled once,
// rules sorted most specific first, CIDRs parsed, time zones bound to their formatters.

import { setFlagsFromString } from 'node:v8'
import { z } from 'zod'
import { AppError } from '../lib/index.ts'
import { parseCidr, type Cidr } from './client-ip.ts'
import { ForwardAuthErrorCodes } from './errors.ts'
import { hostMatches, isHostPattern } from './hosts.ts'
import { normalisePath } from './paths.ts'
import { compileTimeWindow, DAYS, isTimeZone, minutesOf, type CompiledTimeWindow } from './time-window.ts'

export const MAX_PATTERN_LENGTH = 200

/** Headers an application may not claim: they would change how the proxy or browser behaves. */
const RESERVED_HEADERS = new Set([
  'connection', 'content-length', 'content-type', 'content-encoding', 'cookie', 'host', 'keep-alive', 'location',
  'proxy-authenticate', 'proxy-authorization', 'set-cookie', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'www-authenticate', 'authorization', 'cache-control', 'date', 'server', 'x-request-id', 'x-gatehouse-deny-reason',
])

// Operator-written expressions run on every request: V8 must fall back to its linear-time engine
// on catastrophic backtracking (`^/(a+)+$`), which it does only for expressions without the u or
// v flag. Set process-wide; the relationship engine sets the same flag for CEL.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')

/** Compiles an operator's expression: no u flag (see above); anchored as a whole when asked. */
function operatorRegExp(source: string, anchored: boolean): RegExp {
  return new RegExp(anchored ? `^(?:${source})` : source)
}

function compiles(source: string): boolean {
  try {
    operatorRegExp(source, false)
    return true
  } catch {
    return false
  }
}

const regexText = z.string().min(1).max(MAX_PATTERN_LENGTH, `regular expressions are limited to ${MAX_PATTERN_LENGTH} characters`)
  .refine(compiles, 'must be a valid regular expression')

export const methodSchema = z.string().regex(/^[A-Z]{1,20}$/, 'methods are upper-case tokens such as GET')
const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'times are HH:MM (00:00 to 23:59)')
const hhmmEnd = z.string().regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'times are HH:MM (00:00 to 24:00)')
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'header names are letters, digits and dashes')
  .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), 'this header name is reserved')
const groupName = z.string().min(1).max(256)

export const timeWindowSchema = z.object({
  days: z.array(z.enum(DAYS)).min(1).max(7).optional(),
  from: hhmm,
  to: hhmmEnd,
  timeZone: z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
}).strict().refine((w) => minutesOf(w.from) !== minutesOf(w.to), 'from and to must differ')

export const cidrSchema = z.string().min(1).max(64).refine((c) => parseCidr(c) !== null, 'must be an IPv4 or IPv6 address or CIDR range')

export const policySchema = z.object({
  groups: z.object({
    anyOf: z.array(groupName).min(1).max(100).optional(),
    allOf: z.array(groupName).min(1).max(100).optional(),
  }).strict().refine((g) => g.anyOf !== undefined || g.allOf !== undefined, 'groups needs anyOf or allOf').optional(),
  relation: z.object({
    store: z.string().min(1).max(128),
    object: z.string().regex(/^[^\s:#@]{1,64}:[^\s#@]{1,256}$/, 'object is type:id, e.g. application:grafana'),
    relation: z.string().regex(/^[A-Za-z0-9_-]{1,50}$/, 'relation is a name such as can_access'),
  }).strict().optional(),
  sourceCidrs: z.array(cidrSchema).min(1).max(100).optional(),
  timeWindows: z.array(timeWindowSchema).min(1).max(20).optional(),
  methods: z.array(methodSchema).min(1).max(20).optional(),
}).strict()

const pathPrefixSchema = z.string().min(1).max(1024)
  .refine((p) => {
    const n = normalisePath(p)
    return n.ok && (n.path === p || n.path + '/' === p)
  }, 'pathPrefix must be a normalised absolute path such as /admin')

export const ruleSchema = z.object({
  pathPrefix: pathPrefixSchema,
  methods: z.array(methodSchema).min(1).max(20).optional(),
  policy: policySchema,
}).strict()

export const skipPathSchema = regexText.refine((s) => s.startsWith('^'), 'skip paths must be anchored with a leading ^')

export const identityHeadersSchema = z.object({
  user: headerName.default('Remote-User'),
  name: headerName.default('Remote-Name'),
  email: headerName.default('Remote-Email'),
  groups: headerName.default('Remote-Groups'),
  organization: headerName.optional(),
  /** Claim for the user header; the preferred username when absent. */
  userClaim: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional(),
  /** Only groups matching this expression are sent in the groups header. */
  groupsFilter: regexText.optional(),
}).strict().refine((h) => {
  const names = [h.user, h.name, h.email, h.groups, h.organization].filter((n) => n !== undefined).map((n) => n.toLowerCase())
  return new Set(names).size === names.length
}, 'identity header names must differ')

export const applicationSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'id is 1 to 63 lower-case letters, digits, _ and -'),
  hosts: z.array(z.string().toLowerCase().refine(isHostPattern, 'hosts are DNS names or *.domain patterns')
    // `*.com` would claim a whole top-level domain, and make every host in it a return URL.
    .refine((h) => !h.startsWith('*.') || h.split('.').length >= 3, 'a wildcard needs at least two labels after *. (e.g. *.apps.example.com)'))
    .min(1).max(50).refine((hosts) => new Set(hosts).size === hosts.length, 'hosts must not repeat'),
  policy: policySchema.prefault({}),
  rules: z.array(ruleSchema).max(200).prefault([]),
  skipPaths: z.array(skipPathSchema).max(50).prefault([]),
  headers: identityHeadersSchema.prefault({}),
}).strict()

export type ApplicationInput = z.input<typeof applicationSchema>
export type Application = z.output<typeof applicationSchema>
export type Policy = z.output<typeof policySchema>
export type IdentityHeaderNames = Application['headers']

export interface CompiledPolicy {
  groups?: { anyOf?: readonly string[]; allOf?: readonly string[] }
  relation?: { store: string; object: string; relation: string }
  sourceCidrs?: readonly Cidr[]
  timeWindows?: readonly CompiledTimeWindow[]
  methods?: ReadonlySet<string>
}

export interface CompiledRule {
  pathPrefix: string
  methods: ReadonlySet<string> | null
  policy: CompiledPolicy
}

export interface CompiledApplication {
  id: string
  hosts: readonly string[]
  policy: CompiledPolicy
  /** Most specific prefix first; among equal prefixes, method-restricted rules first. */
  rules: readonly CompiledRule[]
  skipPaths: readonly RegExp[]
  headers: { user: string; name: string; email: string; groups: string; organization?: string }
  userClaim: string
  groupsFilter: RegExp | null
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  return {
    groups: policy.groups,
    relation: policy.relation,
    sourceCidrs: policy.sourceCidrs?.map((c) => parseCidr(c)!),
    timeWindows: policy.timeWindows?.map(compileTimeWindow),
    methods: policy.methods && new Set(policy.methods),
  }
}

function prefixLength(prefix: string): number {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.length - 1 : prefix.length
}

export function compileApplication(app: Application): CompiledApplication {
  const rules = app.rules.map((r) => ({
    pathPrefix: r.pathPrefix, methods: r.methods ? new Set(r.methods) : null, policy: compilePolicy(r.policy),
  }))
  rules.sort((a, b) => prefixLength(b.pathPrefix) - prefixLength(a.pathPrefix) || Number(b.methods !== null) - Number(a.methods !== null))
  const { userClaim, groupsFilter, ...headers } = app.headers
  return {
    id: app.id,
    hosts: app.hosts,
    policy: compilePolicy(app.policy),
    rules,
    // `^/health|/admin` would otherwise leave its second branch unanchored.
    skipPaths: app.skipPaths.map((s) => operatorRegExp(s, true)),
    headers,
    userClaim: userClaim ?? 'preferred_username',
    groupsFilter: groupsFilter ? operatorRegExp(groupsFilter, false) : null,
  }
}

function issuePath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('')
}

export function invalidApplication(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(ForwardAuthErrorCodes.invalidApplication, message, { status: 400, details })
}

/** Validates one application; throws `forwardauth_invalid_application` listing every problem. */
export function parseApplication(input: unknown): Application {
  const result = applicationSchema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((i) => ({ path: issuePath(i.path), message: i.message }))
  throw invalidApplication(issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; '), { issues })
}

export interface ApplicationRegistry {
  readonly applications: readonly CompiledApplication[]
  /** The application serving `host` (lower-case, no port): an exact host wins over a wildcard. */
  find(host: string): CompiledApplication | undefined
  isApplicationHost(host: string): boolean
}

/** Validates and compiles a set of applications; ids and host patterns must be unique. */
export function compileApplications(inputs: readonly unknown[]): ApplicationRegistry {
  const apps = inputs.map((input, i) => {
    try {
      return compileApplication(parseApplication(input))
    } catch (err) {
      if (err instanceof AppError) throw invalidApplication(`applications[${i}]: ${err.message}`, err.details)
      throw err
    }
  })
  const ids = new Set<string>()
  const owner = new Map<string, string>()
  for (const app of apps) {
    if (ids.has(app.id)) throw invalidApplication(`application id ${app.id} is used twice`)
    ids.add(app.id)
    for (const host of app.hosts) {
      const other = owner.get(host)
      if (other !== undefined) throw invalidApplication(`host ${host} belongs to both ${other} and ${app.id}`)
      owner.set(host, app.id)
    }
  }
  // Exact hosts answer from a map: this runs on every proxied request.
  const exact = new Map<string, CompiledApplication>()
  for (const app of apps) for (const host of app.hosts) if (!host.startsWith('*.')) exact.set(host, app)
  const wildcard = apps.filter((a) => a.hosts.some((p) => p.startsWith('*.')))
  const find = (host: string): CompiledApplication | undefined =>
    exact.get(host) ?? wildcard.find((a) => a.hosts.some((p) => hostMatches(p, host)))
  return { applications: apps, find, isApplicationHost: (host) => find(host) !== undefined }
}
