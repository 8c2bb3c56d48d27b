// Child processes for tests and benchmarks: a free port, and a server process that is "up" once
// a URL answers 2xx. Output is kept so a failing test can show why the server died.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  url: string
  child: ChildProcess
  /** stdout + stderr so far */
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface SpawnOptions {
  args: string[]
  env?: Record<string, string | undefined>
  /** Base URL of the server; `readyPath` is appended to probe it. */
  url: string
  readyPath?: string
  timeoutMs?: number
  cwd?: string
}

/** Spawns `args` with this Node and resolves once `url + readyPath` answers 2xx. */
export async function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, o.args, {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d) => { out += String(d) })
  child.stderr?.on('data', (d) => { out += String(d) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = Date.now() + (o.timeoutMs ?? 60_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (code ${child.exitCode}):\n${out}`)
    try {
      const res = await fetch(o.url + (o.readyPath ?? '/readyz'))
      if (res.ok) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server not ready after ${o.timeoutMs ?? 60_000} ms:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: o.url,
    child,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
