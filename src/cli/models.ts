// `gatehouse model write | get | transform`: authorization models on the configured database and
// DSL ⇄ JSON conversion, like `fga model …`. Writing goes through the engine, so a model the API
// would refuse is refused here with the same message.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { modelFromDsl, modelToDsl } from '../authz/index.ts'
import type { GatehouseConfig } from '../config/index.ts'
import { requireStore, withEngine, type FgaOptions } from './engine.ts'
import { Exit, printJson, takeArgs, UsageError, type CliIO } from './io.ts'

export type ModelFormat = 'fga' | 'json'

/** How a model file is written: by extension, else JSON when it looks like an object. */
export function modelFormatOf(file: string, text: string): ModelFormat {
  if (file.endsWith('.json')) return 'json'
  if (file.endsWith('.fga')) return 'fga'
  if (file.endsWith('.mod')) throw new UsageError(`${file}: modular models (fga.mod) are not supported; combine the modules into one .fga file`)
  return text.trimStart().startsWith('{') ? 'json' : 'fga'
}

/** Parses model text into the API's JSON model; DSL errors come back as validation_error. */
export function parseModel(text: string, format: ModelFormat, shown: string): unknown {
  if (format === 'fga') return modelFromDsl(text)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${shown}: not valid JSON: ${(err as Error).message}`)
  }
}

export function readModelFile(path: string, shown: string): { model: unknown; format: ModelFormat } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const format = modelFormatOf(shown, text)
  return { model: parseModel(text, format, shown), format }
}

function formatOption(value: string | undefined, fallback: ModelFormat): ModelFormat {
  if (value === undefined) return fallback
  if (value === 'json' || value === 'fga') return value
  if (value === 'dsl') return 'fga'
  throw new UsageError(`--format: expected fga or json, got "${value}"`)
}

/** Pretty JSON without the id, in the field order the API answers with. */
function modelJsonText(model: Record<string, unknown>): string {
  const copy = { ...model }
  delete copy.id
  return `${JSON.stringify(copy, null, 2)}\n`
}

function output(io: CliIO, text: string, out: string | undefined): void {
  if (out === undefined) io.stdout.write(text)
  else writeFileSync(resolve(io.cwd, out), text)
}

/** `model write --store ID FILE`, `model get --store ID [--id M] [--format json]`, `model transform FILE`. */
export async function modelCommand(config: () => GatehouseConfig, sub: string, rest: string[], options: FgaOptions, io: CliIO): Promise<number> {
  switch (sub) {
    case 'write': {
      const [file] = takeArgs('model write', rest, 1, 'FILE')
      const store = requireStore('model write', options)
      const { model } = readModelFile(resolve(io.cwd, file!), file!)
      await withEngine(config(), async (authz) => printJson(io, await authz.writeAuthorizationModel(store, model)))
      return Exit.ok
    }
    case 'get': {
      takeArgs('model get', rest, 0, '')
      const store = requireStore('model get', options)
      const format = formatOption(options.format, 'fga')
      const model = await withEngine(config(), async (authz) => {
        if (options.id !== undefined) return ((await authz.readAuthorizationModel(store, options.id)) as { authorization_model: Record<string, unknown> }).authorization_model
        const page = await authz.readAuthorizationModels(store, { page_size: '1' }) as { authorization_models: Record<string, unknown>[] }
        return page.authorization_models[0]
      })
      if (model === undefined) {
        io.stderr.write(`store ${store} has no authorization model yet (gatehouse model write --store ${store} FILE)\n`)
        return Exit.failed
      }
      output(io, format === 'json' ? `${JSON.stringify(model, null, 2)}\n` : withTrailingNewline(modelToDsl(model)), options.out)
      return Exit.ok
    }
    case 'transform': {
      const [file] = takeArgs('model transform', rest, 1, 'FILE')
      const { model, format } = readModelFile(resolve(io.cwd, file!), file!)
      const target = formatOption(options.format, format === 'fga' ? 'json' : 'fga')
      output(io, target === 'json' ? modelJsonText(model as Record<string, unknown>) : withTrailingNewline(modelToDsl(model)), options.out)
      return Exit.ok
    }
    default:
      throw new UsageError(`model: unknown subcommand "${sub}"`)
  }
}

const withTrailingNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`)
