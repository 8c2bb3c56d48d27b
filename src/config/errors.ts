import { AppError } from '../lib/index.ts'

export const ConfigErrorCodes = {
  invalid: 'config_invalid',
  unsafeListen: 'config_unsafe_listen',
} as const

/** Bad configuration: the CLI prints `message` (never a stack) and exits with status 2. */
export class ConfigError extends AppError {
  readonly problems: string[]

  constructor(problems: string[], code: string = ConfigErrorCodes.invalid) {
    const message = problems.length === 1
      ? `Invalid configuration: ${problems[0]}`
      : `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`
    super(code, message, { status: 400 })
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError
}
