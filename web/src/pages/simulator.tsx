// The request simulator: a made-up visit to an application goes through Gatehouse's live
// decision (POST …/simulate) with the policy as edited, saved or not, and the answer names the
// rule that decided it.

import { useState } from 'preact/hooks'
import { post, seg } from '../api.ts'
import type { SimulationResult } from '../types.ts'
import { ErrorNote, lines, text, useSubmit } from '../ui.tsx'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

function verdict(r: SimulationResult): string {
  if (r.outcome === 'allow') return r.decision === 'skip' ? 'Allowed without sign-in' : 'Allowed'
  if (r.outcome === 'redirect') return 'Sent to sign in'
  if (r.outcome === 'deny') return 'Denied'
  return 'Refused: misconfigured'
}

export function Simulator(props: { id: string; draft: unknown }) {
  const [anonymous, setAnonymous] = useState(false)
  const [result, setResult] = useState<SimulationResult | undefined>(undefined)
  const { busy, error, onSubmit: run } = useSubmit(async (f) => {
    setResult(undefined)
    const groups = lines(f.get('groups'))
    const at = text(f.get('at'))
    const body = {
      user: anonymous ? null : { subject: text(f.get('subject')), ...(groups.length > 0 ? { groups } : {}) },
      method: text(f.get('method')), path: text(f.get('path')) || '/',
      ...(text(f.get('sourceIp')) ? { sourceIp: text(f.get('sourceIp')) } : {}),
      // datetime-local has no zone: read as UTC, as the label says.
      ...(at ? { at: `${at}${at.length === 16 ? ':00' : ''}Z` } : {}),
      application: props.draft,
    }
    setResult((await post<{ result: SimulationResult }>(`/api/v1/forward-auth/applications/${seg(props.id)}/simulate`, body)).result)
  })
  return (
    <form class="card form wide" aria-label="Simulate a request" onSubmit={run}>
      <h2>Simulate a request</h2>
      <p class="muted">Runs Gatehouse's own decision on the policy as edited above, saved or not. Nothing is written.</p>
      <fieldset>
        <legend>Visitor</legend>
        <label class="check"><input type="radio" name="who" checked={!anonymous} onChange={() => setAnonymous(false)} />A signed-in user</label>
        <label class="check"><input type="radio" name="who" checked={anonymous} onChange={() => setAnonymous(true)} />Anonymous</label>
        {!anonymous && (
          <div class="filters">
            <p class="field"><label for="sim-subject">User</label>
              <input id="sim-subject" name="subject" type="text" required placeholder="local:ann" autocomplete="off" aria-describedby="sim-subject-hint" />
              <small id="sim-subject-hint" class="muted">A subject: local:&lt;username&gt; or ext:….</small></p>
            <p class="field"><label for="sim-groups">Groups</label>
              <input id="sim-groups" name="groups" type="text" autocomplete="off" aria-describedby="sim-groups-hint" />
              <small id="sim-groups-hint" class="muted">Empty: the groups Gatehouse knows for the user.</small></p>
          </div>
        )}
      </fieldset>
      <div class="filters">
        <p class="field"><label for="sim-method">Method</label>
          <select id="sim-method" name="method">{METHODS.map((m) => <option key={m}>{m}</option>)}</select></p>
        <p class="field"><label for="sim-path">Path</label><input id="sim-path" name="path" type="text" defaultValue="/" autocomplete="off" /></p>
        <p class="field"><label for="sim-ip">Source address</label><input id="sim-ip" name="sourceIp" type="text" placeholder="192.0.2.10" autocomplete="off" /></p>
        <p class="field"><label for="sim-at">Time (UTC)</label><input id="sim-at" name="at" type="datetime-local" aria-describedby="sim-at-hint" /><small id="sim-at-hint" class="muted">Empty: now.</small></p>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <button type="submit" disabled={busy}>{busy ? 'Working…' : 'Simulate'}</button>
      {result && (
        <div role="status" class={`sim-result ${result.outcome}`}>
          <p><strong>{verdict(result)}</strong> <span class="muted">(HTTP {result.status})</span></p>
          {result.rule !== undefined && <p>Decided by rule <code class="wrap">{result.rule}</code></p>}
          {result.reason && <p>{result.reason}</p>}
          {result.location && <p class="wrap">Sign-in: <code class="wrap">{result.location}</code></p>}
          {result.identity && <p class="muted">As {result.identity.subject}; groups: {result.identity.groups.join(', ') || 'none'}; organizations: {result.identity.organizations.join(', ') || 'none'}.</p>}
        </div>
      )}
    </form>
  )
}
