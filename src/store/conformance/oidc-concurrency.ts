// oidc-provider artefacts under concurrency and over time: consume has exactly one winner among
// racing callers on separate connections (one connection on SQLite serialises them), and the
// sweep deletes expired rows only.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import { ManualClock, useFixture, type StoreFactory } from './harness.ts'
import { codePayload } from './oidc-artifacts.ts'

const RACERS = 20

export function oidcConcurrencyCategory(factory: StoreFactory): void {
  const clock = new ManualClock()
  // A fixture of its own: the sweep counts every row of the table. Pooled backends get one
  // connection per racer, so the conditional updates really run side by side.
  const h = useFixture(factory, { clock, connections: RACERS })

  it(`consume has exactly one winner among ${RACERS} concurrent attempts`, async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`
      await h.store.oidc.upsert('AuthorizationCode', id, codePayload(id), 600)
      const results = await Promise.all(Array.from({ length: RACERS }, () => h.store.oidc.consume('AuthorizationCode', id)))
      assert.equal(results.filter((won) => won).length, 1, `round ${round}: ${results.join(',')}`)
      assert.equal(typeof (await h.store.oidc.find('AuthorizationCode', id))?.consumed, 'number')
    }
  })

  it('consume one after another: the first wins, every later call loses', async () => {
    await h.store.oidc.upsert('RefreshToken', 'seq-1', { kind: 'RefreshToken' }, 600)
    const results: boolean[] = []
    for (let i = 0; i < 5; i++) results.push(await h.store.oidc.consume('RefreshToken', 'seq-1'))
    assert.deepEqual(results, [true, false, false, false, false])
  })

  it('concurrent re-saves of one session all land and leave one row', async () => {
    await Promise.all(Array.from({ length: RACERS }, (_, i) =>
      h.store.oidc.upsert('Session', 'sess-busy', { jti: 'sess-busy', n: i }, 600, { uid: 'uid-busy' })))
    const found = await h.store.oidc.findByUid('Session', 'uid-busy')
    assert.equal(found?.jti, 'sess-busy')
    assert.ok(typeof found?.n === 'number' && found.n >= 0 && found.n < RACERS)
  })

  it('sweepExpired deletes rows expired at the given time, and nothing else', async () => {
    // Start from a clean slate: earlier rows expire 600 s after they were written.
    clock.advance(3600)
    await h.store.oidc.sweepExpired(clock.now())
    const start = clock.now()
    await h.store.oidc.upsert('AccessToken', 'sw-10', { jti: 'sw-10' }, 10)
    await h.store.oidc.upsert('AccessToken', 'sw-20', { jti: 'sw-20' }, 20)
    await h.store.oidc.upsert('Grant', 'sw-30', { jti: 'sw-30' }, 30)
    await h.store.oidc.upsert('Client', 'sw-forever', { jti: 'sw-forever' }, undefined)
    assert.equal(await h.store.oidc.consume('AccessToken', 'sw-20'), true)
    clock.advance(25)
    // A caller with a clock tolerance sweeps up to now minus the tolerance.
    assert.equal(await h.store.oidc.sweepExpired(new Date(start.getTime() + 5_000)), 0)
    assert.equal(await h.store.oidc.sweepExpired(clock.now()), 2)
    assert.equal(await h.store.oidc.sweepExpired(clock.now()), 0)
    clock.advance(5)
    assert.equal(await h.store.oidc.sweepExpired(clock.now()), 1)
    assert.deepEqual(await h.store.oidc.find('Client', 'sw-forever'), { jti: 'sw-forever' })
  })
}
