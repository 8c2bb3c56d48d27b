// Managing applications: one service behind the admin API, the CLI and the bootstrap file. Each
// write validates the document and that the whole set still compiles (ids and hosts unique)
// before it reaches the store, so the registry every replica loads is always a valid one.

import { AppError } from '../lib/index.ts'
import type { ForwardAuthAppRecord, ForwardAuthAppsRepo, ForwardAuthAppSource, JsonObject } from '../store/index.ts'
import { isStoreError, StoreErrorCodes } from '../store/index.ts'
import { compileApplications, parseApplication, type Application } from './application.ts'
import { ForwardAuthErrorCodes } from './errors.ts'
import type { AuditSink } from './service.ts'

export type ApplicationView = Application & { source: ForwardAuthAppSource; version: number; createdAt: string; updatedAt: string }

/** Who asked for a change, for the audit log. */
export interface ChangeContext {
  sourceIp?: string
}

export interface ApplicationService {
  list(): Promise<{ applications: ApplicationView[] }>
  get(id: string): Promise<ApplicationView>
  create(input: unknown, source: ForwardAuthAppSource, context?: ChangeContext): Promise<ApplicationView>
  /** Creates or replaces the application `id` (the body's id, when given, must match). */
  put(id: string, input: unknown, source: ForwardAuthAppSource, context?: ChangeContext): Promise<{ application: ApplicationView; created: boolean }>
  delete(id: string, context?: ChangeContext): Promise<void>
  /**
   * Applies declared applications (bootstrap file): creates and updates them, and deletes those
   * an earlier run of the same source declared and this one no longer does.
   */
  sync(declared: readonly unknown[], source: ForwardAuthAppSource): Promise<{ created: number; updated: number; deleted: number; unchanged: number }>
}

function view(record: ForwardAuthAppRecord): ApplicationView {
  return {
    ...(record.spec as unknown as Application),
    source: record.source, version: record.version, createdAt: record.createdAt.toISOString(), updatedAt: record.updatedAt.toISOString(),
  }
}

/** The bootstrap file owns its applications; the API and CLI must not drift from it. */
function assertNotManaged(record: ForwardAuthAppRecord | undefined, source: ForwardAuthAppSource): void {
  if (record?.source === 'bootstrap' && source !== 'bootstrap') {
    throw new AppError(ForwardAuthErrorCodes.managedByBootstrap, `application ${record.id} is managed by the bootstrap file; change it there`, { status: 409 })
  }
}

const notFound = (id: string) => new AppError(ForwardAuthErrorCodes.applicationNotFound, `no application ${id}`, { status: 404 })

export function createApplicationService(options: { repo: ForwardAuthAppsRepo; onChange?: () => void; audit?: AuditSink; onAuditError?: (err: unknown) => void }): ApplicationService {
  const { repo } = options
  // The change is already committed: a failed audit write is reported, not turned into an error.
  const record = async (action: string, id: string, source: ForwardAuthAppSource, before: unknown, after: unknown, context?: ChangeContext) => {
    try {
      await options.audit?.append({
        actor: source, actorType: 'system', action: `application.${action}`, target: `application:${id}`, outcome: 'success',
        sourceIp: context?.sourceIp, details: { before: before ?? null, after: after ?? null } as Record<string, unknown>,
      })
    } catch (err) {
      options.onAuditError?.(err)
    }
  }

  /** The whole set with `app` in place of its namesake must compile; names the host clash as 409. */
  const checkSet = async (app: Application) => {
    const others = (await repo.list()).filter((r) => r.id !== app.id).map((r) => r.spec)
    try {
      compileApplications([...others, app])
    } catch (err) {
      if (err instanceof AppError && /host .* belongs to both/.test(err.message)) {
        throw new AppError(ForwardAuthErrorCodes.hostTaken, err.message, { status: 409 })
      }
      throw err
    }
  }

  const parse = (input: unknown): Application => parseApplication(input)

  const put = async (app: Application, source: ForwardAuthAppSource, context?: ChangeContext) => {
    const before = await repo.get(app.id)
    assertNotManaged(before, source)
    await checkSet(app)
    const stored = await repo.replace({ id: app.id, spec: app as unknown as JsonObject, source })
    const changed = !before || before.version !== stored.version
    if (changed) {
      options.onChange?.()
      await record(before ? 'update' : 'create', app.id, source, before?.spec, stored.spec, context)
    }
    return { record: stored, created: !before, changed }
  }

  return {
    async list() {
      return { applications: (await repo.list()).map(view) }
    },
    async get(id) {
      const record = await repo.get(id)
      if (!record) throw notFound(id)
      return view(record)
    },
    async create(input, source, context) {
      const app = parse(input)
      await checkSet(app)
      try {
        const stored = await repo.create({ id: app.id, spec: app as unknown as JsonObject, source })
        options.onChange?.()
        await record('create', app.id, source, undefined, stored.spec, context)
        return view(stored)
      } catch (err) {
        if (isStoreError(err) && err.code === StoreErrorCodes.alreadyExists) {
          throw new AppError(ForwardAuthErrorCodes.applicationExists, `application ${app.id} exists already`, { status: 409 })
        }
        throw err
      }
    },
    async put(id, input, source, context) {
      const body = input !== null && typeof input === 'object' && !Array.isArray(input) ? { id, ...(input as Record<string, unknown>) } : input
      const app = parse(body)
      if (app.id !== id) throw new AppError(ForwardAuthErrorCodes.invalidApplication, `the body's id ${app.id} differs from the URL's ${id}`, { status: 400 })
      const { record: stored, created } = await put(app, source, context)
      return { application: view(stored), created }
    },
    async delete(id, context) {
      const before = await repo.get(id)
      assertNotManaged(before, 'api')
      if (!(await repo.delete(id))) throw notFound(id)
      options.onChange?.()
      await record('delete', id, 'api', before?.spec, undefined, context)
    },
    async sync(declared, source) {
      const apps = declared.map((d, i) => {
        try {
          return parse(d)
        } catch (err) {
          if (err instanceof AppError) throw new AppError(err.code, `applications[${i}]: ${err.message}`, { status: 400, details: err.details })
          throw err
        }
      })
      // The declared set must be valid by itself before anything is written.
      compileApplications(apps)
      const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0 }
      const keep = new Set(apps.map((a) => a.id))
      for (const stale of (await repo.list()).filter((r) => r.source === source && !keep.has(r.id))) {
        if (await repo.delete(stale.id)) {
          counts.deleted++
          await record('delete', stale.id, source, stale.spec, undefined)
        }
      }
      if (counts.deleted > 0) options.onChange?.()
      for (const app of apps) {
        const { created, changed } = await put(app, source)
        if (created) counts.created++
        else if (changed) counts.updated++
        else counts.unchanged++
      }
      return counts
    },
  }
}
