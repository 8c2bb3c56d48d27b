// Editing one forward-auth application: hosts, skip paths, the default policy and per-path
// rules in a form, with the whole document as JSON in an advanced view (for what the form does
// not cover, such as identity headers). Both edit one draft; the API validates on save.

import { useState } from 'preact/hooks'
import { post, put, seg } from '../api.ts'
import { ErrorNote, useSubmit } from '../ui.tsx'
import { PolicyEditor, type PolicyDraft } from './policy-editor.tsx'
import { Simulator } from './simulator.tsx'

interface Rule { pathPrefix: string; methods?: string[]; policy: PolicyDraft }
export interface AppDraft {
  id: string
  hosts: string[]
  policy?: PolicyDraft
  rules?: Rule[]
  skipPaths?: string[]
  [key: string]: unknown
}

const list = (value: string) => value.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '')

/** The editable part: what the API takes (its read-only fields left out). */
export function editable(app: AppDraft): AppDraft {
  const { source: _s, version: _v, createdAt: _c, updatedAt: _u, ...rest } = app
  return rest as AppDraft
}

export function ApplicationEditor(props: { initial: AppDraft; isNew: boolean; onSaved: (saved: AppDraft) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState<AppDraft>(props.initial)
  // Bumped when the JSON view replaces the draft: the form's uncontrolled inputs start over.
  const [revision, setRevision] = useState(0)
  const [json, setJson] = useState<string | undefined>(undefined)
  const [saved, setSaved] = useState<string | undefined>(undefined)
  const change = (patch: Partial<AppDraft>) => {
    setSaved(undefined)
    // The JSON view follows the form again (until it is edited itself).
    setJson(undefined)
    setDraft((d) => ({ ...d, ...patch }))
  }
  const rules = draft.rules ?? []
  const setRule = (i: number, rule: Rule) => change({ rules: rules.map((r, j) => (j === i ? rule : r)) })
  const k = `r${revision}`

  const { busy, error, setError, onSubmit: save } = useSubmit(async () => {
    if (props.isNew) await post('/api/v1/forward-auth/applications', draft)
    else await put(`/api/v1/forward-auth/applications/${seg(draft.id)}`, draft)
    setSaved(`Saved ${draft.id}.`)
    props.onSaved(draft)
  })

  return (
    <div class="app-editor">
      <form class="card form wide" aria-label={props.isNew ? 'Add an application' : `Edit ${draft.id}`} onSubmit={save} key={k}>
        <h2>{props.isNew ? 'Add an application' : `Edit ${draft.id}`}</h2>
        {props.isNew && (
          <p class="field"><label for="app-id">Application id</label>
            <input id="app-id" type="text" required defaultValue={draft.id} autocomplete="off" aria-describedby="app-id-hint" onInput={(e) => change({ id: e.currentTarget.value.trim() })} />
            <small id="app-id-hint" class="muted">Lower-case letters, digits, _ and -.</small></p>
        )}
        <p class="field"><label for="app-hosts">Hosts</label>
          <input id="app-hosts" type="text" required defaultValue={draft.hosts.join(', ')} autocomplete="off" aria-describedby="app-hosts-hint" onInput={(e) => change({ hosts: list(e.currentTarget.value) })} />
          <small id="app-hosts-hint" class="muted">Comma separated; *.apps.example.com covers every host under it.</small></p>
        <p class="field"><label for="app-skip">Paths that need no sign-in</label>
          <textarea id="app-skip" rows={2} spellcheck={false} defaultValue={(draft.skipPaths ?? []).join('\n')} aria-describedby="app-skip-hint" onInput={(e) => change({ skipPaths: list(e.currentTarget.value) })} />
          <small id="app-skip-hint" class="muted">Regular expressions anchored with ^, one a line, e.g. ^/health.</small></p>
        <PolicyEditor id={`${k}-default`} legend="Default policy (paths no rule covers)" policy={draft.policy ?? {}} onChange={(policy) => change({ policy })} />
        <h3>Rules by path</h3>
        <p class="muted">The longest matching path prefix decides; a rule with methods applies to those methods only.</p>
        {rules.map((rule, i) => (
          <fieldset key={`${k}-rule-${i}-${rules.length}`} class="rule">
            <legend>Rule {i + 1}: {rule.pathPrefix || 'new'}</legend>
            <div class="filters">
              <p class="field"><label for={`${k}-rule-${i}-prefix`}>Path prefix</label>
                <input id={`${k}-rule-${i}-prefix`} type="text" required placeholder="/admin" defaultValue={rule.pathPrefix} onInput={(e) => setRule(i, { ...rule, pathPrefix: e.currentTarget.value.trim() })} /></p>
              <p class="field"><label for={`${k}-rule-${i}-methods`}>Only for methods</label>
                <input id={`${k}-rule-${i}-methods`} type="text" placeholder="all" defaultValue={rule.methods?.join(', ') ?? ''} onInput={(e) => {
                  const methods = list(e.currentTarget.value).map((m) => m.toUpperCase())
                  const { methods: _m, ...rest } = rule
                  setRule(i, methods.length === 0 ? rest : { ...rest, methods })
                }} /></p>
            </div>
            <PolicyEditor id={`${k}-rule-${i}`} legend={`Policy of rule ${i + 1}`} policy={rule.policy} onChange={(policy) => setRule(i, { ...rule, policy })} />
            <button type="button" class="secondary" onClick={() => change({ rules: rules.filter((_, j) => j !== i) })}>Remove rule {i + 1}</button>
          </fieldset>
        ))}
        <p><button type="button" class="secondary" onClick={() => change({ rules: [...rules, { pathPrefix: '', policy: {} }] })}>Add a rule</button></p>
        {error !== undefined && <ErrorNote error={error} />}
        {saved && <p role="status" class="ok">{saved}</p>}
        <p class="toolbar">
          <button type="submit" disabled={busy}>{busy ? 'Working…' : props.isNew ? 'Add application' : 'Save application'}</button>
          <button type="button" class="secondary" onClick={props.onCancel}>Close editor</button>
        </p>
      </form>
      <details class="card advanced">
        <summary>Advanced: the application as JSON</summary>
        <p class="field">
          <label for="app-json">Application (JSON)</label>
          <textarea id="app-json" rows={14} spellcheck={false} value={json ?? JSON.stringify(draft, null, 2)} onInput={(e) => setJson(e.currentTarget.value)} aria-describedby="app-json-hint" />
          <small id="app-json-hint" class="muted">Everything the API takes, including identity headers (see docs/forward-auth.md). Apply to load it into the form.</small>
        </p>
        <button type="button" onClick={() => {
          try {
            const parsed = JSON.parse(json ?? '') as AppDraft
            setDraft(props.isNew ? parsed : { ...parsed, id: draft.id })
            setJson(undefined)
            setRevision((r) => r + 1)
            setError(undefined)
          } catch (err) {
            setError(new Error(`The application is not valid JSON: ${(err as Error).message}`))
          }
        }}>Apply JSON to the form</button>
      </details>
      {!props.isNew && <Simulator id={draft.id} draft={draft} />}
    </div>
  )
}
