// The OpenID Connect provider in a real server process on SQLite: discovery and endpoints come
// from the configured issuer whatever Host headers a caller sends, the JWKS publishes ES256 then
// RS256 without private parts, the bootstrap password is shown once, and a client stored in the
// database gets a client_credentials token that introspects as active.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { hashSecret } from '../../src/identity/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'

const ISSUER = 'http://localhost:7443'

/** fetch cannot send a Host header of its own choosing; node:http can. */
function getRaw(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.on('data', (d) => { body += String(d) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const passwordLines = (output: string) => output.split('\n').filter((l) => l.startsWith('Bootstrap admin created'))

describe('OpenID Connect provider (SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-oidc-'))
  let server: GatehouseProcess

  before(async () => {
    server = await startGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER })
  })
  after(async () => {
    await server?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('serves discovery with the configured issuer and endpoints under it, even with spoofed Host headers', async () => {
    const spoofed = await getRaw(`${server.url}/.well-known/openid-configuration`, {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    })
    assert.equal(spoofed.status, 200)
    const doc = JSON.parse(spoofed.body) as Record<string, unknown>
    assert.equal(doc.issuer, ISSUER)
    for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
      assert.equal(typeof doc[name], 'string', name)
      assert.ok((doc[name] as string).startsWith(`${ISSUER}/`), `${name} = ${String(doc[name])}`)
    }
    assert.doesNotMatch(spoofed.body, /evil\.example/)
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256'])
    assert.deepEqual(doc.response_types_supported, ['code'])
  })

  it('publishes ES256 first, then RS256, with no private key members', async () => {
    const res = await fetch(`${server.url}/jwks`)
    assert.equal(res.status, 200)
    const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> }
    assert.deepEqual(keys.map((k) => k.alg), ['ES256', 'RS256'])
    for (const key of keys) {
      assert.equal(key.use, 'sig')
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[member], undefined, `${String(key.alg)} has ${member}`)
    }
  })

  it('generates the secret key once, readable by the owner only', () => {
    assert.equal(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600)
    assert.match(server.output(), /secret key: +generated into/)
  })

  it('issues a client_credentials token to a stored client and introspects it as active, then inactive after revocation', async () => {
    const store = await openSqliteStore({ path: join(dataDir, 'gatehouse.db') })
    try {
      await store.oidcClients.upsert({
        clientId: 'svc',
        metadata: { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' },
        secretHash: await hashSecret('svc-secret-0123456789'),
        source: 'api',
      })
    } finally {
      await store.close()
    }
    const basic = 'Basic ' + Buffer.from('svc:svc-secret-0123456789').toString('base64')
    const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }

    const wrong = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { ...form, authorization: 'Basic ' + Buffer.from('svc:wrong').toString('base64') },
      body: 'grant_type=client_credentials',
    })
    assert.equal(wrong.status, 401)

    const tokenRes = await fetch(`${server.url}/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' })
    assert.equal(tokenRes.status, 200, await tokenRes.clone().text())
    const token = (await tokenRes.json()) as { access_token: string; token_type: string; expires_in: number }
    assert.equal(token.token_type, 'Bearer')
    assert.ok(token.expires_in > 0)

    const introspect = async () => {
      const res = await fetch(`${server.url}/token/introspection`, { method: 'POST', headers: form, body: `token=${encodeURIComponent(token.access_token)}` })
      assert.equal(res.status, 200)
      return (await res.json()) as Record<string, unknown>
    }
    const active = await introspect()
    assert.equal(active.active, true)
    assert.equal(active.client_id, 'svc')
    assert.equal(active.iss, ISSUER)
    assert.deepEqual(active['https://gatehouse.dev/claims'], { acctype: 'service' })

    const revoked = await fetch(`${server.url}/token/revocation`, { method: 'POST', headers: form, body: `token=${encodeURIComponent(token.access_token)}` })
    assert.equal(revoked.status, 200)
    assert.deepEqual(await introspect(), { active: false })
  })

  it('prints a generated bootstrap password once, and not again on the next start with the same data', async () => {
    assert.equal(passwordLines(server.output()).length, 1, server.output())
    assert.match(server.output(), /GATEHOUSE_BOOTSTRAP_PASSWORD/)
    const kids = async (url: string) => ((await (await fetch(`${url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)
    const before = await kids(server.url)
    await server.stop()
    const again = await startGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ISSUER: ISSUER })
    try {
      assert.deepEqual(passwordLines(again.output()), [])
      assert.doesNotMatch(again.output(), /secret key: +generated/)
      // Same secret file, same keys: the JWKS is unchanged across restarts.
      assert.deepEqual(await kids(again.url), before)
    } finally {
      await again.close()
    }
  })
})
