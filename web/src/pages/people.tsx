// People: local accounts and the upstream users Gatehouse has seen sign in. A person's page
// shows their organizations and live sessions, which can be ended; local accounts can be
// disabled, enabled and given a new password (chosen, or generated and shown once).

import { useState } from 'preact/hooks'
import { del, get, post, seg } from '../api.ts'
import type { ListAnswer, LocalAccountView, PersonView, UpstreamUserView } from '../types.ts'
import { ActionForm, Empty, ErrorNote, Link, PageHeader, Show, text, useLoad, when } from '../ui.tsx'

const personHref = (subject: string) => `/people/${encodeURIComponent(subject)}`

/** A list loaded a page at a time: "Show more" asks for the next page with the last token. */
function usePages<T>(path: string) {
  const [pages, setPages] = useState<T[][]>([])
  const [next, setNext] = useState<string | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const first = useLoad(() => get<ListAnswer<T>>(`${path}?page_size=100`).then((page) => {
    setPages([page.items])
    setNext(page.continuation_token)
    return page
  }))
  const more = async () => {
    try {
      const page = await get<ListAnswer<T>>(`${path}?page_size=100&continuation_token=${encodeURIComponent(next!)}`)
      setPages((p) => [...p, page.items])
      setNext(page.continuation_token)
    } catch (err) {
      setError(err)
    }
  }
  return { first, items: pages.flat(), next, more, error }
}

function More(props: { pages: { next?: string; more: () => Promise<void>; error: unknown }; what: string }) {
  return (
    <>
      {props.pages.error !== undefined && <ErrorNote error={props.pages.error} />}
      {props.pages.next !== undefined && <p><button type="button" class="secondary" onClick={() => void props.pages.more()}>Show more {props.what}</button></p>}
    </>
  )
}

export function PeoplePage() {
  const accountPages = usePages<LocalAccountView>('/api/v1/accounts')
  const upstreamPages = usePages<UpstreamUserView>('/api/v1/people')
  const accounts = { ...accountPages.first, data: accountPages.first.data && { items: accountPages.items } }
  const upstream = { ...upstreamPages.first, data: upstreamPages.first.data && { items: upstreamPages.items } }
  return (
    <>
      <PageHeader title="People" subtitle="Local accounts, and the people who signed in through an upstream identity provider." />
      <section aria-labelledby="local-heading">
        <h2 id="local-heading">Local accounts</h2>
        <Show loaded={accounts}>
          {(list) => list.items.length === 0 ? <Empty>No local accounts.</Empty> : (
            <div class="table-wrap"><table>
              <thead><tr><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Groups</th><th scope="col">Status</th><th scope="col">Last sign-in</th></tr></thead>
              <tbody>{list.items.map((a) => (
                <tr key={a.subject}>
                  <td><Link href={personHref(a.subject)}>{a.username}</Link></td>
                  <td class="wrap">{a.email ?? '—'}</td>
                  <td class="wrap">{a.groups.join(', ') || '—'}</td>
                  <td>{a.disabled ? <span class="badge denied">disabled</span> : <span class="badge success">active</span>}</td>
                  <td>{when(a.lastLoginAt)}</td>
                </tr>
              ))}</tbody>
            </table></div>
          )}
        </Show>
        <More pages={accountPages} what="accounts" />
        <p class="muted">New local accounts are made with <code>gatehouse accounts create</code>.</p>
      </section>
      <section aria-labelledby="upstream-heading">
        <h2 id="upstream-heading">Signed in through an upstream provider</h2>
        <Show loaded={upstream}>
          {(list) => list.items.length === 0 ? <Empty>Nobody has signed in through an upstream provider yet.</Empty> : (
            <div class="table-wrap"><table>
              <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Issuer</th><th scope="col">Groups</th><th scope="col">Last sign-in</th></tr></thead>
              <tbody>{list.items.map((u) => (
                <tr key={u.subject}>
                  <td><Link href={personHref(u.subject)}>{u.name ?? u.email ?? u.upstreamSubject}</Link></td>
                  <td class="wrap">{u.email ?? '—'}</td>
                  <td class="wrap">{u.issuer}</td>
                  <td class="wrap">{u.groups.join(', ') || '—'}</td>
                  <td>{when(u.lastLoginAt)} <span class="muted">({u.loginCount}×)</span></td>
                </tr>
              ))}</tbody>
            </table></div>
          )}
        </Show>
        <More pages={upstreamPages} what="people" />
      </section>
    </>
  )
}

/** A generated password as the API answered it once: shown until dismissed. */
function PasswordOnce(props: { username: string; password: string; onDone: () => void }) {
  return (
    <div class="card secret" role="status">
      <h2>New password of {props.username}</h2>
      <p>Hand it over now: Gatehouse stores only a hash and will not show it again.</p>
      <p><label for="new-password">New password</label><input id="new-password" readOnly value={props.password} onFocus={(e) => e.currentTarget.select()} /></p>
      <button type="button" onClick={props.onDone}>I have copied it</button>
    </div>
  )
}

export function PersonPage({ subject }: { subject: string }) {
  const person = useLoad(() => get<{ person: PersonView }>(`/api/v1/people/${seg(subject)}`).then((r) => r.person), [subject])
  const [error, setError] = useState<unknown>(undefined)
  const [done, setDone] = useState<string | undefined>(undefined)
  const [generated, setGenerated] = useState<{ username: string; password: string } | undefined>(undefined)
  const act = async (fn: () => Promise<string>) => {
    setError(undefined)
    setDone(undefined)
    try {
      setDone(await fn())
      person.reload()
    } catch (err) {
      setError(err)
    }
  }
  const title = person.data?.account?.username ?? subject
  return (
    <>
      <PageHeader title={title} subtitle={<code class="wrap">{subject}</code>} back={{ href: '/people', label: 'People' }} />
      {generated && <PasswordOnce {...generated} onDone={() => setGenerated(undefined)} />}
      {error !== undefined && <ErrorNote error={error} />}
      {done && <p role="status" class="ok">{done}</p>}
      <Show loaded={person}>
        {(p) => (
          <>
            {p.account && (
              <section aria-labelledby="account-heading" class="card">
                <h2 id="account-heading">Local account</h2>
                <p>
                  Status: {p.account.disabled ? <span class="badge denied">disabled</span> : <span class="badge success">active</span>}
                  {' '}· Email: {p.account.email ?? '—'} · Groups: {p.account.groups.join(', ') || '—'} · Last sign-in: {when(p.account.lastLoginAt)}
                </p>
                <p class="toolbar">
                  {p.account.disabled
                    ? <button type="button" onClick={() => void act(async () => {
                      await post(`/api/v1/accounts/${seg(p.account!.username)}/enable`)
                      return `${p.account!.username} can sign in again.`
                    })}>Enable account</button>
                    : <button type="button" class="danger" onClick={() => void act(async () => {
                      if (!confirm(`Disable ${p.account!.username}? They are signed out everywhere and cannot sign in.`)) return ''
                      await post(`/api/v1/accounts/${seg(p.account!.username)}/disable`)
                      return `${p.account!.username} is disabled.`
                    })}>Disable account</button>}
                  <button type="button" class="secondary" onClick={() => void act(async () => {
                    if (!confirm(`Generate a new password for ${p.account!.username}? The old one stops working.`)) return ''
                    const answer = await post<{ password?: string }>(`/api/v1/accounts/${seg(p.account!.username)}/password`)
                    if (answer.password) setGenerated({ username: p.account!.username, password: answer.password })
                    return 'A new password was generated.'
                  })}>Generate a new password</button>
                </p>
              </section>
            )}
            {p.account && (
              <ActionForm label="Set a password" submit="Set password" action={async (f) => {
                await post(`/api/v1/accounts/${seg(p.account!.username)}/password`, { password: text(f.get('password')) })
                return 'Password set.'
              }}>
                <p class="field">
                  <label for="f-password">New password</label>
                  <input id="f-password" name="password" type="password" required minLength={12} autocomplete="new-password" aria-describedby="f-password-hint" />
                  <small id="f-password-hint" class="muted">At least 12 characters.</small>
                </p>
              </ActionForm>
            )}
            <section aria-labelledby="orgs-heading">
              <h2 id="orgs-heading">Organizations</h2>
              {p.organizations.length === 0 ? <Empty>Not a member of any organization.</Empty> : (
                <ul class="rows">{p.organizations.map((o) => (
                  <li key={o.id}><span><Link href={`/organizations/${encodeURIComponent(o.name)}`}>{o.name}</Link></span><span class="muted">{o.groups.join(', ') || 'no groups'}</span></li>
                ))}</ul>
              )}
            </section>
            <section aria-labelledby="sessions-heading">
              <h2 id="sessions-heading">Active sessions</h2>
              {p.sessions.length === 0 ? <Empty>No active sessions.</Empty> : (
                <ul class="rows sessions">{p.sessions.map((s, i) => (
                  <li key={s.id}>
                    <span>
                      <strong>{s.kind === 'oidc' ? 'Sign-in (OpenID Connect)' : 'Forward-auth portal'}</strong>
                      {s.clients && s.clients.length > 0 && <span class="muted"> · {s.clients.join(', ')}</span>}
                      <br /><small class="muted">Signed in {when(s.createdAt)}{s.lastSeenAt && s.lastSeenAt !== s.createdAt ? ` · last seen ${when(s.lastSeenAt)}` : ''} · ends {when(s.expiresAt)}</small>
                    </span>
                    <button type="button" class="danger" onClick={() => void act(async () => {
                      await del(`/api/v1/people/${seg(subject)}/sessions/${seg(s.id)}`)
                      return 'Session ended.'
                    })}>Revoke<span class="sr-only"> session {i + 1}</span></button>
                  </li>
                ))}</ul>
              )}
            </section>
          </>
        )}
      </Show>
    </>
  )
}
