// Rules compiled once at start: templates parsed, conditions and references checked, so a bad
// rule stops the start with an error naming the rule and field instead of failing at a sign-in.
// An event fans out to one outbox row per action of every rule that listens to it.

import type { ProvisioningCondition, ProvisioningConfig, ProvisioningRuleConfig, ProvisioningTargetConfig } from '../config/index.ts'
import type { OutboxItemInput } from '../store/index.ts'
import { provisioningConfigError } from './errors.ts'
import { eventJson, eventSubject, PROJECT_EVENTS, USER_EVENTS, type EventType, type ProvisioningEvent } from './events.ts'
import {
  compileObjectTemplate, compileTemplate, GROUP_SYNC_VARIABLES, INCUS_PROJECT_VARIABLE, PROJECT_GROUP_VARIABLES, PROJECT_VARIABLES, USER_VARIABLES,
  type CompiledObjectTemplate, type CompiledTemplate, type TemplateVars,
} from './template.ts'

export type ActionKind = 'incusProject' | 'tuples' | 'groupSync' | 'webhook'
export const ACTION_KINDS: readonly ActionKind[] = ['incusProject', 'tuples', 'groupSync', 'webhook']

/** Where tuples go: a store of this Gatehouse, or an OpenFGA target. */
export type TupleDestination = { kind: 'store'; storeId: string } | { kind: 'openfga'; targetId: string }

export interface TupleTemplate { user: CompiledTemplate; relation: string; object: CompiledTemplate }

export interface CompiledRule {
  id: string
  on: ReadonlySet<EventType>
  when: ProvisioningCondition | undefined
  incusProject?: {
    target: string
    name: CompiledTemplate
    description: CompiledTemplate | undefined
    config: CompiledObjectTemplate
    overrides: Array<{ when: ProvisioningCondition; config: CompiledObjectTemplate }>
    onLeave: 'keep' | 'restrict' | 'delete-when-empty'
  }
  tuples?: { destination: TupleDestination; writes: TupleTemplate[]; perGroup: TupleTemplate[] }
  groupSync?: {
    destination: TupleDestination; object: CompiledTemplate; relation: string; user: CompiledTemplate
    source: 'upstream' | 'organizations'; groups: readonly string[] | undefined
  }
  webhook?: { target: string }
}

export interface CompiledRules {
  rules: ReadonlyMap<string, CompiledRule>
  targets: ReadonlyMap<string, ProvisioningTargetConfig>
}

/** The outbox target of a tuple destination. */
export function destinationTarget(d: TupleDestination): string {
  return d.kind === 'store' ? `store:${d.storeId}` : d.targetId
}

export function compileRules(config: ProvisioningConfig): CompiledRules {
  const targets = new Map<string, ProvisioningTargetConfig>()
  for (const [i, t] of config.targets.entries()) {
    if (targets.has(t.id)) throw provisioningConfigError(`provisioning.targets[${i}].id`, `target ${t.id} is declared twice`)
    targets.set(t.id, t)
  }
  const rules = new Map<string, CompiledRule>()
  for (const [i, rule] of config.rules.entries()) {
    const where = `provisioning.rules[${i}] (${rule.id})`
    if (rules.has(rule.id)) throw provisioningConfigError(`${where}.id`, `rule ${rule.id} is declared twice`)
    rules.set(rule.id, compileRule(rule, where, targets))
  }
  return { rules, targets }
}

function compileRule(rule: ProvisioningRuleConfig, where: string, targets: ReadonlyMap<string, ProvisioningTargetConfig>): CompiledRule {
  const onUsers = rule.on.some((t) => (USER_EVENTS as readonly string[]).includes(t))
  const onProjects = rule.on.some((t) => (PROJECT_EVENTS as readonly string[]).includes(t))
  if (onUsers && onProjects) throw provisioningConfigError(`${where}.on`, 'a rule listens to user events or to project events, not both: split it in two')
  if (!rule.incusProject && !rule.tuples && !rule.groupSync && !rule.webhook) {
    throw provisioningConfigError(where, 'a rule needs at least one action: incusProject, tuples, groupSync or webhook')
  }
  const vars = onUsers ? USER_VARIABLES : PROJECT_VARIABLES
  const target = (field: string, id: string, kind: ProvisioningTargetConfig['kind']): string => {
    const t = targets.get(id)
    if (t === undefined) throw provisioningConfigError(`${where}.${field}`, `no target ${id} is declared`)
    if (t.kind !== kind) throw provisioningConfigError(`${where}.${field}`, `target ${id} is a ${t.kind} target, not ${kind}`)
    return id
  }
  const destination = (field: string, d: { store?: string; target?: string }): TupleDestination => {
    if ((d.store === undefined) === (d.target === undefined)) throw provisioningConfigError(`${where}.${field}`, 'name either store (a Gatehouse store id) or target (an openfga target)')
    return d.store !== undefined ? { kind: 'store', storeId: d.store } : { kind: 'openfga', targetId: target(`${field}.target`, d.target!, 'openfga') }
  }
  const out: CompiledRule = { id: rule.id, on: new Set(rule.on), when: rule.when }
  if (rule.incusProject) {
    const p = rule.incusProject
    const at = `${where}.incusProject`
    out.incusProject = {
      target: target('incusProject.target', p.target, 'incus'),
      name: compileTemplate(p.name, `${at}.name`, vars),
      description: p.description === undefined ? undefined : compileTemplate(p.description, `${at}.description`, vars),
      config: compileObjectTemplate(p.config, `${at}.config`, vars),
      overrides: p.overrides.map((o, j) => ({ when: o.when, config: compileObjectTemplate(o.config, `${at}.overrides[${j}].config`, vars) })),
      onLeave: p.onLeave,
    }
  }
  if (rule.tuples) {
    const t = rule.tuples
    if (t.writes.length === 0 && t.perGroup.length === 0) throw provisioningConfigError(`${where}.tuples`, 'needs writes or perGroup')
    if (t.perGroup.length > 0 && !onProjects) {
      throw provisioningConfigError(`${where}.tuples.perGroup`, 'perGroup needs project events (the groups a project is shared with); for a user\'s groups use groupSync')
    }
    // A rule that makes an Incus project may name it in its tuples exactly as Incus knows it.
    const withIncus = (names: ReadonlySet<string>) => (rule.incusProject ? new Set([...names, INCUS_PROJECT_VARIABLE]) : names)
    out.tuples = {
      destination: destination('tuples', t),
      writes: t.writes.map((w, j) => tupleTemplate(w, `${where}.tuples.writes[${j}]`, withIncus(vars))),
      perGroup: t.perGroup.map((w, j) => {
        const at = `${where}.tuples.perGroup[${j}]`
        const compiled = tupleTemplate(w, at, withIncus(PROJECT_GROUP_VARIABLES))
        if (!compiled.user.variables.includes('group') && !compiled.object.variables.includes('group')) throw provisioningConfigError(at, 'must use {{ group }} in user or object: one tuple per group')
        return compiled
      }),
    }
  }
  if (rule.groupSync) {
    if (!onUsers) throw provisioningConfigError(`${where}.groupSync`, 'group sync needs user events (user.signed_in)')
    const g = rule.groupSync
    const t = tupleTemplate(g, `${where}.groupSync`, GROUP_SYNC_VARIABLES)
    if (!t.object.variables.includes('group')) throw provisioningConfigError(`${where}.groupSync.object`, 'must use {{ group }}: one tuple per group')
    out.groupSync = { destination: destination('groupSync', g), ...t, source: g.source, groups: g.groups }
  }
  if (rule.webhook) out.webhook = { target: target('webhook.target', rule.webhook.target, 'webhook') }
  return out
}

function tupleTemplate(t: { user: string; relation: string; object: string }, where: string, vars: ReadonlySet<string>): TupleTemplate {
  if (!/^[^\s#:@]{1,50}$/.test(t.relation)) throw provisioningConfigError(`${where}.relation`, 'must be a relation name (no spaces, #, : or @)')
  return { user: compileTemplate(t.user, `${where}.user`, vars), relation: t.relation, object: compileTemplate(t.object, `${where}.object`, vars) }
}

/** The names a condition's group list is compared with. */
export function groupNames(event: ProvisioningEvent): Set<string> {
  if ('project' in event) return new Set(event.project.groups)
  const u = event.user
  return new Set([...u.groups, ...u.upstreamGroups, ...u.organizations.flatMap((o) => o.groups.map((g) => `${o.name}/${g}`))])
}

export function matches(condition: ProvisioningCondition | undefined, event: ProvisioningEvent): boolean {
  if (condition === undefined) return true
  if (condition.groups) {
    const names = groupNames(event)
    const { anyOf, allOf, noneOf } = condition.groups
    if (anyOf && !anyOf.some((g) => names.has(g))) return false
    if (allOf && !allOf.every((g) => names.has(g))) return false
    if (noneOf && noneOf.some((g) => names.has(g))) return false
  }
  if (condition.organizations) {
    const orgs = 'project' in event ? [event.project.organization] : event.user.organizations.map((o) => o.name)
    if (!condition.organizations.some((o) => orgs.includes(o))) return false
  }
  return true
}

export function templateVars(event: ProvisioningEvent): TemplateVars {
  const base = { event: { type: event.type } }
  if ('project' in event) return { ...base, project: { id: event.project.id, name: event.project.name, organization: event.project.organization } }
  const u = event.user
  return {
    ...base,
    user: {
      subject: u.subject, issuer: u.issuer, username: u.username, email: u.email, name: u.name, groups: u.groups,
      organizations: u.organizations.map((o) => ({ id: o.id, name: o.name })),
    },
  }
}

/**
 * The outbox rows of one event. Reconciling actions (Incus project, tuples, group sync) get a row
 * on every event their rule listens to: when the user no longer matches `when`, the delivery
 * undoes what the rule made. Webhooks are notifications: only when the rule matches.
 */
export function fanOut(compiled: CompiledRules, event: ProvisioningEvent): OutboxItemInput[] {
  const items: OutboxItemInput[] = []
  const payload = eventJson(event)
  const subject = eventSubject(event)
  const base = { eventId: event.id, eventType: event.type, subject, payload }
  for (const rule of compiled.rules.values()) {
    if (!rule.on.has(event.type)) continue
    if (rule.incusProject) items.push({ ...base, target: rule.incusProject.target, action: `${rule.id}.incusProject` })
    if (rule.tuples) items.push({ ...base, target: destinationTarget(rule.tuples.destination), action: `${rule.id}.tuples` })
    if (rule.groupSync) items.push({ ...base, target: destinationTarget(rule.groupSync.destination), action: `${rule.id}.groupSync` })
    if (rule.webhook && matches(rule.when, event)) items.push({ ...base, target: rule.webhook.target, action: `${rule.id}.webhook` })
  }
  return items
}

/** `rule.kind` of an outbox action. */
export function parseAction(action: string): { ruleId: string; kind: ActionKind } | undefined {
  const dot = action.lastIndexOf('.')
  const kind = action.slice(dot + 1) as ActionKind
  return dot > 0 && ACTION_KINDS.includes(kind) ? { ruleId: action.slice(0, dot), kind } : undefined
}

/** The Incus project a rule wants for an event: its (rendered, unmapped) name, description and config with the matching overrides. */
export function desiredIncusProject(spec: NonNullable<CompiledRule['incusProject']>, event: ProvisioningEvent): { name: string; description?: string; config: Record<string, string> } {
  const vars = templateVars(event)
  const config = { ...spec.config.render(vars) }
  for (const o of spec.overrides) if (matches(o.when, event)) Object.assign(config, o.config.render(vars))
  const description = spec.description?.render(vars)
  return { name: spec.name.render(vars), ...(description === undefined ? {} : { description }), config }
}

export function renderTuples(templates: readonly TupleTemplate[], vars: TemplateVars): Array<{ user: string; relation: string; object: string }> {
  return templates.map((t) => ({ user: t.user.render(vars), relation: t.relation, object: t.object.render(vars) }))
}

/** The name Incus knows the rule's project by, when the rule has an incusProject action. */
export function ruleIncusProject(rule: CompiledRule, event: ProvisioningEvent, projectName: (target: string, rendered: string) => string): string | undefined {
  const spec = rule.incusProject
  return spec && projectName(spec.target, spec.name.render(templateVars(event)))
}

/** The tuples a `tuples` action wants: its writes, and for a project rule its perGroup writes once per group. */
export function desiredTuples(spec: NonNullable<CompiledRule['tuples']>, event: ProvisioningEvent, incusProject: string | undefined): Array<{ user: string; relation: string; object: string }> {
  const vars: TemplateVars = { ...templateVars(event), ...(incusProject === undefined ? {} : { incus: { project: incusProject } }) }
  const out = renderTuples(spec.writes, vars)
  if ('project' in event) for (const group of event.project.groups) out.push(...renderTuples(spec.perGroup, { ...vars, group }))
  return out
}

/**
 * The membership tuples a group-sync rule wants: one per (selected) group of the user, from the
 * IdP (`upstream`) or the organizations (`<org>/<group>`: unique, where `<org>-<group>` is not).
 */
export function groupSyncTuples(spec: NonNullable<CompiledRule['groupSync']>, event: ProvisioningEvent): Array<{ user: string; relation: string; object: string }> {
  if (!('user' in event)) return []
  const vars = templateVars(event)
  const only = spec.groups && new Set(spec.groups)
  const { groups, upstreamGroups, organizations } = event.user
  const names = spec.source === 'organizations'
    ? organizations.flatMap((o) => o.groups.map((g) => `${o.name}/${g}`)).filter((g) => !only || only.has(g))
    : groups.filter((g, i) => !only || only.has(g) || only.has(upstreamGroups[i] ?? ''))
  return names.map((group) => renderTuples([spec], { ...vars, group })[0])
}
