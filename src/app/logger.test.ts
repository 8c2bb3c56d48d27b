import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from './logger.ts'

function capture(): { stream: { write(line: string): void }; lines: () => Record<string, unknown>[] } {
  const out: string[] = []
  return { stream: { write: (line: string) => { out.push(line) } }, lines: () => out.map((l) => JSON.parse(l)) }
}

describe('logger', () => {
  it('redacts the authorization header, preshared keys and passwords wherever they are logged', () => {
    const sink = capture()
    const logger = createLogger('info', sink.stream)
    logger.info({ req: { headers: { authorization: 'Bearer top-secret' } } }, 'request')
    logger.info({ config: { presharedKeys: ['k1'], port: 8080 } }, 'config')
    logger.info({ db: { password: 'hunter2' } }, 'db')
    const text = JSON.stringify(sink.lines())
    assert.doesNotMatch(text, /top-secret|k1|hunter2/)
    assert.equal((sink.lines()[1].config as { port: number }).port, 8080)
  })

  it('honours the level', () => {
    const sink = capture()
    const logger = createLogger('warn', sink.stream)
    logger.info('hidden')
    logger.warn('shown')
    assert.deepEqual(sink.lines().map((l) => l.msg), ['shown'])
  })
})
