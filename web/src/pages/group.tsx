// One group: its members, upstream groups and roles, edited in place (PUT replaces the group).

import { del, get, put, seg } from '../api.ts'
import { navigate } from '../router.ts'
import type { Group, ListAnswer, Role } from '../types.ts'
import { ActionForm, Empty, Field, PageHeader, Show, lines, text, useLoad } from '../ui.tsx'
import { parseMembers } from './organization.tsx'

export function GroupPage(props: { org: string; group: string }) {
  const path = `/api/v1/organizations/${seg(props.org)}/groups/${seg(props.group)}`
  const loaded = useLoad(async () => {
    const [group, roles] = await Promise.all([get<Group>(path), get<ListAnswer<Role>>('/api/v1/roles').catch(() => ({ items: [] as Role[] }))])
    return { group, roles: roles.items }
  }, [path])
  const save = async (g: Group, change: Partial<Group>) => {
    const next = { ...g, ...change }
    await put(path, {
      name: next.name, description: next.description, members: next.members.map((m) => ({ id: m.id, issuer: m.issuer, ...(m.email ? { email: m.email } : {}) })),
      upstreamGroups: next.upstreamGroups, serviceAccountIds: next.serviceAccountIds, roleIds: next.roleIds,
    })
    loaded.reload()
  }
  return (
    <Show loaded={loaded}>
      {({ group, roles }) => (
        <>
          <PageHeader title={group.name} subtitle={group.description || 'A group of people (and service accounts) with roles.'}
            back={{ href: `/organizations/${seg(props.org)}`, label: props.org }} />
          <section aria-labelledby="members">
            <h2 id="members">Members</h2>
            {group.members.length === 0 ? <Empty>No explicit members.</Empty> : (
              <ul class="rows">{group.members.map((m) => (
                <li key={`${m.id}@${m.issuer}`}>
                  <span>{m.id} <small class="muted">{m.issuer === 'local' ? 'local account' : m.issuer}</small></span>
                  <button type="button" class="danger"
                    onClick={() => void save(group, { members: group.members.filter((x) => x !== m) })}>Remove<span class="sr-only"> {m.id}</span></button>
                </li>
              ))}</ul>
            )}
            <ActionForm label="Add members" submit="Add" action={async (f) => {
              await save(group, { members: [...group.members, ...parseMembers(f.get('members'))] })
              return 'Members added.'
            }}>
              <Field name="members" label="Users to add" required hint="Comma separated: a local username, or id@issuer-URL." autocomplete="off" />
            </ActionForm>
          </section>
          <section aria-labelledby="upstream">
            <h2 id="upstream">Upstream groups</h2>
            <p class="muted">Everyone in these identity-provider groups is a member, synced at each sign-in.</p>
            <ActionForm keep label="Upstream groups" submit="Save upstream groups" action={async (f) => {
              await save(group, { upstreamGroups: lines(f.get('upstreamGroups')) })
              return 'Saved.'
            }}>
              <Field name="upstreamGroups" label="Upstream groups" defaultValue={group.upstreamGroups.join(', ')} hint="provider:group, comma separated." autocomplete="off" />
            </ActionForm>
          </section>
          <section aria-labelledby="roles">
            <h2 id="roles">Roles</h2>
            <ActionForm keep label="Roles of this group" submit="Save roles" action={async (f) => {
              await save(group, { roleIds: f.getAll('roleIds').map(String) })
              return 'Roles saved.'
            }}>
              <fieldset>
                <legend>Roles</legend>
                {roles.filter((r) => !r.protected || group.roleIds.includes(r.id)).map((r) => (
                  <label class="check" key={r.id}>
                    <input type="checkbox" name="roleIds" value={r.id} defaultChecked={group.roleIds.includes(r.id)} /> {r.name} <small class="muted">{r.description}</small>
                  </label>
                ))}
              </fieldset>
            </ActionForm>
          </section>
          <section aria-labelledby="danger">
            <h2 id="danger">Delete</h2>
            <button type="button" class="danger" onClick={async () => {
              if (!confirm(`Delete the group ${group.name}? Its members lose what it grants.`)) return
              await del(path)
              navigate(`/organizations/${seg(props.org)}`)
            }}>Delete group {text(group.name)}</button>
          </section>
        </>
      )}
    </Show>
  )
}
