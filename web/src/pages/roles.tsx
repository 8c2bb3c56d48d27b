// Roles: what each grants (scopes × create/read/update/delete, per level), and custom roles
// built from a scope grid. Built-in roles are shown but cannot be changed here.

import { useState } from 'preact/hooks'
import { del, get, post, seg } from '../api.ts'
import type { ListAnswer, Role } from '../types.ts'
import { ActionForm, Empty, ErrorNote, PageHeader, Show, text, useLoad } from '../ui.tsx'

const LEVELS = ['global', 'organization', 'project'] as const
const OPERATIONS = ['create', 'read', 'update', 'delete'] as const
type Level = (typeof LEVELS)[number]

/** "organization: kubernetes:clusters (read, update)", one line per scope. */
function grants(role: Role): string[] {
  const out: string[] = []
  for (const level of LEVELS) {
    for (const [scope, ops] of Object.entries(role.scopes[level] ?? {})) out.push(`${level}: ${scope} (${ops.join(', ')})`)
  }
  return out
}

interface Row { key: number; level: Level; scope: string; ops: Set<string> }

/** The create form's grid: one row per (level, scope) with a checkbox per operation. */
function ScopeGrid(props: { rows: Row[]; onChange: (rows: Row[]) => void }) {
  const update = (key: number, change: Partial<Row>) => props.onChange(props.rows.map((r) => (r.key === key ? { ...r, ...change } : r)))
  return (
    <fieldset class="scope-grid">
      <legend>Scopes it grants</legend>
      {props.rows.map((r, i) => (
        <div class="scope-row" key={r.key} role="group" aria-label={`Scope ${i + 1}`}>
          <p class="field">
            <label for={`level-${r.key}`}>Level</label>
            <select id={`level-${r.key}`} value={r.level} onChange={(e) => update(r.key, { level: e.currentTarget.value as Level })}>
              {LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
            </select>
          </p>
          <p class="field">
            <label for={`scope-${r.key}`}>Scope</label>
            <input id={`scope-${r.key}`} value={r.scope} placeholder="kubernetes:clusters" autocomplete="off"
              onInput={(e) => update(r.key, { scope: e.currentTarget.value })} />
          </p>
          <p class="ops">
            {OPERATIONS.map((op) => (
              <label key={op} class="check">
                <input type="checkbox" checked={r.ops.has(op)} onChange={(e) => {
                  const ops = new Set(r.ops)
                  if (e.currentTarget.checked) ops.add(op)
                  else ops.delete(op)
                  update(r.key, { ops })
                }} /> {op}
              </label>
            ))}
          </p>
          {props.rows.length > 1 && (
            <button type="button" class="secondary" onClick={() => props.onChange(props.rows.filter((x) => x.key !== r.key))}>
              Remove<span class="sr-only"> scope {i + 1}</span>
            </button>
          )}
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => props.onChange([...props.rows, newRow()])}>Add a scope</button>
    </fieldset>
  )
}

let nextKey = 0
const newRow = (): Row => ({ key: nextKey++, level: 'organization', scope: '', ops: new Set(['read']) })

export function RolesPage({ platform }: { platform: boolean }) {
  const roles = useLoad(() => get<ListAnswer<Role>>('/api/v1/roles'))
  const [rows, setRows] = useState<Row[]>(() => [newRow()])
  const [error, setError] = useState<unknown>(undefined)
  return (
    <>
      <PageHeader title="Roles" subtitle="What a group or a binding may do: scopes with create, read, update and delete, per level." />
      {error !== undefined && <ErrorNote error={error} />}
      <Show loaded={roles}>
        {(list) => list.items.length === 0 ? <Empty>No roles.</Empty> : (
          <div class="table-wrap"><table>
            <caption class="sr-only">Roles</caption>
            <thead><tr><th scope="col">Role</th><th scope="col">Grants</th><th scope="col">Source</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{list.items.map((r) => (
              <tr key={r.id}>
                <td><strong>{r.name}</strong>{r.protected && <span class="badge">protected</span>}{r.description && <div class="muted">{r.description}</div>}</td>
                <td class="wrap"><ul class="plain">{grants(r).map((g) => <li key={g}><code>{g}</code></li>)}</ul></td>
                <td>{r.source}</td>
                <td class="actions">
                  {platform && r.source !== 'builtin' && r.source !== 'bootstrap' && (
                    <button type="button" class="danger" onClick={async () => {
                      if (!confirm(`Delete the role ${r.name}? Groups and bindings lose what it grants.`)) return
                      setError(undefined)
                      try {
                        await del(`/api/v1/roles/${seg(r.id)}`)
                        roles.reload()
                      } catch (err) {
                        setError(err)
                      }
                    }}>Delete<span class="sr-only"> role {r.name}</span></button>
                  )}
                </td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </Show>
      {platform && (
        <ActionForm label="Create a role" submit="Create role" action={async (f) => {
          const scopes: Partial<Record<Level, Record<string, string[]>>> = {}
          for (const r of rows) {
            if (r.scope.trim() === '') continue
            ;(scopes[r.level] ??= {})[r.scope.trim()] = OPERATIONS.filter((op) => r.ops.has(op))
          }
          const description = text(f.get('description'))
          const role = await post<Role>('/api/v1/roles', { name: text(f.get('name')), ...(description ? { description } : {}), scopes })
          setRows([newRow()])
          roles.reload()
          return `Role ${role.name} created.`
        }}>
          <p class="field"><label for="role-name">Name</label><input id="role-name" name="name" required autocomplete="off" aria-describedby="role-name-hint" /><small id="role-name-hint" class="muted">A DNS label: a-z, 0-9 and -.</small></p>
          <p class="field"><label for="role-description">Description</label><input id="role-description" name="description" autocomplete="off" /></p>
          <ScopeGrid rows={rows} onChange={setRows} />
        </ActionForm>
      )}
    </>
  )
}
