// Incus on Gatehouse, end to end: a real incusd configured with the lines of docs/incus.md signs
// people in through Gatehouse (the CLI's device flow, approved in Chromium; the web UI's code
// flow) and asks Gatehouse's OpenFGA API every authorization question, while the bootstrap file
// of the same page provisions a personal project per user and a team project per tenancy
// project. Users come from an upstream IdP whose groups the test changes between sign-ins.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { decodeJwt } from 'jose'
import type { Browser as Chromium, BrowserContext } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { repoRoot } from '../support/gatehouse.ts'
import { incusSkipReason, startIncus, type TestIncus } from '../support/incus.ts'
import { freePort, spawnServer, type ServerProcess } from '../support/process.ts'
import { runCaptured } from '../support/cli.ts'
import { startCompanyIdp, type CompanyIdp } from '../support/sign-in-world.ts'

const KEY = 'the-preshared-key-of-gatehouse-0123456789'
/** The access-token lifetime the test runs with (the page says 60 s): long enough for a sign-in, short to wait out. */
const TTL = 20
const DOC = readFileSync(join(repoRoot, 'docs', 'incus.md'), 'utf8')
const DOC_PLACEHOLDERS = {
  gatehouse: 'https://id.acme.test', incus: 'https://incus.acme.test:8443', sso: 'https://sso.acme.test',
  store: '01JQ5V4XG8Z6C8R2N7K1M3P9TD', fingerprint: 'sha256:5f0c5a3b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a',
  ttl: 'accessTokenTtlSeconds: 60',
}

/** The first fenced block of `lang` after `heading` in docs/incus.md. */
function docBlock(heading: string, lang: string): string {
  const at = DOC.indexOf(heading)
  assert.ok(at >= 0, `docs/incus.md has no "${heading}"`)
  const start = DOC.indexOf('```' + lang + '\n', at) + lang.length + 4
  return DOC.slice(start, DOC.indexOf('\n```', start))
}

interface Run { code: number | null; stdout: string; stderr: string }

const skip = (await incusSkipReason()) ?? chromiumSkipReason()

describe('Incus signs in through Gatehouse and asks it for authorization (real incusd)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-incus-oidc-'))
  let incus: TestIncus
  let idp: CompanyIdp
  let chromium: Chromium
  let server: ServerProcess | undefined
  let issuer: string
  let port: number
  let storeId: string
  /** Each person's incus client configuration (INCUS_CONF) and username. */
  const people: Record<string, { conf: string; username: string }> = {}

  const substitute = (text: string) => text
    .replaceAll(DOC_PLACEHOLDERS.gatehouse, issuer).replaceAll(DOC_PLACEHOLDERS.incus, incus.url).replaceAll(DOC_PLACEHOLDERS.sso, idp.issuer)
    .replaceAll(DOC_PLACEHOLDERS.store, storeId).replaceAll(DOC_PLACEHOLDERS.fingerprint, incus.serverFingerprint)
    .replaceAll(DOC_PLACEHOLDERS.ttl, `accessTokenTtlSeconds: ${TTL}`)

  async function startServer(extra: Record<string, string> = {}): Promise<void> {
    server = await spawnServer({
      args: [join(repoRoot, 'src/main.ts'), 'serve'], cwd: repoRoot, url: issuer,
      env: {
        GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), GATEHOUSE_ISSUER: issuer, GATEHOUSE_DATA_DIR: join(dir, 'data'),
        GATEHOUSE_PRESHARED_KEYS: KEY, GATEHOUSE_LOG_LEVEL: 'warn', ...extra,
      },
    })
  }
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, issuer), { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...init.headers } })
    return { status: res.status, json: res.status === 204 ? undefined : await res.json() as any }
  }
  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms
    for (;;) {
      const value = await probe()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const settled = () => until('provisioning to settle', async () => ((await api('/api/v1/provisioning/stats')).json.pending === 0 ? true : undefined))

  /** The incus CLI as `person` (their own client configuration); `onOutput` may answer its prompts. */
  function cli(person: string, args: string[], onOutput?: (text: string, write: (s: string) => void) => void): Promise<Run> {
    const conf = people[person]?.conf ?? join(dir, `incus-${person}`)
    return new Promise((resolve, reject) => {
      const child = spawn('incus', args, { env: { ...process.env, INCUS_CONF: conf, HOME: conf, BROWSER: 'none' }, stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
      child.stdout.on('data', (d) => { stdout += String(d); onOutput?.(stdout, (s) => { if (child.stdin.writable) child.stdin.write(s) }) })
      child.stderr.on('data', (d) => { stderr += String(d) })
      child.once('error', reject)
      child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
      // `create` commands read YAML from a stdin that is not a terminal: give them none.
      if (onOutput === undefined) child.stdin.end()
    })
  }

  /** Chromium on Gatehouse's sign-in page: the work email goes to the upstream, which signs the person in. */
  async function signInUpstream(context: BrowserContext, email: string): Promise<void> {
    const page = context.pages()[0]!
    await page.getByLabel('Work email').waitFor()
    await page.getByLabel('Work email').fill(email)
    await page.getByLabel('Work email').press('Enter')
  }

  /** Chromium on Gatehouse's sign-in page: a local account's username and password. */
  async function signInLocal(context: BrowserContext, username: string, password: string): Promise<void> {
    const page = context.pages().at(-1)!
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  }

  /** `incus remote add gh …` as the page says, the device code approved in Chromium by `email` (or a local account). */
  async function remoteAdd(person: string, email: string, local?: { password: string }): Promise<Run> {
    const conf = join(dir, `incus-${person}`)
    people[person] = { conf, username: '' }
    const context = await chromium.newContext()
    let approving: Promise<void> | undefined
    let answered = false
    try {
      const run = await cli(person, ['remote', 'add', 'gh', incus.url, '--auth-type=oidc', '--accept-certificate'], (out, write) => {
        const url = /^URL: (\S+)$/m.exec(out)?.[1]
        const code = /^Code: (\S+)$/m.exec(out)?.[1]
        if (url && code && approving === undefined) {
          approving = (async () => {
            const page = await context.newPage()
            await page.goto(url)
            await page.getByRole('heading', { name: 'Connect a device?' }).waitFor()
            assert.match(await page.locator('main').innerText(), new RegExp(code))
            await page.getByRole('button', { name: 'Continue' }).click()
            if (local) await signInLocal(context, person, local.password)
            else await signInUpstream(context, email)
            await page.getByRole('heading', { name: 'Device connected' }).waitFor()
          })()
        }
        // Several projects visible: the CLI lists them and asks which one the remote uses; the
        // person picks their own (the team projects are named <organization>-<project>).
        if (!answered && /Name of the project to use for this remote: $/.test(out)) {
          answered = true
          const listed = [...out.matchAll(/^ - (\S+)$/gm)].map((m) => m[1]!)
          write(`${listed.find((name) => !name.startsWith('acme-')) ?? listed[0]}\n`)
        }
      })
      await approving
      if (run.code !== 0) return run
      const tokens = JSON.parse(readFileSync(join(conf, 'oidctokens', 'gh.json'), 'utf8')) as { access_token: string }
      people[person]!.username = String(decodeJwt(tokens.access_token).preferred_username)
      return run
    } finally {
      await context.close()
    }
  }

  before(async () => {
    incus = await startIncus()
    port = await freePort()
    issuer = `http://127.0.0.1:${port}`
    idp = await startCompanyIdp(`${issuer}/login/callback`)
    idp.groups.pat = ['staff', 'devs']
    idp.groups.alex = ['staff']
    chromium = await launchChromium()

    // 1. Gatehouse with no bootstrap file yet: the store Incus will use.
    await startServer()
    const created = await api('/stores', { method: 'POST', body: JSON.stringify({ name: 'incus' }) })
    assert.equal(created.status, 201)
    storeId = created.json.id

    // 2. Incus, configured with the page's line: it writes its model and first tuples into the store.
    for (const key of Object.values(DOC_PLACEHOLDERS)) assert.ok(DOC.includes(key), `docs/incus.md no longer has ${key}`)
    const line = substitute(docBlock('### Incus: the server configuration', 'sh')).replace(/\\\n\s*/g, ' ').split('\n').find((l) => l.startsWith('incus config set'))!
    await incus.incus(...line.split(/\s+/).slice(1))
    await until('Incus to write its model', async () => ((await api(`/stores/${storeId}/authorization-models`)).json.authorization_models?.length > 0 ? true : undefined))
    await until('Incus to sync its resources', async () => {
      const { json } = await api(`/stores/${storeId}/read`, { method: 'POST', body: JSON.stringify({ tuple_key: { object: 'project:default', relation: 'server' } }) })
      return json.tuples?.length > 0 ? true : undefined
    })

    // 3. The bootstrap file of the page, and Gatehouse restarted with it.
    writeFileSync(join(dir, 'gatehouse.crt'), incus.client.cert)
    writeFileSync(join(dir, 'gatehouse.key'), incus.client.key, { mode: 0o600 })
    writeFileSync(join(dir, 'bootstrap.yaml'), substitute(docBlock('### Gatehouse: the bootstrap file', 'yaml')))
    await server!.stop()
    await startServer({ GATEHOUSE_BOOTSTRAP_FILE: join(dir, 'bootstrap.yaml') })
    await settled()
  })
  after(async () => {
    await chromium?.close()
    await server?.stop()
    await idp?.close()
    await incus?.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('adds the remote through the device flow, approved on Gatehouse\'s page, and lists only the person\'s projects', async () => {
    const alex = await remoteAdd('alex', 'alex@acme.test')
    assert.equal(alex.code, 0, alex.stderr + alex.stdout)
    const pat = await remoteAdd('pat', 'pat@acme.test')
    assert.equal(pat.code, 0, pat.stderr + pat.stdout)
    assert.match(pat.stdout, /^URL: http:\/\/127\.0\.0\.1:\d+\/device\?user_code=/m)
    await settled()
    const list = await cli('pat', ['project', 'list', 'gh:', '--format', 'csv'])
    assert.equal(list.code, 0, list.stderr)
    const names = list.stdout.trim().split('\n').map((l) => l.split(',')[0]!.replace(/ \(current\)$/, '')).sort()
    assert.deepEqual(names, ['acme-web', people.pat!.username].sort())
  })

  const projects = async (person: string) => {
    const list = await cli(person, ['project', 'list', 'gh:', '--format', 'csv'])
    assert.equal(list.code, 0, list.stderr)
    return list.stdout.trim().split('\n').filter(Boolean).map((l) => l.split(',')[0]!.replace(/ \(current\)$/, '')).sort()
  }
  const tokenFile = (person: string) => JSON.parse(readFileSync(join(people[person]!.conf, 'oidctokens', 'gh.json'), 'utf8')) as { access_token: string; refresh_token: string }

  it('lets a person work in their own project and refuses another person\'s', async () => {
    const mine = await cli('pat', ['profile', 'create', 'gh:myprofile', '--project', people.pat!.username])
    assert.equal(mine.code, 0, mine.stderr)
    const shown = await cli('pat', ['profile', 'show', 'gh:myprofile', '--project', people.pat!.username])
    assert.equal(shown.code, 0, shown.stderr)
    const team = await cli('pat', ['profile', 'create', 'gh:teamprofile', '--project', 'acme-web'])
    assert.equal(team.code, 0, team.stderr)
    const theirs = await cli('pat', ['profile', 'create', 'gh:intruder', '--project', people.alex!.username])
    assert.notEqual(theirs.code, 0)
    assert.match(theirs.stderr, /Forbidden|not have entitlement/i)
    const alexTeam = await cli('alex', ['profile', 'create', 'gh:intruder', '--project', 'acme-web'])
    assert.notEqual(alexTeam.code, 0)
    assert.match(alexTeam.stderr, /Forbidden|not have entitlement/i)
    assert.deepEqual(await projects('alex'), [people.alex!.username])
  })

  /** Incus's own browser sign-in (/oidc/login → Gatehouse → /oidc/callback) in a fresh browser; resolves to the context with Incus's cookies. */
  async function webLogin(email: string): Promise<BrowserContext> {
    const context = await chromium.newContext({ ignoreHTTPSErrors: true })
    const page = await context.newPage()
    await page.goto(`${incus.url}/oidc/login`)
    await signInUpstream(context, email)
    await page.waitForURL(`${incus.url}/ui/**`)
    return context
  }

  it('signs a person in to the web UI through Gatehouse; API calls with its cookies succeed', async () => {
    const context = await webLogin('pat@acme.test')
    try {
      const names = (await context.cookies(incus.url)).map((c) => c.name).sort()
      assert.ok(names.includes('oidc_access') && names.includes('oidc_refresh'), names.join(','))
      const res = await context.request.get(`${incus.url}/1.0/projects`)
      assert.equal(res.status(), 200)
      const body = await res.json() as { metadata: string[] }
      assert.deepEqual(body.metadata.map((u) => u.replace('/1.0/projects/', '')).sort(), ['acme-web', people.pat!.username].sort())
      const forbidden = await context.request.get(`${incus.url}/1.0/projects/${people.alex!.username}`)
      assert.equal(forbidden.status(), 403)
    } finally {
      await context.close()
    }
  })

  it('keeps the CLI working after its access token expires: it refreshes at Gatehouse', async () => {
    const before = tokenFile('pat')
    const exp = decodeJwt(before.access_token).exp!
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1500))
    assert.deepEqual(await projects('pat'), ['acme-web', people.pat!.username].sort())
    const after = tokenFile('pat')
    assert.notEqual(after.access_token, before.access_token)
    assert.notEqual(after.refresh_token, before.refresh_token, 'refresh tokens rotate')
    assert.ok(decodeJwt(after.access_token).exp! > exp)
  })

  it('takes a team project away at the next sign-in once the IdP drops the group', async () => {
    idp.groups.pat = ['staff']
    await (await webLogin('pat@acme.test')).close()
    await settled()
    assert.deepEqual(await projects('pat'), [people.pat!.username])
    const denied = await cli('pat', ['profile', 'create', 'gh:late', '--project', 'acme-web'])
    assert.notEqual(denied.code, 0)
    assert.match(denied.stderr, /Forbidden|not have entitlement/i)
  })

  it('takes the personal project away at the next sign-in once the person leaves the group the rule requires', async () => {
    idp.groups.pat = ['devs']
    await (await webLogin('pat@acme.test')).close()
    await settled()
    assert.deepEqual(await projects('pat'), ['acme-web'])
    const denied = await cli('pat', ['profile', 'create', 'gh:late', '--project', people.pat!.username])
    assert.notEqual(denied.code, 0)
    assert.match(denied.stderr, /Forbidden|not have entitlement/i)
    // Restricted, not deleted: the person's instances and profiles are kept for their return.
    const kept = JSON.parse(await incus.incus('query', `/1.0/projects/${people.pat!.username}`)) as { config: Record<string, string> }
    assert.ok(kept.config['user.gatehouse.restricted'])
  })

  it('stops a disabled local account at once: its project access goes with the user.disabled event', async () => {
    const password = 'a local password for robin 0123456789'
    const env = {
      GATEHOUSE_DATA_DIR: join(dir, 'data'), GATEHOUSE_ISSUER: issuer, GATEHOUSE_BOOTSTRAP_FILE: join(dir, 'bootstrap.yaml'),
      GATEHOUSE_NEW_PASSWORD: password, GATEHOUSE_LOG_LEVEL: 'silent',
    }
    assert.equal((await runCaptured(['accounts', 'create', 'robin'], env, dir)).code, 0)
    // The page's bootstrap file makes robin an explicit member of acme/staff: the personal rule applies.
    const added = await remoteAdd('robin', '', { password })
    assert.equal(added.code, 0, added.stderr + added.stdout)
    await settled()
    assert.deepEqual(await projects('robin'), [people.robin!.username])
    const disabled = await runCaptured(['accounts', 'disable', 'robin'], env, dir)
    assert.equal(disabled.code, 0, disabled.stderr)
    // Delivered at the server's next poll; the access token robin holds is still unexpired.
    await until('robin to lose the project', async () => ((await projects('robin')).length === 0 ? true : undefined))
    const denied = await cli('robin', ['profile', 'create', 'gh:late', '--project', people.robin!.username])
    assert.notEqual(denied.code, 0)
  })

  it('retires a person\'s project when a sign-in is refused because they belong to no organization any more', async () => {
    idp.groups.alex = []
    const context = await chromium.newContext({ ignoreHTTPSErrors: true })
    try {
      const page = await context.newPage()
      await page.goto(`${incus.url}/oidc/login`)
      await signInUpstream(context, 'alex@acme.test')
      await page.getByRole('heading', { name: 'No organization' }).waitFor()
    } finally {
      await context.close()
    }
    await settled()
    const { json } = await api(`/stores/${storeId}/read`, { method: 'POST', body: JSON.stringify({ tuple_key: { user: `user:${people.alex!.username}`, relation: 'operator', object: 'project:' } }) })
    assert.deepEqual(json.tuples, [])
    const kept = JSON.parse(await incus.incus('query', `/1.0/projects/${people.alex!.username}`)) as { config: Record<string, string> }
    assert.ok(kept.config['user.gatehouse.restricted'], 'restricted, kept for a return')
  })

  it('answers every request Incus sent to the OpenFGA API with 2xx', async () => {
    const metrics = await (await fetch(new URL('/metrics', issuer))).text()
    const rows = [...metrics.matchAll(/^http_request_duration_seconds_count\{method="(\w+)",route="(\/stores[^"]*)",status_code="(\d+)"\} (\d+)/gm)]
      .map(([, method, route, status, count]) => ({ method, route, status: Number(status), count: Number(count) }))
    assert.deepEqual(rows.filter((r) => r.status >= 300), [])
    const calls = (route: string) => rows.filter((r) => r.route === route).reduce((n, r) => n + r.count, 0)
    assert.ok(calls('/stores/:store_id/check') > 0, JSON.stringify(rows))
    assert.ok(calls('/stores/:store_id/list-objects') > 0, JSON.stringify(rows))
    assert.ok(calls('/stores/:store_id/write') > 0, JSON.stringify(rows))
  })
})
