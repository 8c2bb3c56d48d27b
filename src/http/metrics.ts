import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

// Process metrics (CPU, memory, event loop, GC) describe the process, not one server: collected
// once per process so several servers in one process (tests, embedding) do not stack observers.
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export type ObserveRequest = (request: FastifyRequest, reply: FastifyReply) => void

/** The request histogram, for requests answered outside Fastify (the forward-auth fast path). */
export interface RequestMetrics {
  record(method: string, route: string, status: number, seconds: number): void
}

/** The histogram behind installMetrics, created before the app so the server factory can use it. */
export function createRequestMetrics(): RequestMetrics & { registry: Registry; duration: Histogram<'method' | 'route' | 'status_code'> } {
  const registry = new Registry()
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  // Label sets are few (method × route × status); resolving each once keeps label hashing off
  // the forward-auth fast path.
  const children = new Map<string, ReturnType<typeof duration.labels>>()
  const record = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${route} ${status}`
    let child = children.get(key)
    if (child === undefined) children.set(key, (child = duration.labels(method, route, String(status))))
    child.observe(seconds)
  }
  return { registry, duration, record }
}

/** Adds GET /metrics (Prometheus text format); returns the per-request observer for onResponse. */
export function installMetrics(app: FastifyInstance, metrics = createRequestMetrics(), extra: Registry[] = []): ObserveRequest {
  const { registry, duration } = metrics

  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    const merged = Registry.merge([processMetrics(), registry, ...extra])
    reply.type(merged.contentType)
    return merged.metrics()
  })

  return (request, reply) => {
    // Route patterns (not raw URLs) keep label cardinality bounded; unknown paths share one label.
    const route = request.routeOptions.url ?? 'unmatched'
    duration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000)
  }
}
