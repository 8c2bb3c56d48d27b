// The scale benchmark's server phase: a Gatehouse server process on the loaded database, its
// start-to-ready time, RSS before and after the first Check builds the index, how long that first
// answer takes (again after a restart), and whether /healthz keeps answering meanwhile.
import { freePort, startGatehouseServer } from '../lib/servers.ts'
import type { ServerProcess } from '../../test/support/process.ts'

export interface ServerFigures {
  readyMs: number
  rssIdleMb: number
  firstCheckMs: number
  rssAfterMb: number
  heapAfterMb: number
  /** Slowest /healthz answer while the first Check was loading the index. */
  healthMaxMs: number
  healthCount: number
}

export async function metricsOf(server: ServerProcess): Promise<{ rss: number; heap: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const metric = (name: string) => {
    const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))
    return m ? Number(m[1]) / 2 ** 20 : NaN
  }
  return { rss: metric('process_resident_memory_bytes'), heap: metric('nodejs_heap_size_used_bytes') }
}

/** Starts a server, times the first Check (`expect` is its answer), stops it. */
export async function serverRun(env: Record<string, string>, storeId: string, body: unknown, expect: boolean): Promise<ServerFigures> {
  const port = await freePort()
  const t0 = performance.now()
  const server = await startGatehouseServer(port, env)
  const readyMs = performance.now() - t0
  try {
    const idle = await metricsOf(server)
    let loading = true
    let healthMaxMs = 0
    let healthCount = 0
    const health = (async () => {
      while (loading) {
        const h0 = performance.now()
        await (await fetch(`${server.url}/healthz`)).arrayBuffer()
        healthMaxMs = Math.max(healthMaxMs, performance.now() - h0)
        healthCount++
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    const c0 = performance.now()
    const res = await fetch(`${server.url}/stores/${storeId}/check`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    })
    const answer = await res.json() as { allowed?: boolean }
    const firstCheckMs = performance.now() - c0
    loading = false
    await health
    if (answer.allowed !== expect) throw new Error(`first Check answered ${JSON.stringify(answer)}, expected allowed=${expect}`)
    const after = await metricsOf(server)
    return { readyMs, rssIdleMb: idle.rss, firstCheckMs, rssAfterMb: after.rss, heapAfterMb: after.heap, healthMaxMs, healthCount }
  } finally {
    await server.stop()
  }
}

/** Start-to-ready of a server on an empty database. */
export async function emptyStartMs(env: Record<string, string>): Promise<number> {
  const port = await freePort()
  const t0 = performance.now()
  const server = await startGatehouseServer(port, env)
  const ms = performance.now() - t0
  await server.stop()
  return ms
}
