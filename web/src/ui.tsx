// The console's building blocks: page header, data loading with its states, form fields,
// tables and notices. Labels are real <label>s, errors are announced, and everything works by
// keyboard alone.

import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useId, useState } from 'preact/hooks'
import { ApiError } from './api.ts'
import { BASE, navigate } from './router.ts'

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  const onClick = (e: MouseEvent) => {
    // Let the browser open new tabs and windows itself.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(props.href)
  }
  return (
    <a href={BASE + props.href} onClick={onClick} class={props.class} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </a>
  )
}

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; back?: { href: string; label: string } }) {
  useEffect(() => {
    document.title = `${props.title} · Gatehouse console`
  }, [props.title])
  return (
    <header class="page-header">
      {props.back && <p class="back"><Link href={props.back.href}>← {props.back.label}</Link></p>}
      <h1 tabIndex={-1} id="page-title">{props.title}</h1>
      {props.subtitle && <p class="muted">{props.subtitle}</p>}
    </header>
  )
}

export interface Loaded<T> {
  data?: T
  error?: unknown
  loading: boolean
  reload: () => void
}

/** Loads on mount and whenever `deps` change; `reload` loads again (after a change). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true })
  const [round, setRound] = useState(0)
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true }))
    load().then((data) => live && setState({ data, loading: false }), (error: unknown) => live && setState({ error, loading: false }))
    return () => {
      live = false
    }
  }, [...deps, round])
  const reload = useCallback(() => setRound((n) => n + 1), [])
  return { ...state, reload }
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Not allowed: ${error.message}`
    return `${error.message} (${error.code})`
  }
  return error instanceof Error ? error.message : String(error)
}

export function ErrorNote(props: { error: unknown }) {
  return <p role="alert" class="error">{messageOf(props.error)}</p>
}

/** The three states of loaded data: loading, failed, shown. */
export function Show<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { data, error, loading } = props.loaded
  if (error !== undefined) return <ErrorNote error={error} />
  if (data === undefined) return <p class="muted" aria-live="polite">{loading ? 'Loading…' : 'Nothing here.'}</p>
  return <>{props.children(data)}</>
}

interface InputProps {
  label: string
  name: string
  hint?: string
  required?: boolean
  pattern?: string
  placeholder?: string
  autocomplete?: string
  defaultValue?: string
}

export function Field({ label, hint, name, ...rest }: InputProps) {
  // Unique per field: several forms on a page have a `name` field.
  const id = `f-${name}-${useId()}`
  return (
    <p class="field">
      <label for={id}>{label}</label>
      <input type="text" id={id} name={name} aria-describedby={hint ? `${id}-hint` : undefined} {...rest} />
      {hint && <small id={`${id}-hint`} class="muted">{hint}</small>}
    </p>
  )
}

/**
 * A form's submit with its busy and error states: `action` gets the form's fields (and the form);
 * what it throws is kept as `error` for the page to show. Submitting twice while busy is refused
 * by the caller's disabled button.
 */
export function useSubmit(action: (fields: FormData, form: HTMLFormElement) => Promise<void>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault()
    const form = e.currentTarget as HTMLFormElement
    setBusy(true)
    setError(undefined)
    try {
      await action(new FormData(form), form)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, setError, onSubmit }
}

/**
 * A form whose submit runs `action` with the form's fields; shows the API's refusal next to it,
 * and a notice on success. Submitting twice while busy is not possible.
 */
export function ActionForm(props: {
  label: string
  submit: string
  action: (fields: FormData) => Promise<string | void>
  children: ComponentChildren
  class?: string
  /** Keep what was typed after success (forms that edit the current values). */
  keep?: boolean
}) {
  const [done, setDone] = useState<string | undefined>(undefined)
  const { busy, error, onSubmit } = useSubmit(async (fields, form) => {
    setDone(undefined)
    const message = await props.action(fields)
    if (props.keep !== true) form.reset()
    setDone(message ?? undefined)
  })
  return (
    <form class={`card form ${props.class ?? ''}`} aria-label={props.label} onSubmit={onSubmit}>
      <h2>{props.label}</h2>
      {props.children}
      {error !== undefined && <ErrorNote error={error} />}
      {done && <p role="status" class="ok">{done}</p>}
      <button type="submit" disabled={busy}>{busy ? 'Working…' : props.submit}</button>
    </form>
  )
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty muted">{props.children}</p>
}

/** Lines of a textarea or a comma list, trimmed, without empties. */
export function lines(value: FormDataEntryValue | null): string[] {
  return String(value ?? '').split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '')
}

export const text = (value: FormDataEntryValue | null) => String(value ?? '').trim()

export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}
