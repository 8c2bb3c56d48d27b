// Provisioning: the outbox's queue, its events by state, and replay (one event, or every dead one).

import { useState } from 'preact/hooks'
import { ApiError, get, post, seg } from '../api.ts'
import type { EventView, ListAnswer, ProvisioningStats } from '../types.ts'
import { Empty, ErrorNote, PageHeader, Show, useLoad, when } from '../ui.tsx'

const STATES = ['', 'dead', 'pending', 'done'] as const

export function ProvisioningPage() {
  const [state, setState] = useState<string>('')
  const [message, setMessage] = useState<string | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const loaded = useLoad(async () => {
    const stats = await get<ProvisioningStats>('/api/v1/provisioning/stats').catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined
      throw err
    })
    if (stats === undefined) return { stats, events: [] as EventView[] }
    const events = await get<ListAnswer<EventView>>(`/api/v1/provisioning/events?limit=100${state ? `&state=${state}` : ''}`)
    return { stats, events: events.items }
  }, [state])
  const run = async (fn: () => Promise<string>) => {
    setError(undefined)
    setMessage(undefined)
    try {
      setMessage(await fn())
      loaded.reload()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <>
      <PageHeader title="Provisioning" subtitle="Events delivered to Incus, relationship stores and webhooks, with retries." />
      {message && <p role="status" class="ok">{message}</p>}
      {error !== undefined && <ErrorNote error={error} />}
      <Show loaded={loaded}>
        {({ stats, events }) => stats === undefined ? <Empty>Provisioning is not configured on this Gatehouse (no rules). See docs/provisioning.md.</Empty> : (
          <>
            <dl class="stats">
              <div class="stat card"><dt>Pending</dt><dd>{stats.pending}</dd></div>
              <div class="stat card"><dt>Failed (dead)</dt><dd>{stats.dead}</dd></div>
              <div class="stat card"><dt>Delivered</dt><dd>{stats.done}</dd></div>
              <div class="stat card"><dt>Oldest pending</dt><dd>{when(stats.oldest_pending_at)}</dd></div>
            </dl>
            <div class="toolbar">
              <p class="field">
                <label for="p-state">Show</label>
                <select id="p-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
                  {STATES.map((s) => <option key={s} value={s}>{s === '' ? 'All events' : s}</option>)}
                </select>
              </p>
              {stats.dead > 0 && (
                <button type="button" onClick={() => void run(async () => {
                  const r = await post<{ replayed: number }>('/api/v1/provisioning/replay', {})
                  return `${r.replayed} failed event(s) queued again.`
                })}>Replay every failed event</button>
              )}
            </div>
            {events.length === 0 ? <Empty>No events.</Empty> : (
              <div class="table-wrap"><table>
                <caption class="sr-only">Provisioning events</caption>
                <thead><tr><th scope="col">#</th><th scope="col">Event</th><th scope="col">Target</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>{events.map((e) => (
                  <tr key={e.id}>
                    <td>{e.id}</td>
                    <td><code>{e.type}</code> <small class="muted">{e.action}</small></td>
                    <td>{e.target}</td>
                    <td><span class={`badge ${e.state}`}>{e.state}</span></td>
                    <td>{e.attempts}</td>
                    <td class="wrap">{e.last_error ?? '—'}</td>
                    <td class="nowrap">{when(e.created_at)}</td>
                    <td>{e.state !== 'pending' && (
                      <button type="button" onClick={() => void run(async () => {
                        await post(`/api/v1/provisioning/events/${seg(String(e.id))}/replay`)
                        return `Event ${e.id} queued again.`
                      })}>Replay<span class="sr-only"> event {e.id}</span></button>
                    )}</td>
                  </tr>
                ))}</tbody>
              </table></div>
            )}
          </>
        )}
      </Show>
    </>
  )
}
