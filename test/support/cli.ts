// Runs the command line in-process with captured output, as the CLI tests drive it.
import { runCli, type CliIO } from '../../src/cli/index.ts'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON, or undefined when it is not JSON. */
  json: any
}

export async function runCaptured(argv: string[], env: Record<string, string>, cwd: string): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io: CliIO = { stdout: { write: (t: string) => { stdout += t } }, stderr: { write: (t: string) => { stderr += t } }, env, cwd }
  const code = await runCli(argv, io)
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    json = undefined
  }
  return { code, stdout, stderr, json }
}
