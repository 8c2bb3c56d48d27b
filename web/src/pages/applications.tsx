// Forward-auth applications: list them and edit each one's hosts and policy as JSON, checked by
// the API (its validation message names the field that is wrong).

import { useState } from 'preact/hooks'
import { del, get, post, put, seg } from '../api.ts'
import type { ListAnswer } from '../types.ts'
import { ActionForm, Empty, ErrorNote, PageHeader, Show, text, useLoad } from '../ui.tsx'

interface Application {
  id: string
  hosts: string[]
  policy: Record<string, unknown>
  source?: string
  [key: string]: unknown
}

const TEMPLATE = JSON.stringify({
  id: 'grafana',
  hosts: ['grafana.example.com'],
  policy: { groups: { anyOf: ['acme:developers'] } },
}, null, 2)

/** The editable part: what the API takes (its read-only fields left out). */
function editable(app: Application): string {
  const { source: _source, createdAt: _c, updatedAt: _u, ...rest } = app
  return JSON.stringify(rest, null, 2)
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json)
  } catch (err) {
    throw new Error(`The application is not valid JSON: ${(err as Error).message}`)
  }
}

export function ApplicationsPage() {
  const apps = useLoad(() => get<ListAnswer<Application>>('/api/v1/forward-auth/applications'))
  const [editing, setEditing] = useState<Application | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  return (
    <>
      <PageHeader title="Forward-auth applications" subtitle="Web apps behind Caddy, nginx or Traefik, with who may reach them." />
      {error !== undefined && <ErrorNote error={error} />}
      <Show loaded={apps}>
        {(list) => list.items.length === 0 ? <Empty>No applications yet.</Empty> : (
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Application</th><th scope="col">Hosts</th><th scope="col">Policy</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{list.items.map((a) => (
              <tr key={a.id}>
                <td><code>{a.id}</code></td>
                <td>{a.hosts.join(', ')}</td>
                <td><code class="wrap">{JSON.stringify(a.policy)}</code></td>
                <td class="actions">
                  <button type="button" onClick={() => setEditing(a)}>Edit<span class="sr-only"> {a.id}</span></button>
                  {a.source !== 'bootstrap' && (
                    <button type="button" class="danger" onClick={async () => {
                      if (!confirm(`Delete ${a.id}? Its hosts stop being protected by Gatehouse.`)) return
                      setError(undefined)
                      await del(`/api/v1/forward-auth/applications/${seg(a.id)}`).then(apps.reload, setError)
                    }}>Delete<span class="sr-only"> {a.id}</span></button>
                  )}
                </td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </Show>
      <ActionForm key={editing?.id ?? 'new'} keep label={editing ? `Edit ${editing.id}` : 'Add an application'} submit={editing ? 'Save application' : 'Add application'}
        action={async (f) => {
          const body = parse(text(f.get('application')))
          if (editing) await put(`/api/v1/forward-auth/applications/${seg(editing.id)}`, body)
          else await post('/api/v1/forward-auth/applications', body)
          apps.reload()
          setEditing(undefined)
          return 'Saved.'
        }}>
        <p class="field">
          <label for="f-application">Application (JSON)</label>
          <textarea id="f-application" name="application" rows={12} spellcheck={false} aria-describedby="f-application-hint"
            defaultValue={editing ? editable(editing) : TEMPLATE} />
          <small id="f-application-hint" class="muted">
            Policy keys: <code>groups</code> (anyOf / allOf), <code>relation</code> (store, object, relation), <code>sourceCidrs</code>, <code>timeWindows</code>, <code>methods</code>; per path in <code>rules</code>. See docs/forward-auth.md.
          </small>
        </p>
        {editing && <button type="button" class="secondary" onClick={() => setEditing(undefined)}>Cancel editing</button>}
      </ActionForm>
    </>
  )
}
