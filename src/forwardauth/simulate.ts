// The request simulator behind the console's policy editor: a made-up visit (who, method, path,
// source address, time) goes through the same request parsing and decide() as a live auth
// request, so the answer and the rule it names are what the proxy would get.

import { z } from 'zod'
import { AppError, CommonCodes } from '../lib/index.ts'
import { compileApplications, parseApplication } from './application.ts'
import { parseIp } from './client-ip.ts'
import { decide, type Decision } from './decide.ts'
import { ForwardAuthErrorCodes } from './errors.ts'
import type { ForwardIdentity } from './identity-headers.ts'
import type { RelationshipChecker } from './policy.ts'
import { parseAuthRequest } from './request.ts'

const simulationSchema = z.object({
  /** Null or absent: an anonymous visitor. */
  user: z.object({
    subject: z.string().min(1).max(512),
    username: z.string().max(256).optional(),
    email: z.string().max(256).optional(),
    /** Absent: the groups Gatehouse knows for the subject (a local account's). */
    groups: z.array(z.string().min(1).max(256)).max(100).optional(),
    organizations: z.array(z.string().min(1).max(128)).max(100).optional(),
  }).strict().nullable().optional(),
  method: z.string().regex(/^[A-Za-z]{1,20}$/, 'method is a token such as GET').default('GET'),
  /** Path and query as the visitor sent them. */
  path: z.string().regex(/^\/[^\s]*$/, 'path starts with / and has no spaces').max(2048).default('/'),
  /** Absent: the application's first host (a wildcard's with `app` for the star). */
  host: z.string().max(253).optional(),
  sourceIp: z.string().max(64).refine((ip) => parseIp(ip) !== null, 'sourceIp must be an IPv4 or IPv6 address').optional(),
  /** RFC 3339; absent: now. */
  at: z.string().regex(/^\d{4}-\d{2}-\d{2}T/, 'at is an RFC 3339 time such as 2026-12-01T09:30:00Z')
    .refine((t) => !Number.isNaN(new Date(t).getTime()), 'at is an RFC 3339 time such as 2026-12-01T09:30:00Z').optional(),
  /** An unsaved version of the application to try instead of the stored one. */
  application: z.record(z.string(), z.unknown()).optional(),
}).strict()

export type SimulationInput = z.input<typeof simulationSchema>

export interface SimulationResult {
  application: string
  /** What the proxy does: pass the request, refuse it, or send the visitor to sign in. */
  outcome: 'allow' | 'deny' | 'redirect' | 'error'
  decision: Decision['kind']
  status: number
  /** The rule that decided (`default`, a path prefix with its methods, `skipPaths[i]`, `path`); absent for a sign-in. */
  rule?: string
  check?: string
  reason?: string
  location?: string
  headers?: Record<string, string>
  request: { method: string; host: string; path: string; sourceIp: string | null; at: string }
  identity: { subject: string; groups: readonly string[]; organizations: readonly string[] } | null
}

export interface SimulatorOptions {
  /** The stored application (spec) by id; throws forwardauth_application_not_found. */
  application(id: string): Promise<unknown>
  relations: RelationshipChecker
  cookieDomain: string
  loginUrl(returnUrl: string): string
  /** What Gatehouse knows of a subject: groups and organizations as a sign-in would carry them. */
  identityOf?(subject: string): Promise<Partial<ForwardIdentity> | undefined>
  now?: () => Date
}

export type Simulator = (id: string, input: unknown) => Promise<SimulationResult>

function invalid(error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
  return new AppError(CommonCodes.validation, issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; '), { status: 400, details: { issues } })
}

export function createSimulator(options: SimulatorOptions): Simulator {
  return async (id, body) => {
    const parsed = simulationSchema.safeParse(body ?? {})
    if (!parsed.success) throw invalid(parsed.error)
    const input = parsed.data
    const spec = input.application === undefined ? await options.application(id) : { ...input.application, id }
    const app = parseApplication(spec)
    const registry = compileApplications([app])
    const host = (input.host ?? app.hosts[0]!).toLowerCase().replace(/^\*\./, 'app.')
    if (registry.find(host) === undefined) {
      throw new AppError(ForwardAuthErrorCodes.invalidApplication, `host ${host} is not one of ${app.id}'s hosts`, { status: 400 })
    }
    const at = input.at === undefined ? (options.now?.() ?? new Date()) : new Date(input.at)
    const method = input.method.toUpperCase()
    const request = parseAuthRequest('forwarded', {
      headers: { 'x-forwarded-method': method, 'x-forwarded-proto': 'https', 'x-forwarded-host': host, 'x-forwarded-uri': input.path, accept: 'text/html' },
      peerAddress: input.sourceIp ?? '',
    }, { trustedProxies: [] })
    let identity: ForwardIdentity | null = null
    if (input.user) {
      const known = await options.identityOf?.(input.user.subject)
      identity = {
        ...known,
        subject: input.user.subject,
        ...(input.user.username === undefined ? {} : { username: input.user.username }),
        ...(input.user.email === undefined ? {} : { email: input.user.email }),
        groups: input.user.groups ?? known?.groups ?? [],
        organizations: input.user.organizations ?? known?.organizations ?? [],
      }
    }
    const decision = await decide({
      request, identity, config: { applications: registry, loginUrl: options.loginUrl, cookieDomain: options.cookieDomain, now: at },
    }, { relations: options.relations })
    return {
      application: app.id,
      outcome: outcomeOf(decision),
      decision: decision.kind,
      status: decision.status,
      ...('rule' in decision ? { rule: decision.rule } : {}),
      ...(decision.kind === 'deny' ? { check: decision.check } : {}),
      ...('reason' in decision ? { reason: decision.reason } : {}),
      ...(decision.kind === 'login' && decision.location !== undefined ? { location: decision.location } : {}),
      ...(decision.kind === 'allow' || decision.kind === 'skip' ? { headers: decision.headers } : {}),
      request: { method, host, path: input.path, sourceIp: request.clientIpText ?? null, at: at.toISOString() },
      identity: identity && { subject: identity.subject, groups: identity.groups, organizations: identity.organizations ?? [] },
    }
  }
}

function outcomeOf(decision: Decision): SimulationResult['outcome'] {
  switch (decision.kind) {
    case 'allow':
    case 'skip':
      return 'allow'
    case 'login':
      return 'redirect'
    case 'deny':
    case 'unknown_host':
      return 'deny'
    default:
      return 'error'
  }
}
