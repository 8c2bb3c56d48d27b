// The overview: version, store health, how much there is, and the provisioning queue.

import { ApiError, get, seg } from '../api.ts'
import type { Session } from '../session.ts'
import type { AclProject, AuditEntry, ClientView, Group, ListAnswer, Organization, ProvisioningStats, UpstreamHealth, UpstreamView } from '../types.ts'
import { Empty, Link, PageHeader, Show, useLoad, when } from '../ui.tsx'
import { AuditTable } from './audit-table.tsx'

interface Counts {
  organizations: number
  groups: number
  projects: number
  clients?: string
  ready: boolean
  provisioning?: ProvisioningStats
  signIns?: AuditEntry[]
  denials?: AuditEntry[]
  upstreams?: Array<{ upstream: UpstreamView; health: UpstreamHealth }>
}

async function counts(platform: boolean): Promise<Counts> {
  const orgs = (await get<ListAnswer<Organization>>('/api/v1/organizations')).items
  const per = await Promise.all(orgs.map(async (o) => {
    const [g, p] = await Promise.all([
      get<ListAnswer<Group>>(`/api/v1/organizations/${seg(o.id)}/groups`).catch(() => ({ items: [] })),
      get<ListAnswer<AclProject>>(`/api/v1/organizations/${seg(o.id)}/projects`).catch(() => ({ items: [] })),
    ])
    return { groups: g.items.length, projects: p.items.length }
  }))
  const ready = (await fetch('/readyz')).ok
  const out: Counts = {
    organizations: orgs.length, groups: per.reduce((n, c) => n + c.groups, 0), projects: per.reduce((n, c) => n + c.projects, 0), ready,
  }
  if (platform) {
    const clients = await get<ListAnswer<ClientView>>('/api/v1/clients?page_size=100')
    const recent = (query: string) => get<ListAnswer<AuditEntry>>(`/api/v1/audit?limit=5&${query}`).then((a) => a.items)
    ;[out.signIns, out.denials] = await Promise.all([recent('action=user.sign_in'), recent('outcome=denied')])
    const upstreams = (await get<ListAnswer<UpstreamView>>('/api/v1/upstreams')).items
    out.upstreams = await Promise.all(upstreams.map(async (upstream) => ({
      upstream, health: await get<UpstreamHealth>(`/api/v1/upstreams/${seg(upstream.id)}/health`),
    })))
    out.clients = `${clients.items.length}${clients.continuation_token ? '+' : ''}`
    // Provisioning is optional: without rules its API is not there.
    out.provisioning = await get<ProvisioningStats>('/api/v1/provisioning/stats').catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined
      throw err
    })
  }
  return out
}

function Stat(props: { label: string; value: string | number; href?: string }) {
  return (
    <div class="stat card">
      <dt>{props.href ? <Link href={props.href}>{props.label}</Link> : props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  )
}

export function OverviewPage({ session }: { session: Session }) {
  const loaded = useLoad(() => counts(session.platform))
  return (
    <>
      <PageHeader title="Overview" subtitle={session.platform ? 'Everything on this Gatehouse.' : 'The organizations you administer.'} />
      <Show loaded={loaded}>
        {(c) => (
          <>
            <dl class="stats">
              <Stat label="Version" value={session.settings.version} />
              <Stat label="Store" value={c.ready ? 'Healthy' : 'Not answering'} />
              <Stat label="Organizations" value={c.organizations} href="/organizations" />
              <Stat label="Groups" value={c.groups} />
              <Stat label="Projects" value={c.projects} />
              {c.clients !== undefined && <Stat label="OIDC clients" value={c.clients} href="/clients" />}
            </dl>
            {c.upstreams && c.upstreams.length > 0 && (
              <section aria-labelledby="upstream-health">
                <h2 id="upstream-health">Upstream identity providers</h2>
                <div class="table-wrap"><table>
                  <caption class="sr-only">Upstream identity providers and whether they answer</caption>
                  <thead><tr><th scope="col">Provider</th><th scope="col">Issuer</th><th scope="col">Status</th></tr></thead>
                  <tbody>{c.upstreams.map(({ upstream, health }) => (
                    <tr key={upstream.id}>
                      <td>{upstream.name}</td>
                      <td class="wrap"><code>{upstream.issuer}</code></td>
                      <td>
                        <span class={`badge ${health.ok ? 'success' : 'failure'}`}>{health.ok ? 'answering' : 'not answering'}</span>
                        {health.error && <div class="muted wrap">{health.error}</div>}
                      </td>
                    </tr>
                  ))}</tbody>
                </table></div>
              </section>
            )}
            {c.signIns && (
              <section aria-labelledby="recent-sign-ins">
                <h2 id="recent-sign-ins">Recent sign-ins</h2>
                {c.signIns.length === 0 ? <Empty>No sign-ins yet.</Empty> : <AuditTable entries={c.signIns} caption="Recent sign-ins" />}
                <p><Link href="/audit?action=user.sign_in">All sign-ins</Link></p>
              </section>
            )}
            {c.denials && (
              <section aria-labelledby="recent-denials">
                <h2 id="recent-denials">Recent denials</h2>
                {c.denials.length === 0 ? <Empty>Nothing was refused yet.</Empty> : <AuditTable entries={c.denials} caption="Recent denials" />}
                <p><Link href="/audit?outcome=denied">All denials</Link></p>
              </section>
            )}
            {c.provisioning && (
              <section aria-labelledby="queue">
                <h2 id="queue">Provisioning queue</h2>
                <dl class="stats">
                  <Stat label="Pending" value={c.provisioning.pending} href="/provisioning" />
                  <Stat label="Failed (dead)" value={c.provisioning.dead} href="/provisioning" />
                  <Stat label="Delivered" value={c.provisioning.done} />
                  <Stat label="Oldest pending" value={when(c.provisioning.oldest_pending_at)} />
                </dl>
              </section>
            )}
          </>
        )}
      </Show>
    </>
  )
}
