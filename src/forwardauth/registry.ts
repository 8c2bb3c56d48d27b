// The compiled application registry each process answers from. Applications live in the store
// (admin API, CLI, bootstrap file); a process re-reads them when the store's revision moves,
// checking at most every REFRESH_MS, so a change made on any replica applies everywhere within it.

import { compileApplications, type ApplicationRegistry } from './application.ts'

export const REFRESH_MS = 2_000

export interface ApplicationSource {
  list(): Promise<Array<{ spec: unknown }>>
  revision(): Promise<string>
}

export interface RegistryOptions {
  source: ApplicationSource
  now?: () => number
  /** A stored set that no longer compiles: the last good registry stays in service. */
  onError?: (err: unknown) => void
}

export interface LiveRegistry {
  current(): Promise<ApplicationRegistry>
  /** Reload now (after a local change). */
  invalidate(): void
}

export function createLiveRegistry(options: RegistryOptions): LiveRegistry {
  const now = options.now ?? Date.now
  let registry: ApplicationRegistry = compileApplications([])
  let revision: string | undefined
  let checkedAt = -Infinity
  let pending: Promise<ApplicationRegistry> | undefined

  const load = async (): Promise<ApplicationRegistry> => {
    const seen = await options.source.revision()
    checkedAt = now()
    if (seen === revision) return registry
    const rows = await options.source.list()
    try {
      registry = compileApplications(rows.map((r) => r.spec))
    } catch (err) {
      // Two replicas racing can store a host twice. Serve every application that still fits
      // rather than none: the first by id keeps a contested host.
      options.onError?.(err)
      const accepted: unknown[] = []
      for (const row of rows) {
        try {
          compileApplications([...accepted, row.spec])
          accepted.push(row.spec)
        } catch {
          // reported above
        }
      }
      registry = compileApplications(accepted)
    }
    revision = seen
    return registry
  }

  return {
    current() {
      if (now() - checkedAt < REFRESH_MS) return Promise.resolve(registry)
      // Concurrent requests share one reload.
      pending ??= load().finally(() => { pending = undefined })
      return pending
    },
    invalidate() {
      checkedAt = -Infinity
    },
  }
}
