// HTTP load from this process against a server in another process (autocannon's client).
import autocannon from 'autocannon'
import type { Summary } from './stats.ts'

export interface LoadOptions {
  label: string
  url: string
  connections: number
  /** seconds */
  duration: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** Request bodies, used round-robin; omit for body-less requests. */
  bodies?: string[]
  /** Paths, used round-robin instead of the URL's path. */
  paths?: string[]
}

export async function runLoad(o: LoadOptions): Promise<Summary & { non2xx: number; errors: number }> {
  let i = 0
  const headers = { 'content-type': 'application/json', ...o.headers }
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.duration,
    requests: [
      {
        method: o.method ?? 'POST',
        headers,
        setupRequest(req) {
          const n = i++
          if (o.bodies) req.body = o.bodies[n % o.bodies.length]
          if (o.paths) req.path = o.paths[n % o.paths.length]
          return req
        },
      },
    ],
  })
  const total = result.requests.total
  return {
    label: o.label,
    count: total,
    rate: total / (result.duration || o.duration),
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}
