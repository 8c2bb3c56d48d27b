// One delivery: the outbox row's action, run against its downstream system. Reconciling actions
// (Incus project, tuples, group sync) bring the downstream state to what the rule wants for the
// event's snapshot — or undo what the rule made when the user no longer matches, was disabled,
// or the project was deleted — so a repeated delivery changes nothing more.

import type { AuditRepo, OutboxItem, OutboxRepo, TupleKey } from '../store/index.ts'
import { rejectedDelivery } from './errors.ts'
import { eventFromJson, eventJson, type ProvisioningEvent } from './events.ts'
import { desiredIncusProject, desiredTuples, groupSyncTuples, matches, parseAction, ruleIncusProject, type CompiledRule, type CompiledRules, type TupleDestination } from './rules.ts'
import { syncOwnedTuples, type TupleBackend } from './tuple-sync.ts'

export type IncusOutcome = 'created' | 'updated' | 'unchanged'
export type RetireOutcome = 'kept' | 'restricted' | 'deleted' | 'absent'

/** The Incus operations provisioning needs (src/provisioning/incus implements them over mTLS). */
export interface IncusTarget {
  ensureProject(name: string, desired: { description?: string; config: Record<string, string> }, owner: string): Promise<IncusOutcome>
  retireProject(name: string, policy: 'keep' | 'restrict' | 'delete-when-empty', owner: string): Promise<RetireOutcome>
  /** The valid Incus project name for a rendered name (deterministic, collision-free). */
  projectName(rendered: string): string
}

export interface WebhookTarget {
  send(message: { id: string; timestamp: Date; body: string }): Promise<void>
}

export interface DeliveryTargets {
  incus(id: string): IncusTarget
  webhook(id: string): WebhookTarget
  tuples(destination: TupleDestination): TupleBackend
}

export interface DeliveryContext {
  rules: CompiledRules
  targets: DeliveryTargets
  outbox: OutboxRepo
  audit: AuditRepo
}

/** Does the row's work; returns what happened (for the attempt log) or throws a DeliveryError. */
export async function deliver(ctx: DeliveryContext, item: OutboxItem): Promise<string> {
  const action = parseAction(item.action)
  const rule = action && ctx.rules.rules.get(action.ruleId)
  if (action === undefined || rule === undefined) throw rejectedDelivery(`rule of action ${item.action} is no longer configured`)
  const event = eventFromJson(item.payload)
  if (event === undefined) throw rejectedDelivery(`event ${item.eventId} of type ${item.eventType} is not one this version can deliver`)
  switch (action.kind) {
    case 'incusProject': return incusProject(ctx, rule, item, event)
    case 'tuples': return tuples(ctx, rule, item, event)
    case 'groupSync': return groupSync(ctx, rule, item, event)
    case 'webhook': return webhook(ctx, rule, event)
  }
}

/** The rule no longer applies to this user or project: what it made is undone. */
function leaving(rule: CompiledRule, event: ProvisioningEvent): boolean {
  return event.type === 'user.disabled' || event.type === 'project.deleted' || !matches(rule.when, event)
}

async function incusProject(ctx: DeliveryContext, rule: CompiledRule, item: OutboxItem, event: ProvisioningEvent): Promise<string> {
  const spec = rule.incusProject!
  const incus = ctx.targets.incus(spec.target)
  const owner = `gatehouse/${rule.id}`
  if (leaving(rule, event)) {
    const results: string[] = []
    for (const name of await ctx.outbox.owned(item.action, item.subject)) {
      const outcome = await incus.retireProject(name, spec.onLeave, owner)
      if (outcome === 'deleted' || outcome === 'absent') await ctx.outbox.changeOwned({ owner: item.action, subject: item.subject, add: [], remove: [name] })
      if (outcome === 'restricted' || outcome === 'deleted') await auditChange(ctx, item, `incus:${spec.target}/${name}`, `project ${outcome}`)
      results.push(`${name} ${outcome}`)
    }
    return results.length === 0 ? 'nothing to undo' : `left: ${results.join(', ')}`
  }
  const { name: rendered, ...desired } = desiredIncusProject(spec, event)
  const name = incus.projectName(rendered)
  // Claimed before the call: a crash after Incus created it must not orphan the project.
  await ctx.outbox.changeOwned({ owner: item.action, subject: item.subject, add: [name], remove: [] })
  const outcome = await incus.ensureProject(name, desired, owner)
  if (outcome !== 'unchanged') await auditChange(ctx, item, `incus:${spec.target}/${name}`, `project ${outcome}`, { config: desired.config })
  return `project ${name} ${outcome}`
}

async function tuples(ctx: DeliveryContext, rule: CompiledRule, item: OutboxItem, event: ProvisioningEvent): Promise<string> {
  const spec = rule.tuples!
  const desired = leaving(rule, event) ? [] : desiredTuples(spec, event, ruleIncusProject(rule, event, (target, name) => ctx.targets.incus(target).projectName(name)))
  return tupleOutcome(ctx, item, spec.destination, desired)
}

async function groupSync(ctx: DeliveryContext, rule: CompiledRule, item: OutboxItem, event: ProvisioningEvent): Promise<string> {
  const spec = rule.groupSync!
  const desired = leaving(rule, event) ? [] : groupSyncTuples(spec, event)
  return tupleOutcome(ctx, item, spec.destination, desired)
}

async function tupleOutcome(ctx: DeliveryContext, item: OutboxItem, destination: TupleDestination, desired: TupleKey[]): Promise<string> {
  const { written, deleted } = await syncOwnedTuples(ctx.targets.tuples(destination), ctx.outbox, item.action, item.subject, desired)
  if (written.length === 0 && deleted.length === 0) return 'tuples unchanged'
  const text = `tuples: ${written.length} written, ${deleted.length} deleted`
  await auditChange(ctx, item, item.target, text, { written: written.length, deleted: deleted.length })
  return text
}

async function webhook(ctx: DeliveryContext, rule: CompiledRule, event: ProvisioningEvent): Promise<string> {
  await ctx.targets.webhook(rule.webhook!.target).send({ id: event.id, timestamp: event.at, body: JSON.stringify(eventJson(event)) })
  return 'delivered'
}

async function auditChange(ctx: DeliveryContext, item: OutboxItem, target: string, result: string, details: Record<string, unknown> = {}): Promise<void> {
  await ctx.audit.append({
    actor: 'system', actorType: 'system', action: `provisioning.${parseAction(item.action)?.kind ?? 'action'}`, target, outcome: 'success',
    details: { eventId: item.eventId, eventType: item.eventType, subject: item.subject, rule: item.action, result, ...details } as never,
  })
}
