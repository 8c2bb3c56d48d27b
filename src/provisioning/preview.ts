// The dry run: what each rule would do for an event, rendered from the same templates and
// conditions a delivery uses, without contacting anything downstream.

import type { TupleKey } from '../store/index.ts'
import type { ProvisioningEvent } from './events.ts'
import { desiredIncusProject, desiredTuples, destinationTarget, groupSyncTuples, matches, ruleIncusProject, type CompiledRules } from './rules.ts'

export interface RulePreview {
  rule: string
  matches: boolean
  /** Set when a template cannot be rendered for this user (the delivery would fail the same way). */
  error?: string
  incusProject?: { target: string; name: string; description?: string; config: Record<string, string> }
  tuples?: { target: string; writes: TupleKey[] }
  groupSync?: { target: string; tuples: TupleKey[] }
  webhook?: { target: string }
}

/** `projectName` maps a rendered name to the Incus project name (as deliveries do). */
export function previewRules(compiled: CompiledRules, event: ProvisioningEvent, projectName: (target: string, rendered: string) => string): RulePreview[] {
  const out: RulePreview[] = []
  for (const rule of compiled.rules.values()) {
    if (!rule.on.has(event.type)) continue
    const ok = matches(rule.when, event)
    const p: RulePreview = { rule: rule.id, matches: ok }
    out.push(p)
    if (!ok) continue
    try {
      if (rule.incusProject) {
        const desired = desiredIncusProject(rule.incusProject, event)
        p.incusProject = { target: rule.incusProject.target, ...desired, name: projectName(rule.incusProject.target, desired.name) }
      }
      if (rule.tuples) p.tuples = { target: destinationTarget(rule.tuples.destination), writes: desiredTuples(rule.tuples, event, ruleIncusProject(rule, event, projectName)) }
      if (rule.groupSync) p.groupSync = { target: destinationTarget(rule.groupSync.destination), tuples: groupSyncTuples(rule.groupSync, event) }
      if (rule.webhook) p.webhook = { target: rule.webhook.target }
    } catch (err) {
      p.error = err instanceof Error ? err.message : String(err)
    }
  }
  return out
}
