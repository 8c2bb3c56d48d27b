// The audit log: newest first, filtered by action, actor, target, outcome and time, paged.

import { get } from '../api.ts'
import { navigate } from '../router.ts'
import type { AuditEntry, ListAnswer } from '../types.ts'
import { Empty, PageHeader, Show, useLoad } from '../ui.tsx'
import { AuditTable } from './audit-table.tsx'

const FILTERS = ['action', 'actor', 'target', 'outcome', 'since', 'until'] as const

export function AuditPage({ query }: { query: URLSearchParams }) {
  const key = query.toString()
  const entries = useLoad(() => {
    const q = new URLSearchParams(query)
    q.set('limit', '50')
    return get<ListAnswer<AuditEntry>>(`/api/v1/audit?${q}`)
  }, [key])
  const apply = (e: SubmitEvent) => {
    e.preventDefault()
    const data = new FormData(e.currentTarget as HTMLFormElement)
    const q = new URLSearchParams()
    for (const f of FILTERS) {
      let v = String(data.get(f) ?? '').trim()
      // The date inputs give a day; the API takes an instant.
      if ((f === 'since' || f === 'until') && v !== '') v = new Date(`${v}T00:00:00`).toISOString()
      if (v !== '') q.set(f, v)
    }
    navigate(`/audit${q.size > 0 ? `?${q}` : ''}`)
  }
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '')
  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change and every refusal, newest first." />
      <form class="card filters" aria-label="Filter the audit log" onSubmit={apply} key={key}>
        <p class="field"><label for="a-action">Action</label><input id="a-action" name="action" defaultValue={query.get('action') ?? ''} placeholder="organization.create" /></p>
        <p class="field"><label for="a-actor">Actor</label><input id="a-actor" name="actor" defaultValue={query.get('actor') ?? ''} /></p>
        <p class="field"><label for="a-target">Target</label><input id="a-target" name="target" defaultValue={query.get('target') ?? ''} /></p>
        <p class="field"><label for="a-outcome">Outcome</label>
          <select id="a-outcome" name="outcome" defaultValue={query.get('outcome') ?? ''}>
            <option value="">Any</option><option value="success">Success</option><option value="denied">Denied</option><option value="failure">Failure</option>
          </select></p>
        <p class="field"><label for="a-since">From</label><input id="a-since" name="since" type="date" defaultValue={day(query.get('since'))} /></p>
        <p class="field"><label for="a-until">Until</label><input id="a-until" name="until" type="date" defaultValue={day(query.get('until'))} /></p>
        <p class="field buttons"><button type="submit">Filter</button>{key !== '' && <button type="button" class="secondary" onClick={() => navigate('/audit')}>Clear</button>}</p>
      </form>
      <Show loaded={entries}>
        {(page) => page.items.length === 0 ? <Empty>No entries match.</Empty> : (
          <>
            <AuditTable entries={page.items} caption="Audit entries" />
            {page.continuation_token && (
              <p><button type="button" onClick={() => {
                const q = new URLSearchParams(query)
                q.set('continuation_token', page.continuation_token!)
                navigate(`/audit?${q}`)
              }}>Older entries</button></p>
            )}
          </>
        )}
      </Show>
    </>
  )
}
