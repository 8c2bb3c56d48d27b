// Resource servers (APIs receiving JWT access tokens) and upstream identity providers, as
// configured; read-only, and never a secret. An upstream can be tried: "Test sign-in" opens a
// sign-in through it in a new tab, whose console then shows who came back.

import { currentTokens, idTokenClaims } from '../auth.ts'
import { get } from '../api.ts'
import type { ListAnswer, ResourceServerView, UpstreamView } from '../types.ts'
import { BASE } from '../router.ts'
import { Empty, PageHeader, Show, useLoad } from '../ui.tsx'

export function ResourceServersPage() {
  const servers = useLoad(() => get<ListAnswer<ResourceServerView>>('/api/v1/resource-servers'))
  return (
    <>
      <PageHeader title="Resource servers" subtitle={<>APIs that receive JWT access tokens: a client asks with <code>resource=</code> or <code>audience=</code>. Configured with <code>resourceServers</code>.</>} />
      <Show loaded={servers}>
        {(list) => list.items.length === 0 ? <Empty>No resource servers.</Empty> : (
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Indicator</th><th scope="col">Audience</th><th scope="col">Scopes</th><th scope="col">Token lifetime</th><th scope="col">Claims</th></tr></thead>
            <tbody>{list.items.map((rs) => (
              <tr key={rs.indicator}>
                <td class="wrap"><code>{rs.indicator}</code>{rs.builtin && <> <span class="badge">built in</span></>}</td>
                <td class="wrap">{rs.audience === rs.indicator ? 'the indicator' : <code>{rs.audience}</code>}</td>
                <td class="wrap">{rs.scopes.join(' ') || '—'}</td>
                <td>{rs.accessTokenTtlSeconds === null ? 'default' : `${rs.accessTokenTtlSeconds} s`}</td>
                <td class="wrap">{rs.accessTokenClaims.join(', ') || '—'}</td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </Show>
    </>
  )
}

export function UpstreamsPage() {
  const upstreams = useLoad(() => get<ListAnswer<UpstreamView>>('/api/v1/upstreams'))
  return (
    <>
      <PageHeader title="Upstream providers" subtitle={<>Identity providers people sign in through. Configured with <code>upstreams</code>; secrets are never shown.</>} />
      <Show loaded={upstreams}>
        {(list) => list.items.length === 0 ? <Empty>No upstream providers: people sign in with local accounts only.</Empty> : (
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Provider</th><th scope="col">Issuer</th><th scope="col">Client id</th><th scope="col">Email domains</th><th scope="col">Groups claim</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{list.items.map((u) => (
              <tr key={u.id}>
                <td><strong>{u.name}</strong><br /><code>{u.id}</code> <span class="muted">({u.kind})</span></td>
                <td class="wrap">{u.issuer}</td>
                <td class="wrap"><code>{u.clientId}</code></td>
                <td class="wrap">{u.domains.join(', ') || '—'}</td>
                <td><code>{u.groupsClaim}</code></td>
                <td class="actions">
                  <a class="button" href={`${BASE}/upstream-test?upstream=${encodeURIComponent(u.id)}`} target="_blank" rel="noopener">
                    Test sign-in<span class="sr-only"> through {u.name}</span>
                  </a>
                </td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </Show>
      {(upstreams.data?.items.length ?? 0) > 0 && <p class="muted">A test sign-in opens in a new tab and signs that browser in as whoever signs in upstream; this tab stays signed in as you.</p>}
    </>
  )
}

/** The end of a test sign-in: who came back from the upstream provider. */
/** Organization names in the namespaced claim object (its name is configurable: found by shape). */
function organizationsIn(claims: Record<string, unknown>): string[] {
  for (const value of Object.values(claims)) {
    const orgs = value !== null && typeof value === 'object' ? (value as { organizations?: unknown }).organizations : undefined
    if (Array.isArray(orgs)) return orgs.map((o) => String((o as { name?: unknown }).name ?? '')).filter((n) => n !== '')
  }
  return []
}

export function UpstreamTestPage({ upstream }: { upstream: string }) {
  const tokens = currentTokens()
  const claims = idTokenClaims()
  const organizations = organizationsIn(claims)
  return (
    <>
      <PageHeader title="Test sign-in" subtitle={<>Through <code>{upstream || 'an upstream provider'}</code></>} />
      <div class="card" role="status">
        <p class="ok">The sign-in worked.</p>
        <p>Signed in as <strong>{tokens?.username ?? 'unknown'}</strong>.</p>
        <dl class="signin-facts">
          <dt>Subject</dt><dd><code class="wrap">{String(claims.sub ?? '—')}</code></dd>
          <dt>Organizations</dt><dd>{organizations.join(', ') || 'none'}</dd>
          <dt>Sign-in method</dt><dd>{Array.isArray(claims.amr) ? claims.amr.join(', ') : '—'}</dd>
        </dl>
        <p class="muted">Close this tab when done; to see the groups and organizations Gatehouse gave this person, open People in the console.</p>
      </div>
    </>
  )
}
