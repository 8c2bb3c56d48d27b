// OIDC clients: list, create (the secret is shown once), rotate a secret, delete; each links to
// its settings page.

import { useState } from 'preact/hooks'
import { del, get, post, seg } from '../api.ts'
import type { ClientView, ListAnswer } from '../types.ts'
import { ActionForm, Empty, ErrorNote, Field, Link, PageHeader, Show, lines, text, useLoad } from '../ui.tsx'

/** A secret as the API answered it once: shown until the administrator dismisses it. */
function SecretOnce(props: { clientId: string; secret: string; onDone: () => void }) {
  return (
    <div class="card secret" role="status">
      <h2>Secret of {props.clientId}</h2>
      <p>Copy it now: Gatehouse stores only a hash and will not show it again.</p>
      <p><label for="secret">Client secret</label><input id="secret" readOnly value={props.secret} onFocus={(e) => e.currentTarget.select()} /></p>
      <button type="button" onClick={props.onDone}>I have copied it</button>
    </div>
  )
}

export function ClientsPage() {
  const clients = useLoad(() => get<ListAnswer<ClientView>>('/api/v1/clients?page_size=100'))
  const [secret, setSecret] = useState<{ clientId: string; secret: string } | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const act = async (fn: () => Promise<void>) => {
    setError(undefined)
    try {
      await fn()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <>
      <PageHeader title="OIDC clients" subtitle="Applications that sign people in through Gatehouse, and services that get tokens." />
      {secret && <SecretOnce {...secret} onDone={() => setSecret(undefined)} />}
      {error !== undefined && <ErrorNote error={error} />}
      <Show loaded={clients}>
        {(list) => list.items.length === 0 ? <Empty>No clients yet.</Empty> : (
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Client id</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Redirect URIs</th><th scope="col">Source</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{list.items.map((c) => (
              <tr key={c.id}>
                <td><Link href={`/clients/${seg(c.id)}`}><code>{c.id}</code></Link></td>
                <td>{c.name ?? '—'}</td>
                <td>{c.type}</td>
                <td class="wrap">{c.redirectUris.join(' ') || '—'}</td>
                <td>{c.source}</td>
                <td class="actions">
                  {c.hasSecret && (
                    <button type="button" onClick={() => void act(async () => {
                      if (!confirm(`Rotate the secret of ${c.id}? The old one stops working at once.`)) return
                      const rotated = await post<{ secret: string }>(`/api/v1/clients/${seg(c.id)}/secret`)
                      setSecret({ clientId: c.id, secret: rotated.secret })
                    })}>Rotate secret<span class="sr-only"> of {c.id}</span></button>
                  )}
                  {c.source !== 'bootstrap' && (
                    <button type="button" class="danger" onClick={() => void act(async () => {
                      if (!confirm(`Delete the client ${c.id}? Its tokens stop working.`)) return
                      await del(`/api/v1/clients/${seg(c.id)}`)
                      clients.reload()
                    })}>Delete<span class="sr-only"> {c.id}</span></button>
                  )}
                </td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </Show>
      <ActionForm label="Create a client" submit="Create client" action={async (f) => {
        const type = text(f.get('type'))
        const created = await post<{ client: ClientView; secret?: string }>('/api/v1/clients', {
          id: text(f.get('id')), ...(text(f.get('name')) ? { name: text(f.get('name')) } : {}), type,
          redirectUris: lines(f.get('redirectUris')), scopes: ['openid', 'email', 'profile', 'groups'],
        })
        if (created.secret) setSecret({ clientId: created.client.id, secret: created.secret })
        clients.reload()
        return `Client ${created.client.id} created.`
      }}>
        <Field name="id" label="Client id" required autocomplete="off" hint="Letters, digits and . _ : -" />
        <Field name="name" label="Display name" autocomplete="off" hint="Shown on the sign-in page." />
        <p class="field">
          <label for="f-type">Type</label>
          <select id="f-type" name="type">
            <option value="confidential">Confidential (a server that keeps a secret)</option>
            <option value="public">Public (a browser or native app, with PKCE)</option>
          </select>
        </p>
        <Field name="redirectUris" label="Redirect URIs" required autocomplete="off" hint="Comma separated." />
      </ActionForm>
    </>
  )
}
