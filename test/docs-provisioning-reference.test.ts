// docs/provisioning-reference.md: the receiver runs as written and accepts what Gatehouse sends
// (also across a secret rotation), refusing forgeries and replays; the templates it shows compile.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DeliveryError } from '../src/provisioning/errors.ts'
import { compileTemplate, USER_VARIABLES } from '../src/provisioning/template.ts'
import { deliverWebhook, generateWebhookSecret, signWebhook } from '../src/provisioning/webhook.ts'

const page = readFileSync(join(import.meta.dirname, '..', 'docs', 'provisioning-reference.md'), 'utf8')

function codeBlockAfter(heading: string, lang: string): string {
  const at = page.indexOf(heading)
  assert.ok(at >= 0, `no ${heading}`)
  const start = page.indexOf('```' + lang + '\n', at) + lang.length + 4
  return page.slice(start, page.indexOf('\n```', start))
}

describe('docs/provisioning-reference.md receiver', () => {
  const current = generateWebhookSecret()
  const previous = generateWebhookSecret()
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-receiver-'))
  let child: ChildProcess
  let output = ''
  let url = ''

  before(async () => {
    writeFileSync(join(dir, 'receiver.mjs'), codeBlockAfter('### Verifying deliveries', 'js'))
    child = spawn(process.execPath, [join(dir, 'receiver.mjs')], {
      env: { ...process.env, WEBHOOK_SECRETS: `${current} ${previous}`, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (d) => { output += String(d) })
    child.stderr?.on('data', (d) => { output += String(d) })
    const deadline = Date.now() + 20_000
    while (!/listening on port \d+/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the receiver did not start:\n${output}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    url = `http://127.0.0.1:${/listening on port (\d+)/.exec(output)![1]}/hooks/gatehouse`
  })
  after(() => {
    child?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  const message = (id: string, timestamp = new Date()) => ({ id, timestamp, body: JSON.stringify({ type: 'user.signed_in', data: {} }) })

  it('accepts a delivery once, and its redelivery without handling it again', async () => {
    const target = { url, secrets: [current], timeoutMs: 5000 }
    assert.deepEqual(await deliverWebhook(target, message('evt_1')), { status: 204 })
    assert.deepEqual(await deliverWebhook(target, message('evt_1')), { status: 204 })
    assert.equal(output.match(/event evt_1: user\.signed_in/g)?.length, 1, output)
  })

  it('accepts either secret while they rotate', async () => {
    assert.equal((await deliverWebhook({ url, secrets: [previous], timeoutMs: 5000 }, message('evt_2'))).status, 204)
    assert.equal((await deliverWebhook({ url, secrets: [generateWebhookSecret(), current], timeoutMs: 5000 }, message('evt_3'))).status, 204)
  })

  it('refuses a wrong secret, a replayed timestamp and a tampered body', async () => {
    const wrong = await deliverWebhook({ url, secrets: [generateWebhookSecret()], timeoutMs: 5000 }, message('evt_4')).catch((e) => e)
    assert.ok(wrong instanceof DeliveryError && !wrong.retryable && /answered 401/.test(wrong.message), String(wrong))
    const old = await deliverWebhook({ url, secrets: [current], timeoutMs: 5000 }, message('evt_5', new Date(Date.now() - 10 * 60_000))).catch((e) => e)
    assert.ok(old instanceof DeliveryError && /answered 401/.test(old.message), String(old))
    const ts = Math.floor(Date.now() / 1000)
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'webhook-id': 'evt_6', 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook([current], 'evt_6', ts, '{"a":1}') },
      body: '{"a":2}',
    })
    assert.equal(res.status, 401)
    assert.doesNotMatch(output, /evt_[4-6]/)
  })
})

it('docs/provisioning-reference.md templates compile', () => {
  const shown = [codeBlockAfter('## Templates', ''), codeBlockAfter('### Missing values', '')].flatMap((b) => b.split('\n'))
  assert.ok(shown.length >= 3)
  for (const source of shown) compileTemplate(source, 'docs', USER_VARIABLES)
})
