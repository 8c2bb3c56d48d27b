import type { FastifyBaseLogger } from 'fastify'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

/**
 * Fastify gives every request a child logger carrying its id. Building a pino child (bindings
 * serialized, redaction applied) costs a noticeable share of a warm check, and most requests
 * never log, so the child is built on the first log call that is enabled.
 */
class LazyRequestLogger {
  readonly #parent: FastifyBaseLogger
  readonly #bindings: Record<string, unknown>
  readonly #options: { level?: string }
  #child: FastifyBaseLogger | undefined

  constructor(parent: FastifyBaseLogger, bindings: Record<string, unknown>, options: { level?: string }) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level
  }

  set level(value: string) {
    this.#real().level = value
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options)
    return this.#child
  }

  #log(level: Level, args: unknown[]): void {
    if (LEVEL_VALUES[level] < (LEVEL_VALUES[this.level] ?? 0)) return
    ;(this.#real()[level] as (...a: unknown[]) => void)(...args)
  }

  fatal(...args: unknown[]): void { this.#log('fatal', args) }
  error(...args: unknown[]): void { this.#log('error', args) }
  warn(...args: unknown[]): void { this.#log('warn', args) }
  info(...args: unknown[]): void { this.#log('info', args) }
  debug(...args: unknown[]): void { this.#log('debug', args) }
  trace(...args: unknown[]): void { this.#log('trace', args) }
  silent(): void {}

  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }
}

export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Record<string, unknown>, options: { level?: string }): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger
}

export function isLevelEnabled(logger: FastifyBaseLogger, level: Level): boolean {
  return LEVEL_VALUES[level] >= (LEVEL_VALUES[logger.level] ?? 0)
}
