// Organizations the administrator can see; platform administrators create them here.

import { get, post } from '../api.ts'
import { navigate } from '../router.ts'
import type { Session } from '../session.ts'
import type { ListAnswer, Organization } from '../types.ts'
import { ActionForm, Empty, Field, Link, PageHeader, Show, lines, text, useLoad } from '../ui.tsx'

export function OrganizationsPage({ session }: { session: Session }) {
  const orgs = useLoad(() => get<ListAnswer<Organization>>('/api/v1/organizations'))
  return (
    <>
      <PageHeader title="Organizations" subtitle="Each has its groups, projects and service accounts." />
      <Show loaded={orgs}>
        {(list) => list.items.length === 0
          ? <Empty>No organizations yet. {session.platform ? 'Create the first one below.' : ''}</Empty>
          : (
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Organizations</caption>
                <thead><tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Email domains</th><th scope="col">Source</th></tr></thead>
                <tbody>
                  {list.items.map((o) => (
                    <tr key={o.id}>
                      <td><Link href={`/organizations/${encodeURIComponent(o.name)}`}>{o.name}</Link></td>
                      <td>{o.displayName}</td>
                      <td>{o.domains.join(', ') || '—'}</td>
                      <td>{o.source}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Show>
      {session.platform && (
        <ActionForm label="Create an organization" submit="Create organization" action={async (f) => {
          const created = await post<Organization & { notice?: string }>('/api/v1/organizations', {
            name: text(f.get('name')),
            ...(text(f.get('displayName')) ? { displayName: text(f.get('displayName')) } : {}),
            domains: lines(f.get('domains')),
          })
          navigate(`/organizations/${encodeURIComponent(created.name)}${created.notice ? '?notice=first' : ''}`)
        }}>
          <Field name="name" label="Name" required pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" hint="A DNS label: lower-case letters, digits and dashes. It cannot change later." autocomplete="off" />
          <Field name="displayName" label="Display name" autocomplete="off" />
          <Field name="domains" label="Email domains" hint="Comma separated, e.g. acme.com: their users sign in through this organization." autocomplete="off" />
        </ActionForm>
      )}
    </>
  )
}
