// Relationship stores (the OpenFGA API's stores): list with paging, create, delete.

import { useState } from 'preact/hooks'
import { del, get, post } from '../../api.ts'
import { navigate } from '../../router.ts'
import { ActionForm, Empty, ErrorNote, Field, Link, PageHeader, Show, text, useLoad, when } from '../../ui.tsx'
import { fga, storePath, type StoreView } from './shared.ts'

export function StoresPage({ query }: { query: URLSearchParams }) {
  const token = query.get('continuation_token') ?? ''
  const stores = useLoad(
    () => get<{ stores: StoreView[]; continuation_token: string }>(`/stores?page_size=50${token ? `&continuation_token=${encodeURIComponent(token)}` : ''}`),
    [token],
  )
  const [error, setError] = useState<unknown>(undefined)
  const remove = async (s: StoreView) => {
    setError(undefined)
    if (!confirm(`Delete the store ${s.name}? Its models and tuples are deleted with it.`)) return
    try {
      await del(fga(s.id, ''))
      stores.reload()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <>
      <PageHeader title="Relationship stores" subtitle="OpenFGA-compatible stores: each has its authorization model versions and its relationship tuples." />
      {error !== undefined && <ErrorNote error={error} />}
      <Show loaded={stores}>
        {(page) => page.stores.length === 0 ? <Empty>No stores{token ? ' on this page' : ' yet'}.</Empty> : (
          <>
            <div class="table-wrap"><table>
              <caption class="sr-only">Relationship stores</caption>
              <thead><tr><th scope="col">Store</th><th scope="col" class="wide-only">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>{page.stores.map((s) => (
                <tr key={s.id}>
                  <td><Link href={storePath(s.id)}>{s.name}</Link><br /><code class="store-id">{s.id}</code></td>
                  <td class="nowrap wide-only">{when(s.created_at)}</td>
                  <td class="actions"><button type="button" class="danger" onClick={() => void remove(s)}>Delete<span class="sr-only"> store {s.name}</span></button></td>
                </tr>
              ))}</tbody>
            </table></div>
            <p class="toolbar">
              {token && <Link href="/stores">First page</Link>}
              {page.continuation_token && <Link href={`/stores?continuation_token=${encodeURIComponent(page.continuation_token)}`}>Next page</Link>}
            </p>
          </>
        )}
      </Show>
      <ActionForm label="Create a store" submit="Create store" action={async (f) => {
        const created = await post<StoreView>('/stores', { name: text(f.get('name')) })
        navigate(storePath(created.id))
      }}>
        <Field name="name" label="Store name" required autocomplete="off" hint="For people: OpenFGA clients address the store by its id." />
      </ActionForm>
    </>
  )
}
