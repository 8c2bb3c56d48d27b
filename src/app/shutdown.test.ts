import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { request } from 'node:http'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, spawnServer } from '../../test/support/process.ts'

const repoRoot = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-shutdown-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('gatehouse serve process', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`shuts down cleanly on ${signal} with exit status 0`, async () => {
      const port = await freePort()
      const server = await spawnServer({
        args: [join(repoRoot, 'src/main.ts'), 'serve'],
        cwd: repoRoot,
        url: `http://127.0.0.1:${port}`,
        readyPath: '/readyz',
        env: { GATEHOUSE_PORT: String(port), GATEHOUSE_DATA_DIR: join(dir, signal), GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_HOST: undefined, GATEHOUSE_PRESHARED_KEYS: undefined },
      })
      const created = await fetch(`${server.url}/stores`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"before shutdown"}' })
      assert.equal(created.status, 201)
      const code = await server.stop(signal)
      assert.equal(code, 0, server.output())
      const out = server.output()
      assert.match(out, /Gatehouse .* listening on http:\/\/127\.0\.0\.1:\d+/)
      assert.match(out, /"msg":"gatehouse listening"/)
      assert.match(out, /"msg":"shut down cleanly"/)
    })
  }

  it('finishes a request that is in flight when the signal arrives', async () => {
    const port = await freePort()
    const server = await spawnServer({
      args: [join(repoRoot, 'src/main.ts'), 'serve'],
      cwd: repoRoot,
      url: `http://127.0.0.1:${port}`,
      readyPath: '/readyz',
      env: { GATEHOUSE_PORT: String(port), GATEHOUSE_DATA_DIR: join(dir, 'inflight'), GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_HOST: undefined, GATEHOUSE_PRESHARED_KEYS: undefined },
    })
    const body = JSON.stringify({ name: 'in flight' })
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/stores', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } })
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = ''
        res.on('data', (d) => { text += String(d) })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
    })
    req.flushHeaders()
    req.write(body.slice(0, 5))
    await sleep(200)
    const stopped = server.stop('SIGTERM')
    await sleep(300)
    req.end(body.slice(5))
    const res = await response
    assert.equal(res.status, 201, res.text)
    assert.equal(JSON.parse(res.text).name, 'in flight')
    assert.equal(await stopped, 0, server.output())
  })
})
