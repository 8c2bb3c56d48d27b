// The Explain tree of a Check (`"trace": true`) drawn as nested lists: every question and rule
// says whether it allowed, and why not when it did not. Each node with children is a
// <details> (open at first), so the tree folds and unfolds by keyboard like any disclosure.

import type { ComponentChildren } from 'preact'
import type { TraceCheck, TraceRule, TraceTuple } from '../../../../src/authz/index.ts'

function Verdict(props: { allowed: boolean; cycle?: boolean; error?: string }) {
  if (props.error) return <span class="verdict error">error</span>
  if (props.cycle) return <span class="verdict denied">cycle</span>
  return props.allowed ? <span class="verdict allowed">allowed</span> : <span class="verdict denied">denied</span>
}

/** One node: a summary line, and its children foldable under it. */
function Node(props: { summary: ComponentChildren; children?: ComponentChildren; note?: string }) {
  const note = props.note && <p class="muted note">{props.note}</p>
  if (!props.children) return <li><span class="node">{props.summary}</span>{note}</li>
  return (
    <li>
      <details open>
        <summary>{props.summary}</summary>
        {note}
        <ul>{props.children}</ul>
      </details>
    </li>
  )
}

const REWRITE: Record<string, string> = { union: 'any of (or)', intersection: 'all of (and)', exclusion: 'but not' }

function TupleNode({ t }: { t: TraceTuple }) {
  const c = t.condition
  const condition = c && <> with <code>{c.name}</code>{c.met === undefined ? '' : c.met ? ' (met)' : ' (not met)'}</>
  return (
    <Node summary={<><Verdict allowed={t.allowed} error={t.error ?? c?.error} /> tuple <code>{t.tuple}</code>{condition}</>}
      note={t.error ?? c?.error}>
      {t.check && <CheckNode check={t.check} />}
    </Node>
  )
}

function RuleNode({ rule }: { rule: TraceRule }) {
  const verdict = <Verdict allowed={rule.allowed} cycle={rule.cycle} error={rule.error} />
  switch (rule.rewrite) {
    case 'direct':
      return (
        <Node summary={<>{verdict} directly assigned</>} note={rule.error ?? rule.reason}>
          {rule.tuples.length > 0 && rule.tuples.map((t) => <TupleNode key={t.tuple} t={t} />)}
        </Node>
      )
    case 'computed':
      return <Node summary={<>{verdict} through <code>{rule.relation}</code></>} note={rule.error}>{rule.check && <CheckNode check={rule.check} />}</Node>
    case 'ttu':
      return (
        <Node summary={<>{verdict} <code>{rule.computed}</code> from <code>{rule.tupleset}</code></>} note={rule.error ?? rule.reason}>
          {rule.tuples.length > 0 && rule.tuples.map((t) => <TupleNode key={t.tuple} t={t} />)}
        </Node>
      )
    case 'union':
    case 'intersection':
      return (
        <Node summary={<>{verdict} {REWRITE[rule.rewrite]}</>} note={rule.error}>
          {rule.children.map((c, i) => <RuleNode key={i} rule={c} />)}
        </Node>
      )
    case 'exclusion':
      return (
        <Node summary={<>{verdict} {REWRITE.exclusion}</>} note={rule.error}>
          {rule.base && <Node summary={<>base</>}><RuleNode rule={rule.base} /></Node>}
          {rule.subtract && <Node summary={<>subtract (must not hold)</>}><RuleNode rule={rule.subtract} /></Node>}
        </Node>
      )
  }
}

function CheckNode({ check }: { check: TraceCheck }) {
  const question = <><code>{check.user}</code> is <strong>{check.relation}</strong> of <code>{check.object}</code>?</>
  const note = check.error ?? (check.memoized ? 'Answered earlier in this check (see above).' : check.self ? 'The user is this userset itself.' : check.cycle ? 'Already being asked on this path: counts as denied.' : undefined)
  return (
    <Node summary={<><Verdict allowed={check.allowed} cycle={check.cycle} error={check.error} /> {question}</>} note={note}>
      {check.rule && <RuleNode rule={check.rule} />}
    </Node>
  )
}

export function ExplainTree({ trace }: { trace: TraceCheck }) {
  return (
    <ul class="explain" aria-label="Explain tree">
      <CheckNode check={trace} />
    </ul>
  )
}
