// "Try tenancy" on a fresh installation: everyone signs in until the first organization exists;
// creating it switches requireOrganization's refusal on, and the answer (body and header) and the
// log say so there and then. The bootstrap admin and platform administrators keep signing in,
// the admin even after its global binding is removed.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createLocalAccounts } from '../../src/identity/index.ts'
import { formAction } from '../support/browser.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { withServerStore } from '../support/server-store.ts'
import { spaClient, spaRelyingParty } from '../support/upstream.ts'

const RP = 'http://rp.example'
const CALLBACK = `${RP}/callback`
const PASSWORD = 'correct horse battery staple'

describe('the first organization and who may still sign in', () => {
  let server: GatehouseProcess
  let rp: Awaited<ReturnType<typeof spaRelyingParty>>
  const api = (method: string, path: string, body?: unknown) => fetch(new URL(path, server.url), {
    method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  const addAccount = (username: string) => withServerStore(server, (store) => createLocalAccounts({ repo: store.localAccounts }).create({ username, password: PASSWORD }))

  /** A local sign-in through the login page: the relying party gets a code, or Gatehouse answers a page. */
  async function signIn(username: string): Promise<{ signedIn: boolean; status: number; html: string }> {
    const browser = rp.browser()
    const flow = await rp.begin({ redirect_uri: CALLBACK, scope: 'openid' })
    const login = await browser.browse(flow.url)
    const done = await browser.browse(formAction(login.html, '/login'), { method: 'POST', form: { username, password: PASSWORD } })
    if (done.location.origin !== RP) return { signedIn: false, status: done.status, html: done.html }
    await flow.redeem(done.location)
    return { signedIn: true, status: 0, html: '' }
  }

  before(async () => {
    server = await startGatehouse({ GATEHOUSE_BOOTSTRAP_PASSWORD: PASSWORD, GATEHOUSE_LOG_LEVEL: 'warn' })
    await withServerStore(server, (store) => store.oidcClients.upsert(spaClient(CALLBACK)))
    rp = await spaRelyingParty(server.url, () => server.url, RP)
  })
  after(async () => {
    await server?.close()
  })

  it('signs anyone in while no organization exists', async () => {
    await addAccount('carol')
    assert.equal((await signIn('carol')).signedIn, true)
  })

  it('says, in the answer and the log, that the first organization refuses users in none', async () => {
    const first = await api('POST', '/api/v1/organizations', { name: 'acme' })
    assert.equal(first.status, 201)
    const body = await first.json() as { name: string; notice?: string }
    assert.equal(body.name, 'acme')
    assert.match(body.notice ?? '', /acme is the first organization, so requireOrganization \(GATEHOUSE_REQUIRE_ORGANIZATION\) now applies/)
    assert.match(body.notice ?? '', /GATEHOUSE_REQUIRE_ORGANIZATION=false/)
    assert.equal(first.headers.get('x-gatehouse-notice'), body.notice)
    // The log line may reach the output a moment after the answer.
    let logged: string[] = []
    for (let i = 0; i < 50 && logged.length === 0; i++) {
      logged = server.output().split('\n').filter((line) => line.includes('is the first organization'))
      if (logged.length === 0) await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(logged.length, 1, server.output())
    assert.equal(JSON.parse(logged[0]!).level, 40, 'logged at warn')

    // Only the first one: nothing changes for sign-in after it.
    const second = await api('POST', '/api/v1/organizations', { name: 'globex' })
    assert.equal(second.status, 201)
    assert.equal(second.headers.get('x-gatehouse-notice'), null)
    assert.equal((await second.json() as { notice?: string }).notice, undefined)
  })

  it('refuses local accounts in no organization, made before or after', async () => {
    await addAccount('dave')
    for (const username of ['carol', 'dave']) {
      const refused = await signIn(username)
      assert.equal(refused.signedIn, false, username)
      assert.equal(refused.status, 403, username)
      assert.match(refused.html, /<h1>No organization<\/h1>/, username)
    }
  })

  it('keeps signing in the bootstrap admin and platform administrators', async () => {
    assert.equal((await signIn('admin')).signedIn, true)
    await addAccount('pia')
    const bound = await api('PUT', '/api/v1/global-bindings', { subject: { id: 'pia', issuer: 'local' }, roleIds: ['platform-administrator'] })
    assert.equal(bound.status, 200, await bound.clone().text())
    assert.equal((await signIn('pia')).signedIn, true)
  })

  it('signs the bootstrap admin in even when its platform-administrator binding was removed', async () => {
    const { items } = await (await api('GET', '/api/v1/global-bindings')).json() as { items: Array<{ id: string; subject: { id: string; issuer: string } }> }
    const admin = items.find((b) => b.subject.id === 'admin' && b.subject.issuer === 'local')
    assert.ok(admin, 'the bootstrap admin holds a binding')
    assert.equal((await api('DELETE', `/api/v1/global-bindings/${admin.id}`)).status, 204)
    assert.equal((await signIn('admin')).signedIn, true)
  })
})
