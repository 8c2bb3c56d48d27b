// A model DSL editor: a monospace text area checked by the server as one types (a pause of
// 400 ms), with each problem listed by line and column; choosing a problem puts the caret there.

import { useEffect, useRef, useState } from 'preact/hooks'
import { post } from '../../api.ts'
import { messageOf } from '../../ui.tsx'
import { tools, type DslCheck, type ModelProblem } from './shared.ts'

/** Offset of a 1-based line and column in the text. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0
  for (let i = 1; i < line; i++) {
    const next = text.indexOf('\n', offset)
    if (next < 0) return text.length
    offset = next + 1
  }
  return Math.min(offset + Math.max(column - 1, 0), text.length)
}

const where = (p: ModelProblem) => p.line === undefined ? 'Model' : `Line ${p.line}${p.column === undefined ? '' : `, column ${p.column}`}`

export function DslEditor(props: { storeId: string; label: string; value: string; onInput: (dsl: string) => void; onChecked: (check: DslCheck | undefined) => void }) {
  const area = useRef<HTMLTextAreaElement>(null)
  const [check, setCheck] = useState<DslCheck | undefined>(undefined)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  useEffect(() => {
    let live = true
    props.onChecked(undefined)
    const timer = setTimeout(() => {
      post<DslCheck>(tools(props.storeId, '/model-dsl/validate'), { dsl: props.value }).then((c) => {
        if (!live) return
        setCheck(c)
        setFailure(undefined)
        props.onChecked(c)
      }, (err: unknown) => live && setFailure(messageOf(err)))
    }, 400)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [props.value, props.storeId])
  const jump = (p: ModelProblem) => {
    const el = area.current
    if (!el || p.line === undefined) return
    const at = offsetOf(props.value, p.line, p.column ?? 1)
    el.focus()
    el.setSelectionRange(at, at)
  }
  const problems = check?.problems ?? []
  const lineCount = props.value.split('\n').length
  return (
    <div class="dsl">
      <label for="dsl-text">{props.label}</label>
      <textarea id="dsl-text" ref={area} class="dsl-text" rows={Math.min(Math.max(lineCount + 1, 10), 30)} spellcheck={false}
        autocapitalize="off" aria-invalid={problems.length > 0} aria-describedby="dsl-status" value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)} />
      <div id="dsl-status" aria-live="polite">
        {failure !== undefined ? <p class="error">Could not check the model: {failure}</p>
          : check === undefined ? <p class="muted">Checking…</p>
          : problems.length === 0 ? <p class="ok">The model is valid.</p>
          : (
            <div class="problems">
              <p><strong>{problems.length === 1 ? '1 problem' : `${problems.length} problems`}</strong> (choose one to go there):</p>
              <ul>{problems.map((p, i) => (
                <li key={i}><button type="button" class="link" onClick={() => jump(p)}>{where(p)}</button>: {p.message}</li>
              ))}</ul>
            </div>
          )}
      </div>
    </div>
  )
}
