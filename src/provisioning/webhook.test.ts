import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { isAppError } from '../lib/index.ts'
import { DeliveryError, ProvisioningCodes } from './errors.ts'
import { retryAfterMs } from './http-delivery.ts'
import {
  deliverWebhook, generateWebhookSecret, parseWebhookSecret, signWebhook, verifyWebhook, type WebhookTarget,
} from './webhook.ts'

// The test vector published with the Standard Webhooks specification.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const AT_VECTOR = new Date(VECTOR.timestamp * 1000)

describe('webhook signatures', () => {
  it('matches the Standard Webhooks test vector', () => {
    assert.equal(signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature)
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature }
    assert.deepEqual(verifyWebhook([VECTOR.secret], headers, VECTOR.body, 300, AT_VECTOR), { ok: true, id: VECTOR.id, timestamp: VECTOR.timestamp })
    assert.deepEqual(verifyWebhook([VECTOR.secret], new Headers(headers), Buffer.from(VECTOR.body), 300, AT_VECTOR).ok, true)
  })

  it('signs with every secret during a rotation; a receiver with either one accepts', () => {
    const next = generateWebhookSecret()
    const sig = signWebhook([next, VECTOR.secret], 'm1', VECTOR.timestamp, '{}')
    assert.equal(sig.split(' ').length, 2)
    const headers = { 'Webhook-Id': 'm1', 'Webhook-Timestamp': String(VECTOR.timestamp), 'Webhook-Signature': sig }
    assert.equal(verifyWebhook([VECTOR.secret], headers, '{}', 300, AT_VECTOR).ok, true)
    assert.equal(verifyWebhook([next], headers, '{}', 300, AT_VECTOR).ok, true)
    assert.deepEqual(verifyWebhook([generateWebhookSecret()], headers, '{}', 300, AT_VECTOR), { ok: false, reason: 'no signature matches' })
  })

  it('refuses tampering, replays, missing headers and unknown versions', () => {
    const ok = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature }
    const v = (headers: Record<string, string>, body = VECTOR.body, now = AT_VECTOR) => verifyWebhook([VECTOR.secret], headers, body, 300, now)
    assert.equal(v(ok, '{"test": 2432232315}').ok, false)
    assert.equal(v({ ...ok, 'webhook-id': 'msg_other' }).ok, false)
    assert.equal(v({ ...ok, 'webhook-timestamp': String(VECTOR.timestamp + 1) }, VECTOR.body, AT_VECTOR).ok, false)
    assert.deepEqual(v(ok, VECTOR.body, new Date(AT_VECTOR.getTime() + 301_000)), { ok: false, reason: 'webhook-timestamp too old' })
    assert.deepEqual(v(ok, VECTOR.body, new Date(AT_VECTOR.getTime() - 301_000)), { ok: false, reason: 'webhook-timestamp too far in the future' })
    assert.equal(v(ok, VECTOR.body, new Date(AT_VECTOR.getTime() + 299_000)).ok, true)
    assert.deepEqual(v({ ...ok, 'webhook-signature': '' }), { ok: false, reason: 'missing webhook-signature header' })
    assert.deepEqual(v({ 'webhook-timestamp': ok['webhook-timestamp'], 'webhook-signature': ok['webhook-signature'] }), { ok: false, reason: 'missing webhook-id header' })
    assert.deepEqual(v({ ...ok, 'webhook-timestamp': '1e9' }), { ok: false, reason: 'invalid webhook-timestamp: expected unix seconds' })
    assert.equal(v({ ...ok, 'webhook-signature': VECTOR.signature.replace('v1,', 'v2,') }).ok, false)
    assert.equal(v({ ...ok, 'webhook-signature': `v1a,xyz v1,AAAA ${VECTOR.signature}` }).ok, true)
  })

  it('accepts only whsec_ secrets of 24 to 64 bytes, without echoing them', () => {
    assert.equal(parseWebhookSecret(VECTOR.secret).length, 24)
    assert.equal(parseWebhookSecret(generateWebhookSecret()).length, 32)
    for (const bad of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_c2hvcnQ=', 'whsec_not*base64*at*all', `whsec_${Buffer.alloc(65).toString('base64')}`, 42]) {
      assert.throws(() => parseWebhookSecret(bad, 'targets.hooks.secrets[0]'), (err: unknown) => {
        assert.ok(isAppError(err) && err.code === ProvisioningCodes.invalidConfig)
        assert.match(err.message, /^targets\.hooks\.secrets\[0\]: /)
        if (typeof bad === 'string') assert.ok(!err.message.includes(bad.slice(6)), err.message)
        return true
      })
    }
    assert.throws(() => signWebhook([], 'm', 1, ''), /expected at least one secret/)
  })
})

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, capped at a day', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    assert.equal(retryAfterMs('7', now), 7000)
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000)
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now), 0)
    assert.equal(retryAfterMs('99999999', now), 24 * 3600 * 1000)
    assert.equal(retryAfterMs('soon', now), undefined)
    assert.equal(retryAfterMs(null, now), undefined)
  })
})

interface Received { path: string; headers: IncomingMessage['headers']; body: string }

describe('webhook delivery', () => {
  const secret = generateWebhookSecret()
  const received: Received[] = []
  let server: Server
  let base = ''

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        received.push({ path: req.url ?? '', headers: req.headers, body })
        const verified = verifyWebhook([secret], req.headers, body)
        if (!verified.ok) { res.writeHead(401).end(verified.reason); return }
        switch (req.url) {
          case '/ok': res.writeHead(204).end(); return
          case '/500': res.writeHead(500, { 'content-type': 'text/plain' }).end('database\nis down'); return
          case '/503': res.writeHead(503, { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' }).end(); return
          case '/429': res.writeHead(429, { 'retry-after': '7' }).end('slow down'); return
          case '/408': res.writeHead(408).end(); return
          case '/400': res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unknown event type"}'); return
          case '/302': res.writeHead(302, { location: 'https://elsewhere.example/secret-path?token=abc' }).end(); return
          case '/huge': res.writeHead(400); res.end('x'.repeat(5_000_000)); return
          case '/slow': setTimeout(() => res.writeHead(200).end(), 2_000).unref(); return
          default: res.writeHead(404).end()
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const target = (path: string, extra: Partial<WebhookTarget> = {}): WebhookTarget =>
    ({ url: base + path, secrets: [secret], timeoutMs: 1000, ...extra })
  const message = (id = 'evt_1') => ({ id, timestamp: new Date(), body: JSON.stringify({ type: 'user.signed_in', data: { id } }) })

  async function failure(path: string, extra: Partial<WebhookTarget> = {}): Promise<DeliveryError> {
    const err = await deliverWebhook(target(path, extra), message()).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`)
    return err
  }

  it('delivers a signed message the receiver verifies', async () => {
    const msg = message('evt_ok')
    assert.deepEqual(await deliverWebhook(target('/ok', { headers: { 'X-Tenant': 'acme', 'Content-Type': 'application/cloudevents+json' } }), msg), { status: 204 })
    const got = received.at(-1)!
    assert.equal(got.body, msg.body)
    assert.equal(got.headers['webhook-id'], 'evt_ok')
    assert.equal(got.headers['webhook-timestamp'], String(Math.floor(msg.timestamp.getTime() / 1000)))
    assert.match(String(got.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/)
    assert.equal(got.headers['x-tenant'], 'acme')
    assert.equal(got.headers['content-type'], 'application/cloudevents+json')
  })

  it('classifies 5xx, 408 and 429 as retryable, honouring Retry-After', async () => {
    const e500 = await failure('/500')
    assert.equal(e500.retryable, true)
    assert.equal(e500.code, ProvisioningCodes.downstreamUnavailable)
    assert.equal(e500.message, `webhook POST ${base} answered 500: database is down`)
    assert.deepEqual(e500.details, { status: 500 })
    const e429 = await failure('/429')
    assert.equal(e429.retryable, true)
    assert.deepEqual(e429.details, { status: 429, retryAfterMs: 7000 })
    assert.deepEqual((await failure('/503')).details, { status: 503, retryAfterMs: 0 })
    assert.equal((await failure('/408')).retryable, true)
  })

  it('classifies other 4xx as rejected, reading a bounded part of the answer', async () => {
    const e400 = await failure('/400')
    assert.equal(e400.retryable, false)
    assert.equal(e400.code, ProvisioningCodes.downstreamRejected)
    assert.match(e400.message, /answered 400: \{"error":"unknown event type"\}$/)
    const huge = await failure('/huge')
    assert.equal(huge.retryable, false)
    assert.ok(huge.message.length < 300, huge.message)
    const wrongSecret = await deliverWebhook({ ...target('/ok'), secrets: [generateWebhookSecret()] }, message()).catch((e: DeliveryError) => e)
    assert.ok(wrongSecret instanceof DeliveryError && !wrongSecret.retryable)
    assert.match(wrongSecret.message, /answered 401: no signature matches/)
  })

  it('never follows a redirect, and names only its origin', async () => {
    const e302 = await failure('/302')
    assert.equal(e302.retryable, false)
    assert.equal(e302.message, `webhook POST ${base} answered 302, a redirect to https://elsewhere.example: redirects are not followed, configure the final URL`)
    assert.equal(received.filter((r) => r.path === '/302').length, 1)
  })

  it('classifies a timeout and a refused connection as retryable', async () => {
    const slow = await failure('/slow', { timeoutMs: 200 })
    assert.equal(slow.retryable, true)
    assert.match(slow.message, /no answer within 200 ms/)
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const refused = await deliverWebhook({ ...target('/ok'), url: `http://127.0.0.1:${port}/hook?token=s3cr3t` }, message()).catch((e: DeliveryError) => e)
    assert.ok(refused instanceof DeliveryError && refused.retryable)
    assert.match(refused.message, /connection failed \(ECONNREFUSED\)/)
    assert.ok(!refused.message.includes('s3cr3t'))
  })

  it('rejects bad targets and messages before sending anything', async () => {
    const count = received.length
    const cases: [Partial<WebhookTarget>, RegExp][] = [
      [{ url: 'ftp://example.com/x' }, /webhook\.url: unsupported scheme "ftp:"/],
      [{ url: 'not a url' }, /webhook\.url: expected an absolute http or https URL/],
      [{ url: 'http://hooks.example.com/x' }, /plain http to hooks\.example\.com is refused: use https/],
      [{ url: 'https://user:pw@hooks.example.com/x' }, /must not hold credentials/],
      [{ secrets: [] }, /webhook\.secrets: expected at least one secret/],
      [{ secrets: ['plain-secret'] }, /webhook\.secrets\[0\]: expected a secret of the form whsec_/],
      [{ headers: { 'webhook-id': 'x' } }, /webhook\.headers\.webhook-id: this header is set by Gatehouse/],
      [{ headers: { 'x-a': 'one\r\nx-b: two' } }, /webhook\.headers\.x-a: expected text without line breaks/],
      [{ headers: { 'bad name': 'x' } }, /invalid header name/],
      [{ timeoutMs: 0 }, /webhook\.timeoutMs: expected a whole number/],
    ]
    for (const [extra, pattern] of cases) {
      const err = await deliverWebhook(target('/ok', extra), message()).catch((e: DeliveryError) => e)
      assert.ok(err instanceof DeliveryError && !err.retryable, String(err))
      assert.match(err.message, pattern)
    }
    const badId = await deliverWebhook(target('/ok'), { ...message(), id: 'has space' }).catch((e: DeliveryError) => e)
    assert.match(String(badId), /message id/)
    assert.equal(received.length, count)
  })

  it('allows plain http off loopback only when told to', async () => {
    // Nothing listens at this reserved address; the point is that the URL passes validation.
    const err = await deliverWebhook(target('/ok', { url: 'http://192.0.2.1:9/hook', allowInsecure: true, timeoutMs: 100 }), message())
      .catch((e: DeliveryError) => e)
    assert.ok(err instanceof DeliveryError && err.retryable, String(err))
  })
})
