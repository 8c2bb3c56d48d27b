/** What a command may touch, passed in so tests can run commands in-process. */
export interface CliIO {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  env: Record<string, string | undefined>
  cwd: string
}

export const processIO: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
}

/** Exit statuses: 0 ok, 1 the command failed (or the input is invalid), 2 bad usage or configuration. */
export const Exit = { ok: 0, failed: 1, usage: 2 } as const

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Prints a value as indented JSON on stdout (admin commands' output format). */
export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Checks a subcommand got exactly `count` arguments; returns them. */
export function takeArgs(command: string, rest: string[], count: number, names: string): string[] {
  if (rest.length < count) throw new UsageError(`${command}: missing ${names}`)
  if (rest.length > count) throw new UsageError(`${command}: unexpected argument "${rest[count]}"`)
  return rest
}

/**
 * A list as every admin list answers (`{ items }`), repeated under its old name (`organizations`,
 * `clients`, …) for one release, so scripts reading the old key keep working meanwhile.
 */
export function listOutput<T>(items: T[], oldKey: string): { items: T[] } & Record<string, T[]> {
  return { items, [oldKey]: items }
}
