// Product metrics beside the HTTP durations: what the service decided and issued. One registry,
// merged into GET /metrics like provisioning's. Every label set is small and fixed (results,
// outcomes, configured upstreams, supported grant types), and each child is resolved once, so a
// count on a hot path is a map lookup and an increment.
import { Counter, Gauge, Registry } from 'prom-client'
import { Authz } from '../authz/index.ts'
import type { ForwardAuth } from '../forwardauth/index.ts'
import type { AuthzApi } from '../http/index.ts'

export type CheckResult = 'allowed' | 'denied' | 'error'
export type SignInOutcome = 'success' | 'refused' | 'failed'

export interface ProductMetrics {
  registry: Registry
  check(result: CheckResult): void
  forwardAuth(outcome: string): void
  signIn(provider: string, outcome: SignInOutcome): void
  tokenIssued(grantType: string): void
  /** Where the index-size gauge reads from (set once the engine exists). */
  indexedTuples: () => number
  /** Where the stale-answer count reads from (queries answered from memory during a database outage). */
  staleAnswers: () => number
}

/** Resolves each label set's child once; later counts skip prom-client's label hashing. */
function counted<L extends string>(counter: Counter<L>): (...values: string[]) => void {
  const children = new Map<string, { inc(): void }>()
  return (...values) => {
    const key = values.join('\u0000')
    let child = children.get(key)
    if (child === undefined) children.set(key, (child = counter.labels(...values)))
    child.inc()
  }
}

/**
 * Grant types as the token endpoint names them; URNs shortened to their last part
 * (`urn:ietf:params:oauth:grant-type:device_code` → device_code).
 */
export function grantTypeLabel(grantType: unknown): string {
  if (typeof grantType !== 'string' || grantType === '') return 'unknown'
  const last = grantType.slice(grantType.lastIndexOf(':') + 1)
  return last.length > 40 ? 'other' : last
}

export function createProductMetrics(): ProductMetrics {
  const registry = new Registry()
  const checks = counted(new Counter({
    name: 'gatehouse_checks_total', help: 'Relationship checks through the OpenFGA API (Check and each BatchCheck item) by result',
    labelNames: ['result'] as const, registers: [registry],
  }))
  const decisions = counted(new Counter({
    name: 'gatehouse_forward_auth_decisions_total', help: 'Forward-auth decisions by outcome (allow, skip, login, deny, misconfigured, unknown_host, error)',
    labelNames: ['outcome'] as const, registers: [registry],
  }))
  const signIns = counted(new Counter({
    name: 'gatehouse_sign_ins_total', help: 'Interactive sign-ins by provider (local or the upstream id) and outcome (success, refused: in no organization, failed)',
    labelNames: ['provider', 'outcome'] as const, registers: [registry],
  }))
  const tokens = counted(new Counter({
    name: 'gatehouse_tokens_issued_total', help: 'Successful token endpoint grants by grant type',
    labelNames: ['grant_type'] as const, registers: [registry],
  }))
  const metrics: ProductMetrics = {
    registry,
    check: (result) => checks(result),
    forwardAuth: (outcome) => decisions(outcome),
    signIn: (provider, outcome) => signIns(provider, outcome),
    tokenIssued: (grantType) => tokens(grantTypeLabel(grantType)),
    indexedTuples: () => 0,
    staleAnswers: () => 0,
  }
  new Counter({
    name: 'gatehouse_stale_answers_total', help: 'Queries answered from memory while the database was unreachable (MINIMIZE_LATENCY, bounded by staleReadMaxMs)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(metrics.staleAnswers())
    },
  })
  new Gauge({
    name: 'gatehouse_authz_index_tuples', help: 'Tuples held in memory by the relationship engine\'s indexes, all stores together',
    registers: [registry],
    collect() { this.set(metrics.indexedTuples()) },
  })
  return metrics
}

/** The engine for the HTTP API, counting Check and BatchCheck results; every other operation is the engine's own. */
export function countingChecks(authz: Authz, metrics: ProductMetrics): AuthzApi {
  const api: Record<string, unknown> = {}
  for (const name of Object.getOwnPropertyNames(Authz.prototype)) {
    const member = (authz as unknown as Record<string, unknown>)[name]
    if (name !== 'constructor' && typeof member === 'function') api[name] = member.bind(authz)
  }
  api.check = async (storeId: string, body: unknown, meta?: unknown) => {
    try {
      const answer = await authz.check(storeId, body, meta as never) as { allowed?: boolean }
      metrics.check(answer.allowed === true ? 'allowed' : 'denied')
      return answer
    } catch (err) {
      metrics.check('error')
      throw err
    }
  }
  api.batchCheck = async (storeId: string, body: unknown, meta?: unknown) => {
    try {
      const answer = await authz.batchCheck(storeId, body, meta as never) as { result: Record<string, { allowed?: boolean; error?: unknown }> }
      for (const id in answer.result) {
        const item = answer.result[id]!
        metrics.check(item.error !== undefined ? 'error' : item.allowed === true ? 'allowed' : 'denied')
      }
      return answer
    } catch (err) {
      metrics.check('error')
      throw err
    }
  }
  return api as unknown as AuthzApi
}

/** Forward-auth with its decisions counted; a throw (answered 500) counts as error. */
export function countingDecisions(service: ForwardAuth, metrics: ProductMetrics): ForwardAuth {
  return {
    get cookieName() { return service.cookieName },
    async authorize(contract, raw) {
      try {
        const outcome = await service.authorize(contract, raw)
        metrics.forwardAuth(outcome.decision.kind)
        return outcome
      } catch (err) {
        metrics.forwardAuth('error')
        throw err
      }
    },
  }
}
