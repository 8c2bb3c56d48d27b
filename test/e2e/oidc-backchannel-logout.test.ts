// OpenID Connect Back-Channel Logout 1.0 against a real server process: a relying party that
// registered backchannel_logout_uri receives, when the user signs out at Gatehouse, a logout
// token it verifies with jose against the published keys (iss, aud, typ, events, sid, no nonce).
// SQLite only: the protocol, not the store, is under test.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { CALLBACK, createClient, discover, passwordSignIn } from '../support/foreign-rp.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'

const PASSWORD = 'correct horse battery staple'
const EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** The RP's back-channel endpoint: collects logout tokens, answers 200 as the spec asks. */
async function startReceiver(): Promise<{ server: Server; url: string; next(): Promise<string> }> {
  const waiting: Array<(token: string) => void> = []
  const received: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += String(c) })
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token')
      res.writeHead(token === null || req.headers['content-type'] !== 'application/x-www-form-urlencoded' ? 400 : 200, { 'cache-control': 'no-store' }).end()
      if (token === null) return
      const waiter = waiting.shift()
      if (waiter) waiter(token)
      else received.push(token)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`,
    next: () => new Promise((resolve, reject) => {
      const ready = received.shift()
      if (ready !== undefined) return resolve(ready)
      const timer = setTimeout(() => reject(new Error('no logout token within 10 s')), 10_000)
      waiting.push((token) => { clearTimeout(timer); resolve(token) })
    }),
  }
}

describe('back-channel logout', () => {
  let server: GatehouseProcess
  let receiver: Awaited<ReturnType<typeof startReceiver>>

  before(async () => {
    receiver = await startReceiver()
    server = await startGatehouse({ GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD })
    await createClient(server.url, {
      id: 'argocd', type: 'public', firstParty: true, redirectUris: [CALLBACK], scopes: ['openid'], backchannelLogoutUri: receiver.url,
    })
  })
  after(async () => {
    await server?.close()
    receiver?.server.close()
  })

  it('announces the feature in discovery', async () => {
    const doc = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>
    assert.equal(doc.backchannel_logout_supported, true)
    assert.equal(doc.backchannel_logout_session_supported, true)
  })

  it('sends a verifiable logout token naming the session when the user signs out', async () => {
    const rp = await discover(server.url, 'argocd')
    const { tokens, browser } = await passwordSignIn(rp, server.url, { password: PASSWORD })
    const sid = tokens.claims()!.sid
    assert.equal(typeof sid, 'string')

    const confirm = await browser.browse('/session/end')
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1]
    assert.ok(xsrf, confirm.html)
    await browser.browse('/session/end/confirm', { method: 'POST', form: { xsrf, logout: 'yes' } })

    const logoutToken = await receiver.next()
    const { payload, protectedHeader } = await jwtVerify(logoutToken, createRemoteJWKSet(new URL(`${server.url}/jwks`)), {
      issuer: server.url, audience: 'argocd', typ: 'logout+jwt', maxTokenAge: '2 minutes',
    })
    assert.equal(protectedHeader.alg, 'ES256')
    assert.equal(payload.sub, 'local:admin')
    assert.equal(payload.sid, sid)
    assert.deepEqual(payload.events, { [EVENT]: {} })
    assert.equal(typeof payload.jti, 'string')
    assert.equal(payload.nonce, undefined, 'a logout token never carries a nonce')
  })

  it('refuses a back-channel logout URI that is neither https nor loopback', async () => {
    const res = await fetch(`${server.url}/api/v1/clients`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'bad-logout', type: 'public', redirectUris: [CALLBACK], backchannelLogoutUri: 'http://rp.example.com/logout' }),
    })
    assert.equal(res.status, 400)
    assert.match(await res.text(), /backchannelLogoutUri/)
  })
})
