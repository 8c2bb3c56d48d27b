// An upstream's health as the console's overview shows it: discovery run afresh, as a sign-in
// would run it, against a provider that answers, one that answers an error, and a closed port.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../../config/index.ts'
import type { Store } from '../../store/index.ts'
import { openSqliteStore } from '../../store/sqlite/index.ts'
import { createFederation, type Federation } from './federation.ts'
import { resolveUpstreams } from './providers.ts'

describe('upstream probe', () => {
  let store: Store
  let server: Server
  let issuer: string
  let broken = false
  let fed: Federation

  before(async () => {
    store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    server = createServer((req, res) => {
      if (broken || req.url !== '/.well-known/openid-configuration') return res.writeHead(503).end()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'],
      }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    // A port that was just free: nothing listens there.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const down = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise((resolve) => closed.close(resolve))
    const upstreams = loadConfig({ env: { GATEHOUSE_UPSTREAMS: JSON.stringify([
      { id: 'corp', kind: 'oidc', issuer, clientId: 'gh', clientSecret: 's' },
      { id: 'gone', kind: 'oidc', issuer: down, clientId: 'gh', clientSecret: 's' },
    ]) } }).config.upstreams
    fed = createFederation({ issuer: 'http://gatehouse.test', providers: resolveUpstreams(upstreams), oidc: store.oidc, userRecords: store.userRecords, accountTtlSeconds: 600 })
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    await store.close()
  })

  it('reports a provider whose discovery answers', async () => {
    const health = await fed.probe('corp')
    assert.equal(health?.ok, true)
    assert.ok(!Number.isNaN(Date.parse(health!.checkedAt)))
  })

  it('reports why a provider is down: an error answer, or nothing listening', async () => {
    broken = true
    const failing = await fed.probe('corp')
    broken = false
    assert.equal(failing?.ok, false)
    assert.match(failing!.error!, /503/)
    const gone = await fed.probe('gone')
    assert.equal(gone?.ok, false)
    assert.ok(gone?.error)
  })

  it('knows nothing of an unknown provider', async () => {
    assert.equal(await fed.probe('nope'), undefined)
  })
})
