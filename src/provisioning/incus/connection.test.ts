// The connection against a real incusd: PEM and PKCS#12 client certificates, trust by CA or by a
// pinned fingerprint (also when the certificate's names do not match the URL), failing closed on
// a wrong pin or CA, and the retryable / rejected split for a stopped or silent server.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { AppError } from '../../lib/index.ts'
import { DeliveryError, ProvisioningCodes } from '../errors.ts'
import { incusSkipReason, startIncus, type TestIncus } from '../../../test/support/incus.ts'
import { createIncusConnection, type IncusConnectionOptions } from './connection.ts'

const skip = await incusSkipReason()

function isDelivery(retryable: boolean, code?: string, text?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`)
    assert.equal(err.retryable, retryable, err.message)
    if (code) assert.equal(err.code, code)
    if (text) assert.match(err.message, text)
    return true
  }
}

describe('Incus connection', { skip }, () => {
  let incus: TestIncus
  before(async () => { incus = await startIncus() })
  after(async () => { await incus?.destroy() })

  async function getDefault(o: Partial<IncusConnectionOptions>) {
    const conn = createIncusConnection({ url: incus.url, ...o })
    try {
      const res = await conn.send('GET', '/1.0/projects/default')
      if (res.status !== 200) throw conn.failure('GET', '/1.0/projects/default', res)
      return res
    } finally {
      conn.close()
    }
  }

  it('works with a PEM pair and the server certificate as CA', async () => {
    const res = await getDefault({ ...incus.client, ca: incus.serverCert })
    assert.equal((res.metadata as { name: string }).name, 'default')
    assert.ok(res.etag)
    const conn = createIncusConnection({ url: incus.url, ...incus.client, ca: incus.serverCert })
    assert.equal((await conn.send('GET', '/1.0')).status, 200)
    conn.close()
    assert.equal((await conn.send('GET', '/1.0')).status, 200, 'usable again after close()')
    conn.close()
  })

  it('works with PKCS#12 and a pinned fingerprint (colons and case ignored)', async () => {
    const pfx = await incus.pfx('s3cret')
    const pin = incus.serverFingerprint.toUpperCase().match(/../g)!.join(':')
    const res = await getDefault({ pfx, passphrase: 's3cret', serverFingerprint: pin })
    assert.equal(res.status, 200)
  })

  it('pinning ignores the certificate names; a CA does not', async () => {
    const url = incus.url.replace('127.0.0.1', 'localhost')
    const res = await getDefault({ url, ...incus.client, serverFingerprint: incus.serverFingerprint })
    assert.equal(res.status, 200)
    await assert.rejects(getDefault({ url, ...incus.client, ca: incus.serverCert }), isDelivery(false, ProvisioningCodes.downstreamRejected, /not trusted/))
  })

  it('fails closed on a wrong pin or a foreign CA', async () => {
    const wrong = incus.serverFingerprint.replace(/^./, (c) => (c === '0' ? '1' : '0'))
    await assert.rejects(getDefault({ ...incus.client, serverFingerprint: wrong }), isDelivery(false, ProvisioningCodes.downstreamRejected, /does not match the pinned/))
    const other = await incus.newClient(false)
    await assert.rejects(getDefault({ ...incus.client, ca: other.cert }), isDelivery(false, ProvisioningCodes.downstreamRejected, /not trusted/))
  })

  it('an untrusted client certificate is refused for good (403)', async () => {
    const stranger = await incus.newClient(false)
    await assert.rejects(getDefault({ ...stranger, ca: incus.serverCert }), isDelivery(false, ProvisioningCodes.downstreamRejected, /GET \/1\.0\/projects\/default answered 403/))
  })

  it('refuses unusable options when built, without echoing secrets', async () => {
    const pfx = await incus.pfx('right-passphrase')
    const cases: Partial<IncusConnectionOptions>[] = [
      { pfx, passphrase: 'wrong-passphrase', ca: incus.serverCert },
      { cert: incus.client.cert, ca: incus.serverCert },
      { ...incus.client, pfx, ca: incus.serverCert },
      { ...incus.client },
      { ...incus.client, serverFingerprint: 'abc' },
      { ...incus.client, ca: 'not a certificate' },
      { ...incus.client, ca: incus.serverCert, url: incus.url.replace('https', 'http') },
    ]
    for (const c of cases) {
      assert.throws(() => createIncusConnection({ url: incus.url, ...c }), (err: unknown) => {
        assert.ok(err instanceof AppError && err.code === ProvisioningCodes.invalidConfig, String(err))
        assert.doesNotMatch(err.message, /passphrase|PRIVATE KEY/)
        return true
      })
    }
  })

  it('a server that never answers times out, retryably', async () => {
    const silent: Server = createServer(() => undefined)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const { port } = silent.address() as { port: number }
    try {
      const url = `https://127.0.0.1:${port}`
      const started = Date.now()
      await assert.rejects(getDefault({ url, ...incus.client, ca: incus.serverCert, timeoutMs: 300 }), isDelivery(true, ProvisioningCodes.downstreamUnavailable, /300 ms/))
      await assert.rejects(getDefault({ url, ...incus.client, serverFingerprint: incus.serverFingerprint, timeoutMs: 300 }), isDelivery(true, ProvisioningCodes.downstreamUnavailable, /300 ms/))
      assert.ok(Date.now() - started < 5000)
    } finally {
      silent.close()
    }
  })

  it('a kept-alive socket the server dropped is replaced once, transparently', async () => {
    const perSocket = new WeakMap<object, number>()
    const server = createHttpsServer({ cert: incus.serverCert, key: readFileSync(join(incus.dir, 'server.key')) }, (req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1
      perSocket.set(req.socket, n)
      // The second request on a connection meets a server that has just closed it.
      if (n > 1) return req.socket.destroy()
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ type: 'sync', metadata: { n } }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as { port: number }
    const conn = createIncusConnection({ url: `https://127.0.0.1:${port}`, ...incus.client, serverFingerprint: incus.serverFingerprint })
    try {
      for (let i = 0; i < 3; i++) assert.deepEqual((await conn.send('GET', '/1.0')).metadata, { n: 1 })
    } finally {
      conn.close()
      server.close()
    }
  })

  it('a stopped incusd is a retryable failure (last: stops the daemon)', async () => {
    const conn = createIncusConnection({ url: incus.url, ...incus.client, serverFingerprint: incus.serverFingerprint })
    try {
      assert.equal((await conn.send('GET', '/1.0')).status, 200)
      await incus.stop()
      await assert.rejects(conn.send('GET', '/1.0/projects/default'), isDelivery(true, ProvisioningCodes.downstreamUnavailable, /GET \/1\.0\/projects\/default failed: (ECONNREFUSED|ECONNRESET|socket hang up)/))
    } finally {
      conn.close()
    }
  })
})
