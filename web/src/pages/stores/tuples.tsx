// A store's relationship tuples: filter by object type, object, relation and user; page with
// continuation tokens; write a tuple (with an optional condition) and delete one.

import { useState } from 'preact/hooks'
import { get, post } from '../../api.ts'
import { ActionForm, Empty, ErrorNote, Field, Show, text, useLoad, when } from '../../ui.tsx'
import { StoreFrame } from './frame.tsx'
import { fga, jsonObject, tools, tupleText, type TupleKey } from './shared.ts'

interface ReadAnswer {
  tuples: Array<{ key: TupleKey; timestamp: string }>
  continuation_token: string
}

interface Filter {
  type: string
  object: string
  relation: string
  user: string
}

const NO_FILTER: Filter = { type: '', object: '', relation: '', user: '' }

/** The store tools' tuple listing: any mix of object type, object, relation and user (OpenFGA's Read takes fewer). */
function listPath(storeId: string, f: Filter, token: string): string {
  const q = new URLSearchParams({ page_size: '25' })
  if (f.type) q.set('object_type', f.type)
  if (f.object) q.set('object', f.object)
  if (f.relation) q.set('relation', f.relation)
  if (f.user) q.set('user', f.user)
  if (token) q.set('continuation_token', token)
  return tools(storeId, `/tuples?${q}`)
}

export function TuplesPage({ id }: { id: string }) {
  return <StoreFrame id={id} tab="tuples" title="Relationship tuples">{() => <Tuples storeId={id} />}</StoreFrame>
}

function Tuples({ storeId }: { storeId: string }) {
  const [filter, setFilter] = useState<Filter>(NO_FILTER)
  // Tokens of the pages before this one, so "Previous page" can go back.
  const [tokens, setTokens] = useState<string[]>([''])
  const token = tokens[tokens.length - 1]!
  const page = useLoad(() => get<ReadAnswer>(listPath(storeId, filter, token)), [storeId, filter, token])
  const [error, setError] = useState<unknown>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const remove = async (t: TupleKey) => {
    setError(undefined)
    setNotice(undefined)
    if (!confirm(`Delete the tuple ${tupleText(t)}?`)) return
    try {
      await post(fga(storeId, '/write'), { deletes: { tuple_keys: [{ object: t.object, relation: t.relation, user: t.user }] } })
      setNotice(`Deleted ${tupleText(t)}.`)
      page.reload()
    } catch (err) {
      setError(err)
    }
  }
  const onFilter = (e: SubmitEvent) => {
    e.preventDefault()
    const f = new FormData(e.currentTarget as HTMLFormElement)
    setFilter({ type: text(f.get('type')), object: text(f.get('object')), relation: text(f.get('relation')), user: text(f.get('user')) })
    setTokens([''])
  }
  return (
    <>
      <form class="filters" aria-label="Filter tuples" onSubmit={onFilter}>
        <Field name="type" label="Object type" placeholder="document" autocomplete="off" />
        <Field name="object" label="Object" placeholder="document:roadmap" autocomplete="off" />
        <Field name="relation" label="Relation" autocomplete="off" />
        <Field name="user" label="User" placeholder="user:anne" autocomplete="off" />
        <p class="field"><button type="submit">Filter</button></p>
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      {notice && <p role="status" class="ok">{notice}</p>}
      <Show loaded={page}>
        {(answer) => (
          <>
            {answer.tuples.length === 0 ? <Empty>No tuples{filter === NO_FILTER ? ' yet' : ' match the filter'}.</Empty> : (
              <div class="table-wrap"><table>
                <caption class="sr-only">Tuples</caption>
                <thead><tr><th scope="col">Object</th><th scope="col">Relation</th><th scope="col">User</th><th scope="col">Condition</th><th scope="col">Written</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>{answer.tuples.map(({ key, timestamp }) => (
                  <tr key={tupleText(key)}>
                    <td class="nowrap"><code>{key.object}</code></td>
                    <td>{key.relation}</td>
                    <td class="nowrap"><code>{key.user}</code></td>
                    <td class="wrap">{key.condition ? <><code>{key.condition.name}</code>{key.condition.context ? ` ${JSON.stringify(key.condition.context)}` : ''}</> : '—'}</td>
                    <td class="nowrap">{when(timestamp)}</td>
                    <td class="actions"><button type="button" class="danger" onClick={() => void remove(key)}>Delete<span class="sr-only"> tuple {tupleText(key)}</span></button></td>
                  </tr>
                ))}</tbody>
              </table></div>
            )}
            <p class="toolbar">
              {tokens.length > 1 && <button type="button" class="secondary" onClick={() => setTokens(tokens.slice(0, -1))}>Previous page</button>}
              {answer.continuation_token && <button type="button" class="secondary" onClick={() => setTokens([...tokens, answer.continuation_token])}>Next page</button>}
            </p>
          </>
        )}
      </Show>
      <ActionForm label="Write a tuple" submit="Write tuple" action={async (f) => {
        const key: TupleKey = { object: text(f.get('object')), relation: text(f.get('relation')), user: text(f.get('user')) }
        const condition = text(f.get('condition'))
        const context = jsonObject(text(f.get('context')), 'The condition context')
        if (context && !condition) throw new Error('A condition context needs a condition name.')
        if (condition) key.condition = { name: condition, ...(context ? { context } : {}) }
        await post(fga(storeId, '/write'), { writes: { tuple_keys: [key] } })
        page.reload()
        return `Wrote ${tupleText(key)}.`
      }}>
        <Field name="object" label="Object" required placeholder="document:roadmap" autocomplete="off" />
        <Field name="relation" label="Relation" required placeholder="viewer" autocomplete="off" />
        <Field name="user" label="User" required placeholder="user:anne or group:eng#member" autocomplete="off" />
        <Field name="condition" label="Condition name" autocomplete="off" hint="Optional: a condition the model defines for this relation." />
        <p class="field">
          <label for="f-context">Condition context</label>
          <textarea id="f-context" name="context" rows={2} placeholder='{"ip": "10.0.0.1"}' aria-describedby="f-context-hint" />
          <small id="f-context-hint" class="muted">Optional JSON object: values of the condition's parameters stored with the tuple.</small>
        </p>
      </ActionForm>
    </>
  )
}
