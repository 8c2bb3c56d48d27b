// Server processes for HTTP benchmarks: each runs in its own child so load and server do not
// share one event loop. The baseline is bare node:http answering a fixed JSON body.
import { fileURLToPath } from 'node:url'
import { freePort, spawnServer, type ServerProcess } from '../../test/support/process.ts'

export { freePort }

/** Spawns a Gatehouse server on `port` with `env` (and Node flags `nodeArgs`) and waits for /healthz. */
export async function startGatehouseServer(port: number, env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerProcess> {
  return spawnServer({
    args: [...nodeArgs, 'src/main.ts', 'serve'],
    url: `http://127.0.0.1:${port}`,
    readyPath: '/healthz',
    env: { GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), GATEHOUSE_LOG_LEVEL: 'warn', ...env },
  })
}

/** A baseline server that reads the request body and answers `body`: bare node:http, or an empty Fastify route. */
export async function startBareServer(body: string, kind: 'node:http' | 'fastify' = 'node:http'): Promise<ServerProcess> {
  const port = await freePort()
  const script = kind === 'fastify' ? './bare-fastify.ts' : './bare-server.ts'
  return spawnServer({
    args: [fileURLToPath(new URL(script, import.meta.url))],
    env: { BARE_PORT: String(port), BARE_BODY: body },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/',
  })
}
