// Change preview: a candidate model and tuple writes/deletes, and the answers they would flip,
// before anything is applied (POST /api/v1/stores/{id}/change-preview; nothing is written).

import { useEffect, useState } from 'preact/hooks'
import { post } from '../../api.ts'
import { ErrorNote, Field, lines, text, useSubmit } from '../../ui.tsx'
import { DslEditor } from './dsl-editor.tsx'
import { StoreFrame } from './frame.tsx'
import { loadDsl, STARTER_MODEL } from './model.tsx'
import { parseTuples, takeCarriedModel, tools, type DslCheck } from './shared.ts'

interface Flip {
  user: string
  relation: string
  object: string
  before: boolean
  after: boolean
}

interface PreviewAnswer {
  sample: 'given' | 'sample'
  checked: number
  truncated: boolean
  counts: { granted: number; revoked: number; unchanged: number; undetermined: number }
  flips: Flip[]
}

export function PreviewPage({ id }: { id: string }) {
  return <StoreFrame id={id} tab="preview" title="Change preview">{() => <Preview storeId={id} />}</StoreFrame>
}

function Preview({ storeId }: { storeId: string }) {
  const [current, setCurrent] = useState<string | undefined>(undefined)
  const [dsl, setDsl] = useState<string | undefined>(undefined)
  const [, setCheck] = useState<DslCheck | undefined>(undefined)
  const [answer, setAnswer] = useState<PreviewAnswer | undefined>(undefined)
  const { busy, error, setError, onSubmit: run } = useSubmit(async (f) => {
    setAnswer(undefined)
    const pick = (name: string) => { const v = lines(f.get(name)); return v.length > 0 ? { [name]: v } : {} }
    const writes = parseTuples(text(f.get('writes')))
    const deletes = parseTuples(text(f.get('deletes')))
    setAnswer(await post<PreviewAnswer>(tools(storeId, '/change-preview'), {
      // The model only when it differs from the current one: an unchanged model previews tuples alone.
      ...(dsl !== undefined && dsl.trim() !== (current ?? '').trim() ? { dsl } : {}),
      ...(writes.length > 0 ? { writes } : {}),
      ...(deletes.length > 0 ? { deletes } : {}),
      ...pick('users'), ...pick('objects'), ...pick('relations'),
      limit: Number(text(f.get('limit')) || '1000'),
    }))
  })
  useEffect(() => {
    const carried = takeCarriedModel(storeId)
    loadDsl(storeId).then((m) => {
      setCurrent(m?.dsl ?? '')
      setDsl(carried ?? m?.dsl ?? STARTER_MODEL)
    }, setError)
  }, [storeId])
  if (dsl === undefined) return error !== undefined ? <ErrorNote error={error} /> : <p class="muted">Loading…</p>
  return (
    <>
      <p>See which answers would change before you save a model or write tuples: each question is
        asked of the store as it is and of the store with your change, and nothing is written.</p>
      <form class="card editor" aria-label="Preview a change" onSubmit={run}>
        <h2>The change</h2>
        <DslEditor storeId={storeId} label="Candidate model (edit it, or leave it as it is)" value={dsl} onInput={setDsl} onChecked={setCheck} />
        <div class="two">
          <p class="field">
            <label for="f-writes">Tuples to write</label>
            <textarea id="f-writes" name="writes" rows={3} placeholder="document:roadmap#viewer@user:anne" aria-describedby="f-tuples-hint" />
          </p>
          <p class="field">
            <label for="f-deletes">Tuples to delete</label>
            <textarea id="f-deletes" name="deletes" rows={3} placeholder="group:eng#member@user:bob" aria-describedby="f-tuples-hint" />
          </p>
        </div>
        <p class="muted" id="f-tuples-hint">One a line, as object#relation@user.</p>
        <h3>Questions to ask</h3>
        <p class="muted">Leave these empty and the server asks about every user and object the tuples mention, with every relation of the object's type, up to the limit.</p>
        <div class="filters">
          <Field name="users" label="Users" placeholder="user:anne, user:bob" autocomplete="off" />
          <Field name="objects" label="Objects" placeholder="document:roadmap" autocomplete="off" />
          <Field name="relations" label="Relations" placeholder="viewer" autocomplete="off" />
          <Field name="limit" label="At most this many questions" defaultValue="1000" pattern="[0-9]+" autocomplete="off" />
        </div>
        {error !== undefined && <ErrorNote error={error} />}
        <button type="submit" disabled={busy}>{busy ? 'Working…' : 'Preview the change'}</button>
      </form>
      {answer && <PreviewResult answer={answer} />}
    </>
  )
}

function PreviewResult({ answer }: { answer: PreviewAnswer }) {
  const { counts } = answer
  return (
    <section class="card result" aria-labelledby="flips" aria-live="polite">
      <h2 id="flips">{answer.flips.length === 0 ? 'No answer would change' : `${answer.flips.length} ${answer.flips.length === 1 ? 'answer' : 'answers'} would change`}</h2>
      <dl class="stats compact">
        <div class="stat"><dt>Granted</dt><dd>{counts.granted}</dd></div>
        <div class="stat"><dt>Revoked</dt><dd>{counts.revoked}</dd></div>
        <div class="stat"><dt>Unchanged</dt><dd>{counts.unchanged}</dd></div>
        <div class="stat"><dt>Undetermined</dt><dd>{counts.undetermined}</dd></div>
      </dl>
      <p class="muted">{answer.checked} questions asked{answer.sample === 'sample' ? ', chosen by the server from the tuples' : ''}.
        {answer.truncated && <strong> More were possible than the limit allowed: raise it, or name users, objects or relations.</strong>}
        {counts.undetermined > 0 && ' Undetermined: a condition needed context the preview did not have.'}</p>
      {answer.flips.length > 0 && (
        <div class="table-wrap"><table>
          <caption class="sr-only">Answers that would change</caption>
          <thead><tr><th scope="col">User</th><th scope="col">Relation</th><th scope="col">Object</th><th scope="col">Change</th></tr></thead>
          <tbody>{answer.flips.map((f) => (
            <tr key={`${f.object}#${f.relation}@${f.user}`}>
              <td class="nowrap"><code>{f.user}</code></td>
              <td>{f.relation}</td>
              <td class="nowrap"><code>{f.object}</code></td>
              <td class="nowrap">{f.after ? <span class="badge done">granted</span> : <span class="badge dead">revoked</span>} <span class="muted">{String(f.before)} → {String(f.after)}</span></td>
            </tr>
          ))}</tbody>
        </table></div>
      )}
    </section>
  )
}
