// Forward-auth applications: list them, edit each one's hosts and policy in a form (with the
// JSON as an advanced view), and try a request against the policy in the simulator.

import { useState } from 'preact/hooks'
import { del, get, seg } from '../api.ts'
import type { ListAnswer } from '../types.ts'
import { Empty, ErrorNote, PageHeader, Show, useLoad } from '../ui.tsx'
import { ApplicationEditor, editable, type AppDraft } from './application-editor.tsx'

const NEW: AppDraft = { id: '', hosts: [], policy: { groups: { anyOf: ['acme:developers'] } } }

/** One line per policy: what a reader needs to see in the table. */
function summary(app: AppDraft): string {
  const p = app.policy ?? {}
  const parts = [
    p.groups?.anyOf && `any of ${p.groups.anyOf.join(', ')}`,
    p.groups?.allOf && `all of ${p.groups.allOf.join(', ')}`,
    p.methods && p.methods.join(','),
    p.sourceCidrs && `from ${p.sourceCidrs.join(', ')}`,
    p.timeWindows && `${p.timeWindows.length} time window(s)`,
    p.relation && `${p.relation.relation} on ${p.relation.object}`,
  ].filter(Boolean)
  return parts.length === 0 ? 'any signed-in user' : parts.join('; ')
}

export function ApplicationsPage() {
  const apps = useLoad(() => get<ListAnswer<AppDraft>>('/api/v1/forward-auth/applications'))
  const [editing, setEditing] = useState<{ app: AppDraft; isNew: boolean } | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  return (
    <>
      <PageHeader title="Forward-auth applications" subtitle="Web apps behind Caddy, nginx or Traefik, with who may reach them." />
      {error !== undefined && <ErrorNote error={error} />}
      <Show loaded={apps}>
        {(list) => list.items.length === 0 ? <Empty>No applications yet.</Empty> : (
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Application</th><th scope="col">Hosts</th><th scope="col">Default policy</th><th scope="col">Rules</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{list.items.map((a) => (
              <tr key={a.id}>
                <td><code>{a.id}</code></td>
                <td class="wrap">{a.hosts.join(', ')}</td>
                <td class="wrap">{summary(a)}</td>
                <td>{a.rules?.length ?? 0}</td>
                <td class="actions">
                  <button type="button" onClick={() => setEditing({ app: editable(a), isNew: false })}>Edit<span class="sr-only"> {a.id}</span></button>
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
      {editing === undefined
        ? <p class="toolbar"><button type="button" onClick={() => setEditing({ app: NEW, isNew: true })}>Add an application</button></p>
        : <ApplicationEditor key={editing.isNew ? 'new' : editing.app.id} initial={editing.app} isNew={editing.isNew}
          onSaved={(saved) => {
            apps.reload()
            if (editing.isNew) setEditing({ app: saved, isNew: false })
          }}
          onCancel={() => setEditing(undefined)} />}
    </>
  )
}
