// The Check playground: a question (user, relation, object), optional contextual tuples and
// context, and the answer with its Explain tree.

import { useState } from 'preact/hooks'
import { post } from '../../api.ts'
import type { TraceCheck } from '../../../../src/authz/index.ts'
import { ActionForm, Field, text } from '../../ui.tsx'
import { ExplainTree } from './explain.tsx'
import { StoreFrame } from './frame.tsx'
import { fga, jsonObject, parseTuples } from './shared.ts'

interface CheckAnswer {
  allowed: boolean
  trace?: TraceCheck
}

export function CheckPage({ id }: { id: string }) {
  return <StoreFrame id={id} tab="check" title="Check">{() => <Playground storeId={id} />}</StoreFrame>
}

function Playground({ storeId }: { storeId: string }) {
  const [result, setResult] = useState<{ question: string; answer: CheckAnswer } | undefined>(undefined)
  return (
    <>
      <ActionForm label="Ask a question" submit="Run check" keep action={async (f) => {
        const key = { user: text(f.get('user')), relation: text(f.get('relation')), object: text(f.get('object')) }
        const contextual = parseTuples(text(f.get('contextual')))
        const context = jsonObject(text(f.get('context')), 'The context')
        setResult(undefined)
        const answer = await post<CheckAnswer>(fga(storeId, '/check'), {
          tuple_key: key, trace: true,
          ...(contextual.length > 0 ? { contextual_tuples: { tuple_keys: contextual } } : {}),
          ...(context ? { context } : {}),
        })
        setResult({ question: `${key.user} ${key.relation} ${key.object}`, answer })
      }}>
        <Field name="user" label="User" required placeholder="user:anne" autocomplete="off" />
        <Field name="relation" label="Relation" required placeholder="viewer" autocomplete="off" />
        <Field name="object" label="Object" required placeholder="document:roadmap" autocomplete="off" />
        <p class="field">
          <label for="f-contextual">Contextual tuples</label>
          <textarea id="f-contextual" name="contextual" rows={2} placeholder="group:eng#member@user:anne" aria-describedby="f-contextual-hint" />
          <small id="f-contextual-hint" class="muted">Optional, one a line as object#relation@user: taken as written for this check only.</small>
        </p>
        <p class="field">
          <label for="f-check-context">Context</label>
          <textarea id="f-check-context" name="context" rows={2} placeholder='{"ip": "10.0.0.1"}' aria-describedby="f-check-context-hint" />
          <small id="f-check-context-hint" class="muted">Optional JSON object for conditions.</small>
        </p>
      </ActionForm>
      {result && (
        <section class="card result" aria-labelledby="answer" aria-live="polite">
          <h2 id="answer">{result.answer.allowed ? 'Allowed' : 'Denied'}: <span class="muted">{result.question}</span></h2>
          {result.answer.trace ? <ExplainTree trace={result.answer.trace} /> : <p class="muted">No explanation was returned.</p>}
        </section>
      )}
    </>
  )
}
