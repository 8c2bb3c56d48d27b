// A Gatehouse server process on a temporary SQLite file with one resource server and the
// confidential clients the token and introspection benchmarks need.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GENERATED_SECRET_PARAMS, hashSecret } from '../../src/identity/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { ServerProcess } from '../../test/support/process.ts'
import { freePort, startGatehouseServer } from './servers.ts'

export const RESOURCE = 'https://api.bench.example'
export const SCOPE = 'orders:read'

export interface BenchClient {
  id: string
  /** Value of the Authorization header (client_secret_basic). */
  authorization: string
}

export interface OidcBenchServer {
  server: ServerProcess
  /** client_credentials client that gets tokens. */
  service: BenchClient
  /** The resource server's own client, allowed to introspect any token. */
  resourceServer: BenchClient
  stop(): Promise<void>
}

/** `env` adds to the server's environment, e.g. NODE_OPTIONS for --cpu-prof. */
export async function startOidcBenchServer(env: Record<string, string> = {}): Promise<OidcBenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-oidc-'))
  const port = await freePort()
  const server = await startGatehouseServer(port, {
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_DATABASE_URL: `sqlite://${join(dir, 'bench.db')}`,
    GATEHOUSE_RESOURCE_SERVERS: JSON.stringify([{ indicator: RESOURCE, scopes: [SCOPE] }]),
    GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS: '3600',
    GATEHOUSE_LOCAL_LOGIN: 'false',
    ...env,
  })
  const clients = { service: 'bench-service', resourceServer: 'bench-api' }
  const secret = (id: string) => `${id}-secret-0123456789abcdefghij`
  const store = await openSqliteStore({ path: join(dir, 'bench.db') })
  try {
    const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }
    await store.oidcClients.upsert({
      clientId: clients.service, metadata: { ...common, 'urn:gatehouse:resource_scopes': [SCOPE] }, source: 'api', secretHash: await hashSecret(secret(clients.service), GENERATED_SECRET_PARAMS),
    })
    await store.oidcClients.upsert({
      clientId: clients.resourceServer, metadata: { ...common, 'urn:gatehouse:may_introspect': true }, source: 'api',
      secretHash: await hashSecret(secret(clients.resourceServer), GENERATED_SECRET_PARAMS),
    })
  } finally {
    await store.close()
  }
  const client = (id: string): BenchClient => ({ id, authorization: `Basic ${Buffer.from(`${id}:${secret(id)}`).toString('base64')}` })
  return {
    server,
    service: client(clients.service),
    resourceServer: client(clients.resourceServer),
    async stop() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const FORM = 'application/x-www-form-urlencoded'

/** The client_credentials request body; with `resource` the token is a JWT, else opaque. */
export function tokenForm(resource?: string): string {
  return new URLSearchParams(resource ? { grant_type: 'client_credentials', resource, scope: SCOPE } : { grant_type: 'client_credentials' }).toString()
}

/** One client_credentials token; `resource` makes it a JWT. */
export async function fetchToken(base: string, client: BenchClient, resource?: string): Promise<string> {
  const form = new URLSearchParams(tokenForm(resource))
  const res = await fetch(`${base}/token`, { method: 'POST', headers: { authorization: client.authorization, 'content-type': FORM }, body: form })
  const body = (await res.json()) as { access_token?: string }
  if (!res.ok || !body.access_token) throw new Error(`token request failed (${res.status}): ${JSON.stringify(body)}`)
  return body.access_token
}
