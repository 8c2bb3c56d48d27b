// A form for one forward-auth policy: every condition the application schema knows (groups any
// of / all of, methods, source address ranges, time windows, a relationship check). Empty
// fields are left out, so the policy says only what was filled in; the API checks the rest.
// Inputs are uncontrolled (typing a comma must not be undone by re-rendering a parsed list):
// the editor is remounted, by key, when its policy is replaced from the JSON view.

import type { Day } from '../../../src/forwardauth/time-window.ts'
import type { Policy } from '../../../src/forwardauth/application.ts'

export type PolicyDraft = Partial<Policy>
type TimeWindow = NonNullable<Policy['timeWindows']>[number]

const DAYS: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

const list = (value: string) => value.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '')
/** A copy without keys whose value is undefined. */
function pruned<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

function ListField(props: { id: string; label: string; hint: string; value?: readonly string[]; onValue: (v: string[] | undefined) => void }) {
  return (
    <p class="field">
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="text" defaultValue={props.value?.join(', ') ?? ''} aria-describedby={`${props.id}-hint`} autocomplete="off"
        onInput={(e) => {
          const v = list(e.currentTarget.value)
          props.onValue(v.length === 0 ? undefined : v)
        }} />
      <small id={`${props.id}-hint`} class="muted">{props.hint}</small>
    </p>
  )
}

function WindowFields(props: { id: string; n: number; window: TimeWindow; onChange: (w: TimeWindow) => void; onRemove: () => void }) {
  const w = props.window
  const set = (patch: Partial<TimeWindow>) => props.onChange(pruned({ ...w, ...patch }))
  return (
    <fieldset>
      <legend>Time window {props.n}</legend>
      <div class="filters">
        <p class="field"><label for={`${props.id}-from`}>From</label>
          <input id={`${props.id}-from`} type="text" inputMode="numeric" placeholder="09:00" defaultValue={w.from} onInput={(e) => set({ from: e.currentTarget.value.trim() })} /></p>
        <p class="field"><label for={`${props.id}-to`}>To</label>
          <input id={`${props.id}-to`} type="text" inputMode="numeric" placeholder="17:00" defaultValue={w.to} onInput={(e) => set({ to: e.currentTarget.value.trim() })} /></p>
        <p class="field"><label for={`${props.id}-tz`}>Time zone</label>
          <input id={`${props.id}-tz`} type="text" placeholder="Europe/Berlin" defaultValue={w.timeZone} onInput={(e) => set({ timeZone: e.currentTarget.value.trim() })} /></p>
      </div>
      <p class="check-row" role="group" aria-label={`Days of time window ${props.n} (none: every day)`}>
        {DAYS.map((d) => (
          <label class="check" key={d}>
            <input type="checkbox" checked={w.days?.includes(d) ?? false} onChange={(e) => {
              const days = DAYS.filter((x) => (x === d ? e.currentTarget.checked : w.days?.includes(x) ?? false))
              set({ days: days.length === 0 ? undefined : days })
            }} />{d}
          </label>
        ))}
      </p>
      <button type="button" class="secondary" onClick={props.onRemove}>Remove time window {props.n}</button>
    </fieldset>
  )
}

export function PolicyEditor(props: { id: string; legend: string; policy: PolicyDraft; onChange: (p: PolicyDraft) => void }) {
  const p = props.policy
  const set = (patch: Partial<PolicyDraft>) => props.onChange(pruned({ ...p, ...patch }))
  const setGroups = (patch: { anyOf?: string[]; allOf?: string[] }) => {
    const groups = pruned({ ...p.groups, ...patch })
    set({ groups: Object.keys(groups).length === 0 ? undefined : groups as Policy['groups'] })
  }
  const relation = p.relation ?? { store: '', object: '', relation: '' }
  const setRelation = (patch: Partial<typeof relation>) => {
    const next = { ...relation, ...patch }
    set({ relation: next.store === '' && next.object === '' && next.relation === '' ? undefined : next })
  }
  const windows = p.timeWindows ?? []
  const id = props.id
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      <ListField id={`${id}-any`} label="Member of any of these groups" hint="Comma separated, e.g. acme:developers." value={p.groups?.anyOf} onValue={(v) => setGroups({ anyOf: v })} />
      <ListField id={`${id}-all`} label="Member of all of these groups" hint="Comma separated." value={p.groups?.allOf} onValue={(v) => setGroups({ allOf: v })} />
      <ListField id={`${id}-methods`} label="Allowed methods" hint="Comma separated, e.g. GET, HEAD. Empty: any." value={p.methods} onValue={(v) => set({ methods: v?.map((m) => m.toUpperCase()) })} />
      <ListField id={`${id}-cidrs`} label="Source addresses" hint="Addresses or CIDR ranges, e.g. 192.0.2.0/24. Empty: anywhere." value={p.sourceCidrs} onValue={(v) => set({ sourceCidrs: v })} />
      {windows.map((w, i) => (
        <WindowFields key={`${id}-w${i}-${windows.length}`} id={`${id}-w${i}`} n={i + 1} window={w}
          onChange={(next) => set({ timeWindows: windows.map((x, j) => (j === i ? next : x)) })}
          onRemove={() => set({ timeWindows: windows.length === 1 ? undefined : windows.filter((_, j) => j !== i) })} />
      ))}
      <p><button type="button" class="secondary" onClick={() => set({ timeWindows: [...windows, { from: '09:00', to: '17:00', timeZone: 'UTC' }] })}>Add a time window</button></p>
      <details open={p.relation !== undefined}>
        <summary>Relationship check</summary>
        <div class="filters">
          <p class="field"><label for={`${id}-store`}>Store</label><input id={`${id}-store`} type="text" defaultValue={relation.store} onInput={(e) => setRelation({ store: e.currentTarget.value.trim() })} /></p>
          <p class="field"><label for={`${id}-object`}>Object</label><input id={`${id}-object`} type="text" placeholder="application:grafana" defaultValue={relation.object} onInput={(e) => setRelation({ object: e.currentTarget.value.trim() })} /></p>
          <p class="field"><label for={`${id}-relation`}>Relation</label><input id={`${id}-relation`} type="text" placeholder="can_access" defaultValue={relation.relation} onInput={(e) => setRelation({ relation: e.currentTarget.value.trim() })} /></p>
        </div>
      </details>
    </fieldset>
  )
}
