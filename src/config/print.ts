import type { LoadedConfig } from './load.ts'
import { CONFIG_KEY_NAMES, envVarFor, specOf, type ConfigKey, type GatehouseConfig } from './schema.ts'

export const REDACTED = '[redacted]'

/** A copy of the config that is safe to print or log: secret values replaced. */
export function redactConfig(config: GatehouseConfig): Record<ConfigKey, unknown> {
  const out = {} as Record<ConfigKey, unknown>
  for (const name of CONFIG_KEY_NAMES) out[name] = redactValue(name, config[name])
  return out
}

function redactValue(name: ConfigKey, value: unknown): unknown {
  const spec = specOf(name)
  if (!spec.secret) return value
  // An unset optional secret is shown as unset: that tells nothing about a value.
  if (value === '') return value
  if (spec.redact !== undefined) return spec.redact(value)
  if (Array.isArray(value)) return value.map(() => REDACTED)
  return REDACTED
}

/** YAML (valid as a config file), one key per line, each annotated with its env var and source. */
export function formatConfig(loaded: LoadedConfig): string {
  const redacted = redactConfig(loaded.config)
  const lines = [
    '# Effective Gatehouse configuration (secrets redacted)',
    `# config file: ${loaded.configFile ?? 'none'}`,
  ]
  const width = Math.max(...CONFIG_KEY_NAMES.map((n) => `${n}: ${JSON.stringify(redacted[n])}`.length))
  for (const name of CONFIG_KEY_NAMES) {
    const entry = `${name}: ${JSON.stringify(redacted[name])}`
    lines.push(`${entry.padEnd(width)}  # ${envVarFor(name)}, ${loaded.sources[name]}`)
  }
  return lines.join('\n') + '\n'
}
