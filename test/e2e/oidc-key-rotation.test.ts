// Signing-key rotation with a running server, on SQLite and PostgreSQL: `gatehouse keys rotate`
// runs as its own process against the server's database; after its next key refresh the server
// signs with the new key, publishes old and new keys, and a refresh token and id_token issued
// before the rotation keep working. `keys prune` leaves the retired key while its tokens live.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTVerifyResult } from 'jose'
import * as oidc from 'openid-client'
import type { Store } from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import { spaClient } from '../support/upstream.ts'
import { BACKENDS, backendSkip, repoRoot, startGatehouse, TEST_SECRET_KEY, type GatehouseProcess } from '../support/gatehouse.ts'
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts'

const run = promisify(execFile)
const PASSWORD = 'rotation test password 0123'
const CALLBACK = 'http://rp.example/callback'

/** Just enough browser for the sign-in: cookies by name, redirects followed within the issuer. */
async function signIn(config: oidc.Configuration, issuer: string): ReturnType<typeof oidc.authorizationCodeGrant> {
  const cookies = new Map<string, string>()
  const go = async (url: URL, form?: Record<string, string>): Promise<{ url: URL; html: string }> => {
    let target = url
    let body = form && new URLSearchParams(form).toString()
    for (let hops = 0; hops < 10 && target.origin === issuer; hops++) {
      const headers: Record<string, string> = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
      const res = await fetch(target, { method: body === undefined ? 'GET' : 'POST', headers, body, redirect: 'manual' })
      for (const line of res.headers.getSetCookie()) {
        const [name, value] = line.split(';')[0]!.split(/=(.*)/s) as [string, string]
        if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name)
        else cookies.set(name, value)
      }
      const location = res.headers.get('location')
      if (location === null) return { url: target, html: await res.text() }
      target = new URL(location, target)
      body = undefined
    }
    return { url: target, html: '' }
  }
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const page = await go(oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK, scope: 'openid', state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }))
  const action = /action="([^"]+\/login)" autocomplete="on"/.exec(page.html)?.[1]
  assert.ok(action, page.html)
  const done = await go(new URL(action.replaceAll('&amp;', '&'), issuer), { username: 'admin', password: PASSWORD })
  assert.equal(done.url.origin, new URL(CALLBACK).origin, done.html)
  return oidc.authorizationCodeGrant(config, done.url, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
}

for (const backend of BACKENDS) {
  describe(`signing-key rotation reaches a running server (${backend})`, { skip: await backendSkip(backend) }, () => {
    let server: GatehouseProcess | undefined
    let db: TestDatabase | undefined
    let env: Record<string, string>
    let spa: oidc.Configuration

    const openStore = (): Promise<Store> => db
      ? openPostgresStore({ connectionString: db.url })
      : openSqliteStore({ path: join(server!.dataDir, 'gatehouse.db') })
    const jwks = async () => (await (await fetch(`${server!.url}/jwks`)).json()) as JSONWebKeySet
    const cli = async (...args: string[]) => {
      const { stdout } = await run(process.execPath, [join(repoRoot, 'src/main.ts'), ...args], { cwd: repoRoot, env: { ...process.env, ...env } })
      return stdout
    }

    before(async () => {
      if (backend === 'postgres') {
        db = await createTestDatabase()
      }
      server = await startGatehouse({
        GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD,
        GATEHOUSE_KEY_REFRESH_INTERVAL_SECONDS: '1',
        ...(db ? { GATEHOUSE_DATABASE_URL: db.url } : {}),
      })
      env = {
        GATEHOUSE_DATA_DIR: server.dataDir,
        GATEHOUSE_LOG_LEVEL: 'warn',
        ...(db ? { GATEHOUSE_DATABASE_URL: db.url, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY } : {}),
      }
      const store = await openStore()
      try {
        await store.oidcClients.upsert(spaClient(CALLBACK))
      } finally {
        await store.close()
      }
      spa = await oidc.discovery(new URL(server.url), 'spa', { token_endpoint_auth_method: 'none' }, oidc.None(), { execute: [oidc.allowInsecureRequests] })
    })
    after(async () => {
      await server?.close()
      await db?.drop()
    })

    it('signs with the rotated key after a refresh while tokens issued before keep working', async (t) => {
      const initial = await signIn(spa, server!.url)
      const oldIdToken = initial.id_token!
      const oldKid = decodeProtectedHeader(oldIdToken).kid!
      assert.equal((await jwks()).keys[0]!.kid, oldKid, 'the active ES256 key is listed first')

      const rotated = await cli('keys', 'rotate')
      const store = await openStore()
      const keys = await store.signingKeys.list().finally(() => store.close())
      const newKid = keys.find((k) => k.alg === 'ES256' && k.status === 'active')!.kid
      assert.notEqual(newKid, oldKid)
      assert.ok(rotated.includes(newKid))
      assert.equal(keys.find((k) => k.kid === oldKid)?.status, 'retired')

      // The server learns of the rotation at its next key refresh (every second here).
      for (let tries = 0; (await jwks()).keys[0]!.kid !== newKid; tries++) {
        assert.ok(tries < 300, `the server did not pick up the rotation:\n${server!.output()}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const published = await jwks()
      const publishedKids = published.keys.map((k) => k.kid)
      assert.ok(publishedKids.includes(oldKid), 'the retired key stays published')
      for (const key of published.keys) assert.equal((key as Record<string, unknown>).d, undefined)

      const refreshed = await oidc.refreshTokenGrant(spa, initial.refresh_token!)
      assert.equal(decodeProtectedHeader(refreshed.id_token!).kid, newKid, 'a refresh token from before the rotation still works')
      const fresh = await signIn(spa, server!.url)
      assert.equal(decodeProtectedHeader(fresh.id_token!).kid, newKid)

      const keySet = createLocalJWKSet(published)
      for (const token of [oldIdToken, refreshed.id_token!, fresh.id_token!]) {
        const verified: JWTVerifyResult = await jwtVerify(token, keySet, { issuer: server!.url, audience: 'spa' })
        assert.equal(verified.payload.sub, initial.claims()?.sub)
      }

      assert.match(await cli('keys', 'prune'), /deleted 0 expired signing keys/)
      assert.ok((await jwks()).keys.some((k) => k.kid === oldKid), 'prune keeps a key whose tokens may still be live')
    })
  })
}
