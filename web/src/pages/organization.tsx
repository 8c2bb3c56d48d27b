// One organization: its groups, projects and service accounts, and what a user may do in it.

import { get, post, seg } from '../api.ts'
import type { AclProject, Group, ListAnswer, Organization, Project, Role, ServiceAccount } from '../types.ts'
import { ActionForm, Empty, Field, Link, PageHeader, Show, lines, text, useLoad } from '../ui.tsx'
import { AclViewer } from './acl.tsx'

interface Everything {
  org: Organization
  groups: Group[]
  projects: Project[]
  accounts: ServiceAccount[]
  roles: Role[]
}

async function load(org: string): Promise<Everything> {
  const base = `/api/v1/organizations/${seg(org)}`
  const [o, groups, projects, accounts, roles] = await Promise.all([
    get<Organization>(base),
    get<ListAnswer<Group>>(`${base}/groups`),
    get<ListAnswer<AclProject>>(`${base}/projects`),
    get<ListAnswer<ServiceAccount>>(`${base}/serviceaccounts`).catch(() => ({ items: [] as ServiceAccount[] })),
    get<ListAnswer<Role>>('/api/v1/roles').catch(() => ({ items: [] as Role[] })),
  ])
  // The list names the projects the caller may see; their groups come with each project.
  const full = await Promise.all(projects.items.slice(0, 200).map((p) => get<Project>(`${base}/projects/${seg(p.id)}`)))
  return { org: o, groups: groups.items, projects: full, accounts: accounts.items, roles: roles.items }
}

/** Members as typed: `alice` (a local account) or `alice@https://idp.example.com`. */
export function parseMembers(value: FormDataEntryValue | null): Array<{ id: string; issuer: string }> {
  return lines(value).map((entry) => {
    const at = entry.indexOf('@http')
    return at > 0 ? { id: entry.slice(0, at), issuer: entry.slice(at + 1) } : { id: entry, issuer: 'local' }
  })
}

export function OrganizationPage(props: { org: string; query: URLSearchParams }) {
  const loaded = useLoad(() => load(props.org), [props.org])
  const base = `/api/v1/organizations/${seg(props.org)}`
  const roleName = (roles: Role[], id: string) => roles.find((r) => r.id === id)?.name ?? id
  return (
    <Show loaded={loaded}>
      {({ org, groups, projects, accounts, roles }) => (
        <>
          <PageHeader title={org.displayName || org.name} subtitle={<>Organization <code>{org.name}</code>{org.domains.length > 0 && <> · {org.domains.join(', ')}</>}</>}
            back={{ href: '/organizations', label: 'Organizations' }} />
          {props.query.get('notice') === 'first' && (
            <p role="status" class="notice">This is the first organization: from now on, users who are in no organization are refused at sign-in. Add people to a group.</p>
          )}

          <section aria-labelledby="groups">
            <h2 id="groups">Groups</h2>
            {groups.length === 0 ? <Empty>No groups yet.</Empty> : (
              <div class="table-wrap"><table>
                <thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col">Upstream groups</th><th scope="col">Roles</th></tr></thead>
                <tbody>{groups.map((g) => (
                  <tr key={g.id}>
                    <td><Link href={`/organizations/${seg(org.name)}/groups/${seg(g.name)}`}>{g.name}</Link></td>
                    <td>{g.members.length}</td>
                    <td>{g.upstreamGroups.join(', ') || '—'}</td>
                    <td>{g.roleIds.map((id) => roleName(roles, id)).join(', ') || '—'}</td>
                  </tr>
                ))}</tbody>
              </table></div>
            )}
            <ActionForm label="Create a group" submit="Create group" action={async (f) => {
              await post(`${base}/groups`, {
                name: text(f.get('name')), members: parseMembers(f.get('members')), upstreamGroups: lines(f.get('upstreamGroups')),
                roleIds: f.getAll('roleIds').map(String),
              })
              loaded.reload()
              return `Group ${text(f.get('name'))} created.`
            }}>
              <Field name="name" label="Group name" required autocomplete="off" />
              <Field name="members" label="Members" hint="Comma separated usernames of local accounts, or id@issuer-URL for upstream users." autocomplete="off" />
              <Field name="upstreamGroups" label="Upstream groups" hint="Comma separated, as provider:group (e.g. okta:developers)." autocomplete="off" />
              <fieldset>
                <legend>Roles</legend>
                {roles.filter((r) => !r.protected).map((r) => (
                  <label class="check" key={r.id}><input type="checkbox" name="roleIds" value={r.id} /> {r.name} <small class="muted">{r.description}</small></label>
                ))}
              </fieldset>
            </ActionForm>
          </section>

          <section aria-labelledby="projects">
            <h2 id="projects">Projects</h2>
            {projects.length === 0 ? <Empty>No projects yet.</Empty> : (
              <div class="table-wrap"><table>
                <thead><tr><th scope="col">Project</th><th scope="col">Namespace</th><th scope="col">Shared with</th></tr></thead>
                <tbody>{projects.map((p) => (
                  <tr key={p.id}>
                    <td>{p.name}</td><td><code>{p.namespace}</code></td>
                    <td>{p.groupIds.map((id) => groups.find((g) => g.id === id)?.name ?? id).join(', ') || '—'}</td>
                  </tr>
                ))}</tbody>
              </table></div>
            )}
            <ActionForm label="Create a project" submit="Create project" action={async (f) => {
              await post(`${base}/projects`, { name: text(f.get('name')), groupIds: f.getAll('groupIds').map(String) })
              loaded.reload()
              return `Project ${text(f.get('name'))} created.`
            }}>
              <Field name="name" label="Project name" required autocomplete="off" />
              <fieldset>
                <legend>Shared with groups</legend>
                {groups.length === 0 ? <p class="muted">Create a group first to share the project with it.</p> : groups.map((g) => (
                  <label class="check" key={g.id}><input type="checkbox" name="groupIds" value={g.id} /> {g.name}</label>
                ))}
              </fieldset>
            </ActionForm>
          </section>

          <section aria-labelledby="accounts">
            <h2 id="accounts">Service accounts</h2>
            {accounts.length === 0 ? <Empty>No service accounts.</Empty> : (
              <div class="table-wrap"><table>
                <thead><tr><th scope="col">Name</th><th scope="col">OIDC client</th><th scope="col">Description</th></tr></thead>
                <tbody>{accounts.map((a) => <tr key={a.id}><td>{a.name}</td><td><code>{a.clientId}</code></td><td>{a.description || '—'}</td></tr>)}</tbody>
              </table></div>
            )}
            <ActionForm label="Add a service account" submit="Add service account" action={async (f) => {
              await post(`${base}/serviceaccounts`, { name: text(f.get('name')), clientId: text(f.get('clientId')) })
              loaded.reload()
              return 'Service account added.'
            }}>
              <Field name="name" label="Service account name" required autocomplete="off" />
              <Field name="clientId" label="Client id" required hint="The OIDC client (mutual TLS or client_credentials) that acts as this account." autocomplete="off" />
            </ActionForm>
          </section>

          <AclViewer org={org} />
        </>
      )}
    </Show>
  )
}
