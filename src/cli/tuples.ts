// `gatehouse tuples read | write | delete | import`: relationship tuples on the configured database,
// like `fga tuple …`. `import` is the bulk path (the engine's import); `write --file` keeps going
// past bad tuples and reports each. Writes go through the engine (validated against the store's latest model).
import { resolve } from 'node:path'
import { stringify as toYaml } from 'yaml'
import { MAX_IMPORT_BATCH } from '../authz/index.ts'
import type { GatehouseConfig } from '../config/index.ts'
import { isAppError } from '../lib/index.ts'
import { allPages, jsonObjectOption, requireStore, withEngine, type FgaOptions } from './engine.ts'
import { Exit, printJson, takeArgs, UsageError, type CliIO } from './io.ts'
import { toCsv, tupleOf, readTupleFile, type FileTuple } from './tuple-file.ts'
import { applyTuples, type ImportReport } from './tuple-import.ts'

interface ReadTuple { key: FileTuple; timestamp: string }

export async function tuplesCommand(config: GatehouseConfig, args: string[], options: FgaOptions, io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  const command = `tuples ${sub}`
  switch (sub) {
    case 'read': {
      takeArgs(command, rest, 0, '')
      const store = requireStore(command, options)
      const format = options.format ?? 'json'
      if (!['json', 'yaml', 'csv'].includes(format)) throw new UsageError(`${command}: --format must be json, yaml or csv`)
      const filter = { object: options.object ?? '', relation: options.relation ?? '', user: options.user ?? '' }
      // Without --object the engine needs none of them: every tuple of the store is read.
      const tupleKey = filter.object === '' && filter.relation === '' && filter.user === '' ? undefined : filter
      const tuples = await withEngine(config, (authz) => allPages(async (token) => {
        const page = await authz.read(store, { ...(tupleKey ? { tuple_key: tupleKey } : {}), page_size: authz.limits.maxPageSize, ...(token ? { continuation_token: token } : {}) }) as unknown as { tuples: ReadTuple[]; continuation_token: string }
        return { items: page.tuples, token: page.continuation_token }
      }))
      // yaml and csv are the import formats: read output imports again, into this store or another.
      const keys = tuples.map((t) => importable(t.key))
      if (format === 'json') printJson(io, { tuples })
      else if (format === 'yaml') io.stdout.write(keys.length === 0 ? '[]\n' : toYaml(keys))
      else io.stdout.write(toCsv(keys))
      return Exit.ok
    }
    case 'write':
    case 'delete': {
      const store = requireStore(command, options)
      if (options.file !== undefined) {
        takeArgs(command, rest, 0, '')
        return importFile(config, store, options.file, sub === 'write' ? 'write' : 'delete', io)
      }
      const [user, relation, object] = takeArgs(command, rest, 3, 'USER RELATION OBJECT (or --file F)')
      const context = jsonObjectOption('context', options.context)
      if (context !== undefined && options.condition === undefined) throw new UsageError(`${command}: --context needs --condition NAME`)
      if (sub === 'delete' && options.condition !== undefined) throw new UsageError(`${command}: a delete names no condition`)
      const tuple = tupleOf({ user, relation, object, ...(options.condition ? { condition: { name: options.condition, ...(context ? { context } : {}) } } : {}) }, command)
      await withEngine(config, (authz) => authz.write(store, sub === 'write' ? { writes: { tuple_keys: [tuple] } } : { deletes: { tuple_keys: [tuple] } }))
      printJson(io, sub === 'write' ? { written: tuple } : { deleted: tuple })
      return Exit.ok
    }
    case 'import': {
      const [file] = takeArgs(command, rest, 1, 'FILE')
      return bulkImport(config, requireStore(command, options), file!, options, io)
    }
    default:
      throw new UsageError(sub === undefined ? 'tuples: missing subcommand (read, write, delete, import)' : `tuples: unknown subcommand "${sub}"`)
  }
}

/** A read tuple as the import formats write it: no null condition, no empty context. */
function importable(key: FileTuple): FileTuple {
  const { user, relation, object, condition } = key
  if (!condition) return { user, relation, object }
  return { user, relation, object, condition: { name: condition.name, ...(condition.context && Object.keys(condition.context).length > 0 ? { context: condition.context } : {}) } }
}

/**
 * The engine's bulk import: batched transactions, stops at the first bad tuple (earlier batches
 * stay). Duplicates are skipped unless --on-duplicate error, so running a file again resumes it.
 */
async function bulkImport(config: GatehouseConfig, store: string, file: string, options: FgaOptions, io: CliIO): Promise<number> {
  const onDuplicate = options.onDuplicate ?? 'ignore'
  if (onDuplicate !== 'ignore' && onDuplicate !== 'error') throw new UsageError('tuples import: --on-duplicate must be ignore or error')
  const batchSize = options.batchSize === undefined ? undefined : Number(options.batchSize)
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= MAX_IMPORT_BATCH)) {
    throw new UsageError(`tuples import: --batch-size must be an integer from 1 to ${MAX_IMPORT_BATCH}`)
  }
  const tuples = readTupleFile(resolve(io.cwd, file), file)
  return withEngine(config, async (authz) => {
    try {
      printJson(io, await authz.importTuples(store, tuples.map((tuple) => ({ tuple })), { onDuplicate, batchSize }))
      return Exit.ok
    } catch (err) {
      if (!isAppError(err) || err.details === undefined || !('batches' in err.details)) throw err
      printJson(io, { code: err.code, message: err.message, ...err.details })
      io.stderr.write(`${file}: ${err.message}\n${String(err.details.imported)} tuple(s) in ${String(err.details.batches)} batch(es) were committed before it\n`)
      return Exit.failed
    }
  })
}

async function importFile(config: GatehouseConfig, store: string, file: string, mode: 'write' | 'delete', io: CliIO): Promise<number> {
  const tuples = readTupleFile(resolve(io.cwd, file), file)
  const report: ImportReport = await withEngine(config, (authz) => applyTuples(authz, store, tuples, mode, authz.limits.maxTuplesPerWrite))
  const { written, ...others } = report
  printJson(io, mode === 'write' ? report : { deleted: written, ...others })
  if (report.failed > 0) io.stderr.write(`${report.failed} of ${tuples.length} tuple(s) failed${report.failed > report.failures.length ? ` (the first ${report.failures.length} are listed)` : ''}\n`)
  return report.failed > 0 ? Exit.failed : Exit.ok
}
