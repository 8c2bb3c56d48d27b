// A store's authorization model: the latest version as DSL, edited with the server's checks
// inline, saved as a new version; earlier versions listed and viewable.

import { useEffect, useState } from 'preact/hooks'
import { ApiError, get, post } from '../../api.ts'
import { ErrorNote, Show, useLoad, useSubmit, when } from '../../ui.tsx'
import { DslEditor } from './dsl-editor.tsx'
import { StoreFrame } from './frame.tsx'
import { navigate } from '../../router.ts'
import { carryModel, fga, storePath, tools, ulidTime, type DslCheck } from './shared.ts'

export const STARTER_MODEL = `model
  schema 1.1

type user

type document
  relations
    define owner: [user]
    define viewer: [user] or owner
`

/** The store's model as DSL (`id` '' for the latest); undefined when it has none yet. */
export async function loadDsl(storeId: string, id = ''): Promise<{ id: string; dsl: string } | undefined> {
  try {
    return await get<{ id: string; dsl: string }>(tools(storeId, `/model-dsl${id ? `?id=${encodeURIComponent(id)}` : ''}`))
  } catch (err) {
    if (err instanceof ApiError && err.code === 'latest_authorization_model_not_found') return undefined
    throw err
  }
}

function Versions(props: { storeId: string; round: number; shown: string | undefined; onView: (id: string) => void }) {
  const models = useLoad(() => get<{ authorization_models: Array<{ id: string }> }>(fga(props.storeId, '/authorization-models?page_size=20')), [props.storeId, props.round])
  return (
    <section aria-labelledby="versions">
      <h2 id="versions">Model versions</h2>
      <Show loaded={models}>
        {(page) => page.authorization_models.length === 0 ? <p class="muted">No model saved yet.</p> : (
          <ol class="rows versions">{page.authorization_models.map((m, i) => (
            <li key={m.id}>
              <span><code class="wrap">{m.id}</code> <span class="muted">{when(ulidTime(m.id)?.toISOString())}{i === 0 ? ' · latest' : ''}</span></span>
              {m.id === props.shown ? <span class="muted">Shown</span>
                : <button type="button" class="secondary" onClick={() => props.onView(m.id)}>View<span class="sr-only"> version {m.id}</span></button>}
            </li>
          ))}</ol>
        )}
      </Show>
    </section>
  )
}

export function ModelPage({ id }: { id: string }) {
  return <StoreFrame id={id} tab="" title="Authorization model">{() => <ModelEditor storeId={id} />}</StoreFrame>
}

function ModelEditor({ storeId }: { storeId: string }) {
  const [dsl, setDsl] = useState<string | undefined>(undefined)
  const [shown, setShown] = useState<string | undefined>(undefined)
  const [check, setCheck] = useState<DslCheck | undefined>(undefined)
  const [round, setRound] = useState(0)
  const [saved, setSaved] = useState<string | undefined>(undefined)
  const { busy, error, setError, onSubmit: save } = useSubmit(async () => {
    if (!check?.valid) return
    setSaved(undefined)
    const written = await post<{ authorization_model_id: string }>(fga(storeId, '/authorization-models'), check.authorization_model)
    setShown(written.authorization_model_id)
    setSaved(`Saved as model version ${written.authorization_model_id}.`)
    setRound((n) => n + 1)
  })
  const show = (version = '') => {
    setError(undefined)
    loadDsl(storeId, version).then((m) => {
      setDsl(m?.dsl ?? STARTER_MODEL)
      setShown(m?.id)
    }, setError)
  }
  useEffect(() => show(), [storeId])
  return (
    <>
      {dsl === undefined ? (error !== undefined ? <ErrorNote error={error} /> : <p class="muted">Loading…</p>) : (
        <form class="card editor" aria-label="Edit the model" onSubmit={save}>
          <h2>{shown ? 'Edit the model' : 'Write the first model'}</h2>
          <p class="muted">{shown ? <>Showing version <code>{shown}</code>. Saving makes a new version; existing tuples stay.</> : 'This store has no model yet: start from this example.'}</p>
          <DslEditor storeId={storeId} label="Model (OpenFGA DSL)" value={dsl} onInput={(v) => { setDsl(v); setSaved(undefined) }} onChecked={setCheck} />
          {error !== undefined && <ErrorNote error={error} />}
          {saved && <p role="status" class="ok">{saved}</p>}
          <button type="submit" disabled={busy || !check?.valid}>{busy ? 'Saving…' : 'Save as new version'}</button>
          {shown && (
            <button type="button" class="secondary" disabled={!check?.valid} onClick={() => { carryModel(storeId, dsl); navigate(storePath(storeId, 'preview')) }}>
              Preview this change
            </button>
          )}
        </form>
      )}
      <Versions storeId={storeId} round={round} shown={shown} onView={(v) => show(v)} />
    </>
  )
}
